package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.ArtifactResult;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
  private HostPathClaim claim;

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
    claim = HostPathClaim.prepare(client, env, namespace, "results", subPath);
    return claim.root();
  }

  @AfterEach
  void removeVolume() {
    if (claim != null) {
      claim.close();
    }
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
}
