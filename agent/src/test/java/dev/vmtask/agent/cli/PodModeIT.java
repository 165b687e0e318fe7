package dev.vmtask.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageLease;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.image.MountedImage;
import dev.vmtask.agent.testing.GuestTestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmtask-agent pod} as the kubelet runs it: the shaded jar in its own process, the task in
 * {@code VMTASK_TASK}, the outcome in the termination message and exit code, readiness as a file.
 */
class PodModeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path JAR = Path.of("target/vmtask-agent.jar").toAbsolutePath();
  private static final Path CACHE = Path.of("target/it-image-cache").toAbsolutePath();

  /** The test guest's cache entry, as the node daemon mounts it into task pods. */
  private static Path mountedImage;

  @TempDir Path tmp;

  @BeforeAll
  static void cacheTheGuest() throws Exception {
    ImageLease lease =
        ImageCache.open(CACHE, 1L << 32)
            .acquire(
                ImageSource.ofFile(GuestTestImage.archive(), null, ImageFormat.TAR_ZST), p -> {});
    mountedImage = lease.baseDisk().getParent(); // pinned until this JVM exits
  }

  private ObjectNode task(String script) {
    ObjectNode t = JSON.createObjectNode().put("namespace", "default").put("name", "pod-it");
    t.putObject("image")
        .put("url", GuestTestImage.archive().toUri().toString())
        .put("format", "tar.zst")
        .putNull("sha256");
    t.put("script", script);
    t.putObject("env").put("GREETING", "hi");
    t.put("maxRunTimeSeconds", 600).put("acceleration", "tcg").put("network", "none");
    t.putArray("artifacts")
        .addObject()
        .put("name", "out")
        .put("path", "/root/out.txt")
        .put("type", "file")
        .put("destination", tmp.resolve("artifacts").toString());
    return t;
  }

  private Process start(ObjectNode task) throws Exception {
    return start("pod", task, Map.of("VMTASK_IMAGE_DIR", mountedImage.toString()));
  }

  private Process start(String command, ObjectNode task) throws Exception {
    return start(command, task, Map.of("VMTASK_CACHE_DIR", CACHE.toString()));
  }

  private Process start(String command, ObjectNode task, Map<String, String> image)
      throws Exception {
    Files.createDirectories(tmp.resolve("scratch"));
    ProcessBuilder pb =
        new ProcessBuilder("java", "-XX:+UseSerialGC", "-Xmx64m", "-jar", JAR.toString(), command);
    Map<String, String> env = pb.environment();
    env.put("VMTASK_TASK", JSON.writeValueAsString(task));
    env.putAll(image);
    env.put("VMTASK_SCRATCH_DIR", tmp.resolve("scratch").toString());
    env.put("VMTASK_TERMINATION_LOG", tmp.resolve("termination-log").toString());
    env.put("VMTASK_NODE_MAX_CPUS", "1");
    env.put("VMTASK_STOP_GRACE_SECONDS", "3");
    return pb.redirectOutput(tmp.resolve("stdout").toFile())
        .redirectError(tmp.resolve("stderr").toFile())
        .start();
  }

  private JsonNode terminationMessage() throws Exception {
    byte[] bytes = Files.readAllBytes(tmp.resolve("termination-log"));
    assertThat(bytes.length).isLessThan(4096);
    return JSON.readTree(bytes);
  }

  @Test
  void aCompletedTaskWritesItsOutcomeAndArtifacts() throws Exception {
    Process p = start(task("echo $GREETING; echo result > /root/out.txt"));

    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("stderr"))).isZero();
    assertThat(tmp.resolve("stdout")).hasContent("hi");
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("Completed");
    assertThat(m.path("exitCode").asInt()).isZero();
    assertThat(m.path("acceleration").asText()).isEqualTo("tcg");
    assertThat(m.path("image").path("digest").asText()).startsWith("sha256:");
    assertThat(m.path("artifacts").get(0).path("path").asText()).isEqualTo("out.txt");
    assertThat(m.path("artifacts").get(0).path("sizeBytes").asLong()).isEqualTo(7);
    assertThat(tmp.resolve("artifacts/out.txt")).hasContent("result");
    assertThat(m.path("timings").path("bootMs").asLong()).isPositive();
  }

  @Test
  void sigtermTakesTheScreenshotPowersTheGuestOffAndReportsAborted() throws Exception {
    ObjectNode t = task("echo started; sleep 1000");
    Path screenshots = tmp.resolve("screenshot");
    t.putObject("screenshot").put("when", "OnFailure").put("destination", screenshots.toString());
    Process p = start(t);
    Path ready = tmp.resolve("scratch/guest-running");
    long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (!Files.exists(ready) && p.isAlive() && System.nanoTime() < end) {
      Thread.sleep(200);
    }
    assertThat(ready).as("readiness file").exists();
    assertThat(p.descendants().filter(h -> h.info().command().orElse("").contains("qemu")))
        .isNotEmpty();

    p.destroy(); // SIGTERM, as the kubelet sends it

    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(125);
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("Aborted");
    assertThat(m.path("message").asText())
        .contains("SIGTERM")
        .contains("the guest powered off") // acpid in the test guest answers the power button
        .doesNotContain("no screenshot");
    JsonNode shot = m.path("screenshot");
    assertThat(shot.path("path").asText()).isEqualTo("screenshot.png");
    assertThat(shot.path("width").asInt()).isEqualTo(720); // the VGA text screen
    assertThat(shot.path("height").asInt()).isEqualTo(400);
    assertThat(shot.path("sha256").asText()).hasSize(64);
    assertThat(shot.path("sizeBytes").asLong())
        .isEqualTo(Files.size(screenshots.resolve("screenshot.png")));
    assertThat(
            ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().orElse("").contains(tmp.toString()))
                .filter(h -> h.info().command().orElse("").contains("qemu")))
        .as("QEMU of the aborted task")
        .isEmpty();
  }

  @Test
  void qemuDoesNotOutliveAnAgentKilledWithSigkill() throws Exception {
    Process p = start(task("echo started; sleep 1000"));
    Path ready = tmp.resolve("scratch/guest-running");
    long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (!Files.exists(ready) && p.isAlive() && System.nanoTime() < end) {
      Thread.sleep(200);
    }
    assertThat(ready).as("readiness file").exists();
    ProcessHandle qemu =
        p.descendants()
            .filter(h -> h.info().command().orElse("").contains("qemu"))
            .findFirst()
            .orElseThrow();

    p.destroyForcibly(); // SIGKILL: no Java code runs, the kernel's parent-death signal must act

    assertThat(qemu.onExit()).succeedsWithin(Duration.ofSeconds(30));
    assertThat(qemu.isAlive()).isFalse();
  }

  @Test
  void aBadTaskIsAnAgentErrorWithAClearMessage() throws Exception {
    ObjectNode t = task("true");
    t.putArray("command").add("true"); // both command and script

    Process p = start(t);

    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(125);
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("AgentError");
    assertThat(m.path("message").asText()).contains("exactly one of command and script");
  }

  @Test
  void fetchValidatesTheImageAndReportsItsDigest() throws Exception {
    String digest =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(GuestTestImage.archive())));
    ObjectNode t = JSON.createObjectNode();
    t.set("image", task("true").get("image"));
    ((ObjectNode) t.get("image")).put("sha256", digest);

    Process p = start("fetch", t);

    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("stderr"))).isZero();
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("Completed");
    assertThat(m.path("image").path("digest").asText()).isEqualTo("sha256:" + digest);
    assertThat(m.path("image").path("virtualSizeBytes").asLong()).isPositive();
  }

  @Test
  void fetchOfAnImageWithTheWrongDigestIsImageFailed() throws Exception {
    ObjectNode t = JSON.createObjectNode();
    t.set("image", task("true").get("image"));
    ((ObjectNode) t.get("image")).put("sha256", "0".repeat(64));

    Process p = start("fetch", t);

    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(125);
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("ImageFailed");
    assertThat(m.path("message").asText()).contains("0".repeat(64));
  }

  @Test
  void fetchReportsTheImageTheNodeDaemonMounted() throws Exception {
    ObjectNode t = JSON.createObjectNode();
    t.set("image", task("true").get("image"));

    Process p = start("fetch", t, Map.of("VMTASK_IMAGE_DIR", mountedImage.toString()));

    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("stderr"))).isZero();
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("Completed");
    assertThat(m.path("image").path("digest").asText())
        .isEqualTo("sha256:" + mountedImage.getFileName());
  }

  @Test
  void aFailureTheNodeDaemonMountedIsImageFailedWithItsMessage() throws Exception {
    Path failed = Files.createDirectories(tmp.resolve("failed-image"));
    MountedImage.writeFailure(failed, "the archive holds a symlink: ../../etc", true, true);

    Process p = start("pod", task("true"), Map.of("VMTASK_IMAGE_DIR", failed.toString()));

    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(125);
    JsonNode m = terminationMessage();
    assertThat(m.path("reason").asText()).isEqualTo("ImageFailed");
    assertThat(m.path("message").asText()).contains("symlink: ../../etc");
  }
}
