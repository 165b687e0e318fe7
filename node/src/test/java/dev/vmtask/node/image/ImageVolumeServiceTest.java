package dev.vmtask.node.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.IntakeLimits;
import dev.vmtask.agent.image.MountedImage;
import dev.vmtask.agent.image.RetryPolicy;
import dev.vmtask.node.csi.VolumeException;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image volumes over a real cache and a real HTTP server; only the mounting is recorded instead
 * of done (the end-to-end tests mount for real).
 */
class ImageVolumeServiceTest {
  @TempDir Path tmp;

  private final byte[] image = randomBytes(1 << 20, 1);
  private final String digest = sha256(image);
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final CountDownLatch slowGate = new CountDownLatch(1);
  private HttpServer server;
  private ImageCache cache;
  private RecordedMounts mounts;
  private ImageVolumeService volumes;

  /** Mounts as a map of target to source; the tests read the source's files through it. */
  static final class RecordedMounts extends BindMounts {
    final Map<Path, Path> mounted = new ConcurrentHashMap<>();

    @Override
    void bindReadOnly(Path source, Path target) {
      mounted.put(target, source);
    }

    @Override
    void unmount(Path target) {
      mounted.remove(target);
    }

    @Override
    boolean isMountPoint(Path path) {
      return mounted.containsKey(path);
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/public.img", x -> serve(x, "public", image, null));
    server.createContext("/private.img", x -> serve(x, "private", image, "Bearer a|Bearer b"));
    server.createContext("/other.img", x -> serve(x, "other", randomBytes(1 << 20, 2), null));
    server.createContext(
        "/slow.img",
        x -> {
          try {
            slowGate.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          serve(x, "slow", image, null);
        });
    server.createContext(
        "/cut.img",
        x -> {
          // Half the image, then, once the gate opens, the connection goes.
          x.sendResponseHeaders(200, image.length);
          x.getResponseBody().write(image, 0, image.length / 2);
          x.getResponseBody().flush();
          try {
            slowGate.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          x.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    cache =
        ImageCache.open(
            tmp.resolve("cache"),
            1L << 30,
            0,
            IntakeLimits.DEFAULT,
            new RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(10)));
    mounts = new RecordedMounts();
    volumes = new ImageVolumeService(cache, "anonymous", mounts, Duration.ofSeconds(20));
  }

  @AfterEach
  void stop() {
    slowGate.countDown();
    volumes.close();
    server.stop(0);
  }

  private void serve(
      com.sun.net.httpserver.HttpExchange x, String name, byte[] body, String allowed)
      throws IOException {
    String auth = x.getRequestHeaders().getFirst("Authorization");
    if (allowed != null && (auth == null || !allowed.contains(auth))) {
      x.sendResponseHeaders(403, -1);
      x.close();
      return;
    }
    hits.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    x.sendResponseHeaders(200, body.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(body);
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
  }

  private Map<String, String> volume(String namespace, String path, String token) {
    Map<String, String> a = new HashMap<>();
    a.put("url", url(path));
    a.put("sha256", digest);
    a.put("format", "raw");
    a.put("csi.storage.k8s.io/pod.namespace", namespace);
    a.put("csi.storage.k8s.io/pod.name", "pod");
    a.put("csi.storage.k8s.io/ephemeral", "true");
    if (token != null) {
      a.put("header.0.name", "Authorization");
      a.put("header.0.secretKey", "token");
    }
    return a;
  }

  private static Map<String, String> secret(String token) {
    return token == null ? Map.of() : Map.of("token", token);
  }

  private Path publish(String namespace, String path, String token) throws VolumeException {
    Path target =
        tmp.resolve("pods").resolve(namespace + "-" + path + "-" + token).resolve("mount");
    volumes.publish("vol", target, volume(namespace, path, token), secret(token));
    return target;
  }

  @Test
  void anAnonymousImageIsFetchedOnceMountedReadOnlyAndSharedAcrossNamespaces() throws Exception {
    Path a = publish("team-a", "public.img", null);
    Path b = publish("team-b", "public.img", null);

    assertThat(mounts.mounted.get(a)).isEqualTo(cache.root().resolve("sha256").resolve(digest));
    assertThat(mounts.mounted.get(b)).isEqualTo(mounts.mounted.get(a));
    assertThat(mounts.mounted.get(a).resolve("entry.json")).exists();
    assertThat(hits.get("public").get()).as("one download for both").isEqualTo(1);
    assertThat(volumes.pinned()).isEqualTo(2);

    volumes.publish("vol", a, volume("team-a", "public.img", null), Map.of());
    assertThat(hits.get("public").get()).as("a repeated publish is a no-op").isEqualTo(1);
  }

  @Test
  void aPrivateImageIsRefusedToANamespaceWithoutItsOwnAccessThenServedOnceItProvesIt()
      throws Exception {
    publish("team-a", "private.img", "Bearer a");

    // The digest alone, and a URL that does not serve it to team-b: refused, with why.
    Path refused = publish("team-b", "private.img", "Bearer wrong");
    Path failure = mounts.mounted.get(refused).resolve(MountedImage.FAILURE);
    assertThat(Files.readString(failure))
        .contains("namespace team-b may not use image sha256:" + digest)
        .contains("403")
        .doesNotContain("Bearer");
    Path unreachable = publish("team-b", "missing.img", null);
    assertThat(mounts.mounted.get(unreachable).resolve(MountedImage.FAILURE)).exists();

    // With its own credentials it proves access and gets the same bytes; nothing stored twice.
    Path served = publish("team-b", "private.img", "Bearer b");
    assertThat(mounts.mounted.get(served))
        .isEqualTo(cache.root().resolve("sha256").resolve(digest));
    assertThat(hits.get("private").get()).as("team-a's fetch, team-b's proof").isEqualTo(2);
    assertThat(cache.entries()).hasSize(1);

    // Proven once is enough.
    Path again = tmp.resolve("pods/team-b-again/mount");
    volumes.publish("vol", again, volume("team-b", "private.img", "Bearer b"), secret("Bearer b"));
    assertThat(mounts.mounted).containsKey(again);
    assertThat(hits.get("private").get()).isEqualTo(2);
  }

  @Test
  void aUrlServingOtherBytesIsRejectedAndLeavesTheCacheAlone() throws Exception {
    Path target = publish("team-a", "other.img", null);

    Path failure = mounts.mounted.get(target).resolve(MountedImage.FAILURE);
    assertThat(Files.readString(failure)).contains("\"rejected\":true").contains(digest);
    assertThat(cache.entries()).isEmpty();
    assertThat(cache.root().resolve("tmp")).isEmptyDirectory();

    volumes.unpublish("vol", target);
    assertThat(mounts.mounted).isEmpty();
    assertThat(cache.root().resolve("failures")).isEmptyDirectory();
    assertThat(cache.root().resolve("mounts")).isEmptyDirectory();
  }

  @Test
  void badVolumesAreInvalidArguments() {
    Map<String, String> file = volume("team-a", "public.img", null);
    file.put("url", "file:///etc/shadow");
    assertThatThrownBy(() -> volumes.publish("vol", tmp.resolve("t"), file, Map.of()))
        .isInstanceOfSatisfying(
            VolumeException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("http or https");
    Map<String, String> noNamespace = volume("team-a", "public.img", null);
    noNamespace.remove("csi.storage.k8s.io/pod.namespace");
    assertThatThrownBy(() -> volumes.publish("vol", tmp.resolve("t"), noNamespace, Map.of()))
        .hasMessageContaining("podInfoOnMount");
    assertThatThrownBy(
            () ->
                volumes.publish(
                    "vol",
                    tmp.resolve("t"),
                    volume("team-a", "private.img", "x"),
                    Map.of("other", "x")))
        .isInstanceOfSatisfying(
            VolumeException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION))
        .hasMessageContaining("no such key");
    assertThat(mounts.mounted).isEmpty();
  }

  @Test
  void aLongFetchAnswersUnavailableWithProgressAndTheRetryJoinsIt() throws Exception {
    volumes.close();
    volumes = new ImageVolumeService(cache, "anonymous", mounts, Duration.ofMillis(300));
    Path target = tmp.resolve("pods/slow/mount");

    assertThatThrownBy(
            () -> volumes.publish("vol", target, volume("team-a", "slow.img", null), Map.of()))
        .isInstanceOfSatisfying(
            VolumeException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE))
        .hasMessageContaining("fetching the image");
    assertThatThrownBy(
            () -> volumes.publish("vol", target, volume("team-a", "slow.img", null), Map.of()))
        .hasMessageContaining("fetching the image");
    slowGate.countDown();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              volumes.publish("vol", target, volume("team-a", "slow.img", null), Map.of());
              assertThat(mounts.mounted).containsKey(target);
            });
    assertThat(hits.get("slow").get()).as("one download across the retries").isEqualTo(1);
  }

  @Test
  void aFetchCutShortByTheDaemonStoppingMountsNoFailure() throws Exception {
    Path target = tmp.resolve("pods/cut/mount");
    var publish =
        java.util.concurrent.CompletableFuture.runAsync(
            () -> {
              try {
                volumes.publish("vol", target, volume("team-a", "cut.img", null), Map.of());
              } catch (VolumeException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cache.root().resolve("tmp").toFile().list().length > 0);

    volumes.close(); // the daemon stops: its fetches end early
    slowGate.countDown();

    assertThatThrownBy(publish::join)
        .hasCauseInstanceOf(VolumeException.class)
        .cause()
        .satisfies(e -> assertThat(((VolumeException) e).code()).isEqualTo(Status.Code.UNAVAILABLE))
        .hasMessageContaining("the node daemon is stopping");
    assertThat(mounts.mounted).as("no failure for the next daemon to serve").isEmpty();
  }

  @Test
  void aRestartedDaemonPinsWhatIsStillMountedAndForgetsTheRest() throws Exception {
    Path kept = publish("team-a", "public.img", null);
    Path gone = publish("team-b", "public.img", null);
    volumes.close();
    mounts.mounted.remove(gone); // unmounted while the daemon was away

    ImageVolumeService restarted =
        new ImageVolumeService(cache, "anonymous", mounts, Duration.ofSeconds(5));
    restarted.recover();

    assertThat(restarted.pinned()).isEqualTo(1);
    assertThat(cache.root().resolve("mounts")).isDirectoryContaining(p -> true);
    try (var records = Files.list(cache.root().resolve("mounts"))) {
      assertThat(records).hasSize(1);
    }
    restarted.unpublish("vol", kept);
    assertThat(restarted.pinned()).isZero();
    assertThat(cache.root().resolve("mounts")).isEmptyDirectory();
    restarted.close();
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
