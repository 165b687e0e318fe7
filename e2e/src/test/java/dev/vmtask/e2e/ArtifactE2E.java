package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtask.api.task.ArtifactResult;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Files the agent stores on a PersistentVolumeClaim: an artifact written in the guest, and a
 * screenshot of a hung task's display, each with its digest in the status.
 */
@Testbed(Mode.FULL)
class ArtifactE2E {
  /** uid and gid of the agent in its container (images/agent/Containerfile). */
  private static final int AGENT_UID = 10001;

  private static final Path VOLUMES = Path.of("/var/lib/vmtask-e2e/volumes");

  private KubernetesClient client;
  private String volumeName;

  @Test
  void artifactLandsOnItsClaimWithTheDigestInTheStatus(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    E2eEnvironment env = E2eEnvironment.get(client);
    Path hostPath = prepareClaim(client, env, namespace, "run-1");
    Tasks tasks = new Tasks(client, namespace.name());
    tasks.createImage(Manifests.image("guest", env.guestUrl(), env.guest().sha256()));

    tasks.create(
        Manifests.taskWithArtifact(
            "artifact",
            "guest",
            "uname -a > /root/report.txt; echo artifact of $(hostname) >> /root/report.txt",
            "/root/report.txt",
            "results",
            "run-1"));
    VirtualMachineTask done = tasks.awaitFinished("artifact");

    assertThat(done.getStatus().getPhase())
        .as("log:%n%s", tasks.log(done))
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(done.getStatus().getArtifacts()).hasSize(1);
    ArtifactResult artifact = done.getStatus().getArtifacts().get(0);
    Path onDisk = locate(hostPath, artifact);
    String content = Files.readString(onDisk);
    assertThat(content).contains("artifact of");
    assertThat(artifact.getName()).isEqualTo("out");
    assertThat(artifact.getClaimName()).isEqualTo("results");
    assertThat(artifact.getSizeBytes()).isEqualTo(Files.size(onDisk));
    assertThat(artifact.getSha256()).isEqualTo(Digests.sha256(onDisk));
  }

  @Test
  void aHungTaskLeavesAScreenshotOfItsDisplay(KubernetesClient client, TestNamespace namespace)
      throws Exception {
    E2eEnvironment env = E2eEnvironment.get(client);
    Path hostPath = prepareClaim(client, env, namespace, "shots");
    Tasks tasks = new Tasks(client, namespace.name());
    tasks.createImage(Manifests.image("guest", env.guestUrl(), env.guest().sha256()));

    tasks.create(
        Manifests.taskWithScreenshot(
            "hung", "guest", "echo hung > /dev/tty0; sleep 1000", 10, "results", "shots"));
    VirtualMachineTask done = tasks.awaitFinished("hung");

    assertThat(done.getStatus().getReason())
        .as("log:%n%s", tasks.log(done))
        .isEqualTo(TaskReason.DeadlineExceeded);
    ArtifactResult screenshot = done.getStatus().getScreenshot();
    assertThat(screenshot)
        .as("status.screenshot; message: %s", done.getStatus().getMessage())
        .isNotNull();
    assertThat(screenshot.getName()).isEqualTo("screenshot");
    assertThat(screenshot.getClaimName()).isEqualTo("results");
    assertThat(screenshot.getPath()).isEqualTo("shots/screenshot.png");
    Path onDisk = locate(hostPath, screenshot);
    assertThat(screenshot.getSha256()).isEqualTo(Digests.sha256(onDisk));
    BufferedImage png = ImageIO.read(onDisk.toFile());
    assertThat(png).as("%s decodes as an image", onDisk).isNotNull();
    assertThat(png.getWidth()).isPositive();
    assertThat(png.getHeight()).isPositive();
    assertThat(distinctColours(png)).as("colours on the screen").isGreaterThan(1);
  }

  private static long distinctColours(BufferedImage image) {
    return IntStream.range(0, image.getHeight())
        .flatMap(y -> IntStream.range(0, image.getWidth()).map(x -> image.getRGB(x, y)))
        .distinct()
        .count();
  }

  /** A claim bound to a hostPath volume of this namespace, with {@code subPath} made for it. */
  private Path prepareClaim(
      KubernetesClient client, E2eEnvironment env, TestNamespace namespace, String subPath)
      throws IOException, InterruptedException {
    assumeTrue(env.onTheNode(), "the hostPath volume is prepared and read on the testbed's node");
    this.client = client;
    volumeName = "vmtask-e2e-" + namespace.name();
    Path hostPath = VOLUMES.resolve(namespace.name());
    // hostPath directories are not chowned for the pod: the agent (uid 10001) must own them.
    ownedByAgent(Files.createDirectories(hostPath.resolve(subPath)));
    ownedByAgent(hostPath);
    createClaim(namespace.name(), hostPath);
    return hostPath;
  }

  @AfterEach
  void removeVolume() {
    if (client != null && volumeName != null) {
      client.persistentVolumes().withName(volumeName).delete();
    }
  }

  private void createClaim(String namespace, Path hostPath) {
    String[] documents =
        Manifests.hostPathClaim("results", volumeName, hostPath.toString()).split("(?m)^---$");
    client.persistentVolumes().load(stream(documents[0])).create();
    client.persistentVolumeClaims().inNamespace(namespace).load(stream(documents[1])).create();
  }

  /** The file the status points at: its path is relative to the claim's root. */
  private static Path locate(Path claimRoot, ArtifactResult artifact) throws IOException {
    Path direct = claimRoot.resolve(artifact.getPath());
    if (Files.isRegularFile(direct)) {
      return direct;
    }
    try (Stream<Path> files = Files.walk(claimRoot)) {
      throw new AssertionError(
          "artifact path "
              + artifact.getPath()
              + " is not a file under the claim; the claim holds "
              + files.map(claimRoot::relativize).toList());
    }
  }

  private static void ownedByAgent(Path dir) throws IOException, InterruptedException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    Process chown =
        new ProcessBuilder("chown", AGENT_UID + ":" + AGENT_UID, dir.toString())
            .inheritIO()
            .start();
    assertThat(chown.waitFor()).as("chown %s", dir).isZero();
  }

  private static ByteArrayInputStream stream(String yaml) {
    return new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8));
  }
}
