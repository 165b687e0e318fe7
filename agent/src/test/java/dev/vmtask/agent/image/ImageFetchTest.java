package dev.vmtask.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fetching over HTTP from a real local server: retries, resume, permanent errors, ETag reuse. */
class ImageFetchTest {
  private static final RetryPolicy FAST =
      new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50));

  @TempDir Path work;
  private TestHttpServer server;
  private ImageCache cache;
  private byte[] archive;
  private String sha;

  @BeforeEach
  void setUp() throws Exception {
    server = new TestHttpServer();
    cache = ImageCache.open(work.resolve("cache"), 1L << 40, IntakeLimits.DEFAULT, FAST);
    archive = TestImages.tarZst(TestImages.validMembers(work, 4 << 20, 9));
    sha = TestImages.sha256(archive);
    server.serve("/img.tar.zst", archive);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private ImageSource source(String sha256) {
    return new ImageSource(server.uri("/img.tar.zst"), sha256, ImageFormat.AUTO, Map.of());
  }

  @Test
  void fetchesValidatesAndCaches() throws Exception {
    List<ImageProgress> progress = new ArrayList<>();
    try (ImageLease lease = cache.acquire(source(sha), progress::add)) {
      assertThat(lease.wasCached()).isFalse();
      assertThat(lease.digest()).isEqualTo("sha256:" + sha);
      assertThat(lease.format()).isEqualTo(ImageFormat.TAR_ZST);
      assertThat(lease.baseDisk().getFileName().toString()).isEqualTo("layer.qcow2");
      assertThat(lease.baseFormat()).isEqualTo("qcow2");
      assertThat(lease.sizeBytes()).isEqualTo(archive.length);
      assertThat(lease.virtualSizeBytes()).isEqualTo(4 << 20);
      assertThat(lease.machine()).hasValueSatisfying(m -> assertThat(m.memory()).isEqualTo(256));
    }
    assertThat(progress).last().isEqualTo(new ImageProgress(archive.length, archive.length));
    try (ImageLease again = cache.acquire(source(sha), p -> {})) {
      assertThat(again.wasCached()).isTrue();
    }
    assertThat(server.gets("/img.tar.zst")).isEqualTo(1);
  }

  @Test
  void resumesABrokenTransferWithRange() throws Exception {
    server.fault("/img.tar.zst", new TestHttpServer.BreakAfter(archive.length / 3));
    try (ImageLease lease = cache.acquire(source(sha), p -> {})) {
      assertThat(lease.digest()).isEqualTo("sha256:" + sha);
    }
    assertThat(server.gets("/img.tar.zst")).isEqualTo(2);
    assertThat(server.requestHeaders.get(1).get("Range"))
        .containsExactly("bytes=" + (archive.length / 3) + "-");
    assertThat(server.requestHeaders.get(1).get("If-range")).isNotEmpty();
  }

  @Test
  void resumesEvenWhenTheServerIgnoresRange() throws Exception {
    server.rangeSupported = false;
    server.fault("/img.tar.zst", new TestHttpServer.BreakAfter(archive.length / 2));
    try (ImageLease lease = cache.acquire(source(sha), p -> {})) {
      assertThat(lease.digest()).isEqualTo("sha256:" + sha);
    }
  }

  @Test
  void retriesServerErrorsThenSucceeds() throws Exception {
    server.fault(
        "/img.tar.zst",
        new TestHttpServer.Status(503),
        new TestHttpServer.Status(500),
        new TestHttpServer.Status(429));
    try (ImageLease lease = cache.acquire(source(sha), p -> {})) {
      assertThat(lease.digest()).isEqualTo("sha256:" + sha);
    }
    assertThat(server.gets("/img.tar.zst")).isEqualTo(4);
  }

  @Test
  void givesUpAfterTheLastAttempt() {
    for (int i = 0; i < 4; i++) {
      server.fault("/img.tar.zst", new TestHttpServer.Status(502));
    }
    assertThatThrownBy(() -> cache.acquire(source(sha), p -> {}))
        .isInstanceOf(ImageFetchException.class)
        .hasMessageContaining("failed after 4 attempts: HTTP 502")
        .satisfies(e -> assertThat(((ImageFetchException) e).permanent()).isFalse());
    assertThat(server.gets("/img.tar.zst")).isEqualTo(4);
  }

  @Test
  void notFoundIsPermanentAndClear() throws Exception {
    ImageSource missing =
        new ImageSource(server.uri("/nope.tar.zst?token=secret"), sha, ImageFormat.AUTO, Map.of());
    assertThatThrownBy(() -> cache.acquire(missing, p -> {}))
        .isInstanceOf(ImageFetchException.class)
        .hasMessage("fetching " + server.uri("/nope.tar.zst") + "?… failed: HTTP 404")
        .satisfies(e -> assertThat(((ImageFetchException) e).permanent()).isTrue())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    assertThat(server.gets("/nope.tar.zst")).isEqualTo(1);
    try (var s = Files.list(work.resolve("cache/tmp"))) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void headersGoToTheOriginOnlyAndNeverIntoMessages() throws Exception {
    try (TestHttpServer other = new TestHttpServer()) {
      other.serve("/img.tar.zst", archive);
      server.fault(
          "/img.tar.zst", new TestHttpServer.Redirect(other.uri("/img.tar.zst").toString()));
      ImageSource src =
          new ImageSource(
              server.uri("/img.tar.zst"),
              sha,
              ImageFormat.AUTO,
              Map.of("Authorization", "Bearer s3cret"));
      assertThat(src.toString()).doesNotContain("s3cret");
      try (ImageLease lease = cache.acquire(src, p -> {})) {
        assertThat(lease.digest()).isEqualTo("sha256:" + sha);
      }
      assertThat(server.requestHeaders.get(0).get("Authorization"))
          .containsExactly("Bearer s3cret");
      assertThat(other.requestHeaders.get(0)).doesNotContainKey("Authorization");
    }
  }

  @Test
  void withoutAnExpectedDigestTheEtagDecidesReuse() throws Exception {
    try (ImageLease first = cache.acquire(source(null), p -> {})) {
      assertThat(first.wasCached()).isFalse();
      assertThat(first.digest()).isEqualTo("sha256:" + sha);
    }
    try (ImageLease second = cache.acquire(source(null), p -> {})) {
      assertThat(second.wasCached()).as("304 Not Modified").isTrue();
    }
    assertThat(server.requestHeaders.get(1).get("If-none-match")).isNotEmpty();
    byte[] changed = TestImages.tarZst(TestImages.validMembers(work, 4 << 20, 10));
    server.serve("/img.tar.zst", changed);
    try (ImageLease third = cache.acquire(source(null), p -> {})) {
      assertThat(third.wasCached()).isFalse();
      assertThat(third.digest()).isEqualTo("sha256:" + TestImages.sha256(changed));
    }
  }

  @Test
  void plainQcow2AndRawOverHttp() throws Exception {
    byte[] qcow2 = TestImages.qcow2(work, "8M");
    byte[] raw = TestImages.rawDisk(2 << 20, 5);
    server.serve("/d.qcow2", qcow2);
    server.serve("/d.img", raw);
    try (ImageLease q =
            cache.acquire(
                new ImageSource(server.uri("/d.qcow2"), null, ImageFormat.AUTO, Map.of()),
                p -> {});
        ImageLease r =
            cache.acquire(
                new ImageSource(server.uri("/d.img"), null, ImageFormat.RAW, Map.of()), p -> {})) {
      assertThat(q.format()).isEqualTo(ImageFormat.QCOW2);
      assertThat(q.baseFormat()).isEqualTo("qcow2");
      assertThat(q.virtualSizeBytes()).isEqualTo(8 << 20);
      assertThat(q.machine()).isEmpty();
      assertThat(r.baseFormat()).isEqualTo("raw");
      assertThat(r.virtualSizeBytes()).isEqualTo(2 << 20);
      assertThat(Files.readAllBytes(r.baseDisk())).isEqualTo(raw);
    }
  }
}
