package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cache across processes, its eviction, sparse archives from GNU tar, overlays. */
class ImageCacheTest {
  @TempDir Path work;

  @Test
  void separateProcessesFetchAnUncachedImageOnce() throws Exception {
    byte[] archive = TestImages.tarZst(TestImages.validMembers(work, 4 << 20, 21));
    String sha = TestImages.sha256(archive);
    Path root = work.resolve("cache");
    try (TestHttpServer server = new TestHttpServer()) {
      server.serve("/img.tar.zst", archive);
      server.bytesPerSecond = archive.length / 2; // about two seconds per download
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        processes.add(
            new ProcessBuilder(
                    java,
                    "-Xmx64m",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    FetchWorker.class.getName(),
                    root.toString(),
                    server.uri("/img.tar.zst").toString(),
                    sha)
                .redirectErrorStream(true)
                .start());
      }
      List<String> outputs = new ArrayList<>();
      for (Process p : processes) {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8).trim();
        assertThat(p.exitValue()).as(out).isZero();
        outputs.add(out);
      }
      assertThat(server.gets("/img.tar.zst")).as("downloads").isEqualTo(1);
      String expected =
          "sha256:" + sha + " " + root.resolve("sha256").resolve(sha).resolve("layer.qcow2");
      assertThat(outputs).allSatisfy(o -> assertThat(o).startsWith(expected));
      assertThat(outputs).filteredOn(o -> o.endsWith("cached=false")).hasSize(1);
    }
    try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
      assertThat(tmp).isEmpty();
    }
  }

  @Test
  void threadsOfOneProcessAlsoFetchOnce() throws Exception {
    byte[] archive = TestImages.tarZst(TestImages.validMembers(work, 2 << 20, 22));
    String sha = TestImages.sha256(archive);
    ImageCache cache = ImageCache.open(work.resolve("cache"), 1L << 40);
    try (TestHttpServer server = new TestHttpServer()) {
      server.serve("/img.tar.zst", archive);
      server.bytesPerSecond = archive.length; // about a second per download
      ImageSource src =
          new ImageSource(server.uri("/img.tar.zst"), sha, ImageFormat.AUTO, Map.of());
      List<java.util.concurrent.Future<String>> results = new ArrayList<>();
      var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        for (int i = 0; i < 4; i++) {
          results.add(
              pool.submit(
                  () -> {
                    try (ImageLease lease = cache.acquire(src, p -> {})) {
                      return lease.baseDisk().toString();
                    }
                  }));
        }
        for (var r : results) {
          assertThat(r.get(60, TimeUnit.SECONDS)).endsWith(sha + "/layer.qcow2");
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(server.gets("/img.tar.zst")).isEqualTo(1);
    }
  }

  @Test
  void aFetchKilledHalfWayLeavesNothingBehind() throws Exception {
    byte[] archive = TestImages.tarZst(TestImages.validMembers(work, 4 << 20, 23));
    String sha = TestImages.sha256(archive);
    Path root = work.resolve("cache");
    try (TestHttpServer server = new TestHttpServer()) {
      server.serve("/img.tar.zst", archive);
      server.bytesPerSecond = archive.length / 10; // ten seconds: time to kill it
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process worker =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  FetchWorker.class.getName(),
                  root.toString(),
                  server.uri("/img.tar.zst").toString(),
                  sha)
              .redirectErrorStream(true)
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!hasTemporaryData(root) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(hasTemporaryData(root)).as("the worker started writing").isTrue();
      worker.destroyForcibly().waitFor();
      server.bytesPerSecond = 0;
      ImageCache cache = ImageCache.open(root, 1L << 40);
      try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
        assertThat(tmp).as("the dead fetch's temporary is gone").isEmpty();
      }
      try (ImageLease lease =
          cache.acquire(
              new ImageSource(server.uri("/img.tar.zst"), sha, ImageFormat.AUTO, Map.of()),
              p -> {})) {
        assertThat(lease.wasCached()).isFalse();
        assertThat(lease.digest()).isEqualTo("sha256:" + sha);
      }
      assertThat(server.gets("/img.tar.zst")).isEqualTo(2);
    }
  }

  private static boolean hasTemporaryData(Path root) throws IOException {
    if (!Files.isDirectory(root.resolve("tmp"))) {
      return false;
    }
    try (Stream<Path> s = Files.walk(root.resolve("tmp"))) {
      return s.anyMatch(p -> p.getFileName().toString().equals("disk.img"));
    }
  }

  @Test
  void evictsLeastRecentlyUsedButNeverAnImageInUse() throws Exception {
    Path root = work.resolve("cache");
    ImageCache cache = ImageCache.open(root, (5L << 20) / 2); // room for two 1 MiB images
    ImageSource a = rawImage("a", 1);
    ImageSource b = rawImage("b", 2);
    ImageSource c = rawImage("c", 3);
    ImageSource d = rawImage("d", 4);
    try (ImageLease inUse = cache.acquire(a, p -> {})) {
      Thread.sleep(20);
      cache.acquire(b, p -> {}).close();
      Thread.sleep(20);
      cache.acquire(c, p -> {}).close();
      // a is the least recently used but pinned: b goes.
      assertThat(cached(cache)).containsExactlyInAnyOrder(a.sha256(), c.sha256());
      assertThat(Files.exists(inUse.baseDisk())).isTrue();
      Thread.sleep(20); // uses are compared in milliseconds: a's release must come after c's
    }
    // Releasing a counts as its last use, so c is now the least recently used.
    Thread.sleep(20);
    cache.acquire(d, p -> {}).close();
    assertThat(cached(cache)).containsExactlyInAnyOrder(a.sha256(), d.sha256());
    try (ImageLease again = cache.acquire(c, p -> {})) {
      assertThat(again.wasCached()).isFalse();
    }
    try (ImageLease again = cache.acquire(d, p -> {})) {
      assertThat(again.wasCached()).isTrue();
    }
  }

  @Test
  void staleTemporariesOfADeadFetchAreCleaned() throws Exception {
    Path root = work.resolve("cache");
    ImageCache.open(root, 1L << 30);
    Path stale =
        Files.createDirectories(
            root.resolve("tmp").resolve("url-abc-" + java.util.UUID.randomUUID()));
    Files.write(stale.resolve("disk.img"), new byte[4096]);
    ImageCache.open(root, 1L << 30);
    assertThat(stale).doesNotExist();
  }

  private List<String> cached(ImageCache cache) throws IOException {
    return cache.entries().stream().map(CacheEntry::sha256).toList();
  }

  private ImageSource rawImage(String name, long seed) throws Exception {
    byte[] data = new byte[1 << 20];
    new Random(seed).nextBytes(data);
    Path file = TestImages.write(work, name + ".img", data);
    return ImageSource.ofFile(file, TestImages.sha256(data), ImageFormat.RAW);
  }

  /** GNU tar -S in both its old GNU and its PAX sparse formats: holes stay holes. */
  @ParameterizedTest
  @ValueSource(strings = {"gnu", "posix"})
  void sparseArchivesFromGnuTarStaySparse(String tarFormat) throws Exception {
    Path src = Files.createDirectories(work.resolve("src"));
    long size = 256L << 20;
    byte[] chunk = new byte[1 << 20];
    Random random = new Random(7);
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) ('a' + random.nextInt(16)); // compressible, like real disk data
    }
    try (RandomAccessFile f = new RandomAccessFile(src.resolve("disk.img").toFile(), "rw")) {
      f.setLength(size);
      f.write(chunk); // boot area
      // Many separate data regions: the old GNU format needs sparse extension records.
      for (int i = 1; i <= 12; i++) {
        f.seek(i * (16L << 20) + i * 4096L);
        f.write(chunk, 0, chunk.length / (i % 3 + 1));
      }
      f.seek(size - chunk.length);
      f.write(chunk);
    }
    TestImages.qemuImg(
        src,
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "disk.img",
        "-F",
        "raw",
        "-o",
        "lazy_refcounts=on",
        "layer.qcow2");
    Files.writeString(src.resolve("machine.json"), TestImages.MACHINE_JSON);
    Process tar =
        new ProcessBuilder(
                "tar",
                "--format=" + tarFormat,
                "-Scf",
                "image.tar",
                "disk.img",
                "layer.qcow2",
                "machine.json")
            .directory(src.toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(tar.waitFor()).isZero();
    Path archive = work.resolve("image.tar.zst");
    // Many small zstd frames: the decompressor returns short reads at each frame's end, inside
    // the sparse data segments (a network stream does the same).
    byte[] tarBytes = Files.readAllBytes(src.resolve("image.tar"));
    try (OutputStream out = Files.newOutputStream(archive)) {
      for (int off = 0; off < tarBytes.length; off += 10_000) {
        int n = Math.min(10_000, tarBytes.length - off);
        out.write(
            com.github.luben.zstd.Zstd.compress(Arrays.copyOfRange(tarBytes, off, off + n), 3));
      }
    }
    assertThat(Files.size(archive)).isLessThan(8L << 20);
    ImageCache cache = ImageCache.open(work.resolve("cache"), 1L << 40);
    try (ImageLease lease =
        cache.acquire(ImageSource.ofFile(archive, null, ImageFormat.AUTO), p -> {})) {
      Path disk = lease.baseDisk().resolveSibling("disk.img");
      assertThat(Files.size(disk)).isEqualTo(size);
      assertThat(TestImages.sha256(Files.readAllBytes(disk)))
          .isEqualTo(TestImages.sha256(Files.readAllBytes(src.resolve("disk.img"))));
      assertThat(allocatedBytes(disk))
          .as("allocated bytes of the unpacked disk")
          .isLessThan(12L << 20);
      assertThat(lease.entry().allocatedBytes()).isBetween(9L << 20, 10L << 20);
      assertThat(lease.virtualSizeBytes()).isEqualTo(size);

      Path overlay = Overlay.create(lease, work.resolve("vm.qcow2"));
      String info = qemuImgInfo(overlay);
      assertThat(info).contains("\"backing-filename\": \"" + lease.baseDisk() + "\"");
      assertThat(info).contains("\"backing-filename-format\": \"qcow2\"");
      assertThat(info).contains("\"virtual-size\": " + size);
    }
  }

  /** Over HTTP the decompressed stream arrives in short reads, unlike from a file. */
  private static ImageLease fetchOverHttp(TestHttpServer server, ImageCache cache, byte[] archive)
      throws Exception {
    server.serve("/sparse.tar.zst", archive);

    return cache.acquire(
        new ImageSource(server.uri("/sparse.tar.zst"), null, ImageFormat.AUTO, Map.of()), p -> {});
  }

  private static long allocatedBytes(Path file) throws Exception {
    Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
    String[] parts = new String(p.getInputStream().readAllBytes(), UTF_8).trim().split(" ");
    p.waitFor();
    return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
  }

  private static String qemuImgInfo(Path file) throws Exception {
    Process p =
        new ProcessBuilder("qemu-img", "info", "--output", "json", "-U", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }
}
