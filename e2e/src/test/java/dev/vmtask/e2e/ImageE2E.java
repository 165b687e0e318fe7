package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VM images: verified before use, hostile archives refused, cached once per node. */
@Testbed(Mode.FULL)
class ImageE2E {
  /** The chart's default node cache directory. */
  private static final Path NODE_CACHE = Path.of("/var/lib/vmtask/cache");

  private E2eEnvironment env;
  private Tasks tasks;

  @BeforeEach
  void setUp(KubernetesClient client, TestNamespace namespace) {
    env = E2eEnvironment.get(client);
    tasks = new Tasks(client, namespace.name());
  }

  @Test
  void imageWithTheWrongSha256FailsAndSoDoItsTasks() {
    String wrong = "0".repeat(64);
    tasks.createImage(Manifests.image("tampered", env.guestUrl(), wrong));
    tasks.create(Manifests.task("on-tampered", "tampered", "echo never", 600));

    VMImage image = tasks.awaitImage("tampered", ImagePhase.Failed);
    VirtualMachineTask task = tasks.awaitFinished("on-tampered");

    assertThat(image.getStatus().getMessage())
        .as("the image's message says what is wrong")
        .containsIgnoringCase("sha256")
        .contains(env.guest().sha256().substring(0, 12));
    assertThat(task.getStatus().getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(task.getStatus().getReason()).isEqualTo(TaskReason.ImageFailed);
    assertThat(task.getStatus().getMessage()).isNotBlank();
  }

  @Test
  void archiveWithAPathEscapeIsRefusedAndWritesNothingOutsideTheCache(@TempDir Path dir)
      throws IOException {
    byte[] archive = HostileArchive.withPathEscape();
    Path file = Files.write(dir.resolve("hostile.tar.zst"), archive);
    String url = env.images().serve("hostile-" + dir.getFileName() + ".tar.zst", file);
    tasks.createImage(Manifests.image("hostile", url, Digests.sha256(archive)));
    tasks.create(Manifests.task("on-hostile", "hostile", "echo never", 600));

    VMImage image = tasks.awaitImage("hostile", ImagePhase.Failed);
    VirtualMachineTask task = tasks.awaitFinished("on-hostile");

    assertThat(image.getStatus().getMessage())
        .as("the image's message names the offending member")
        .contains("vmtask-escaped");
    assertThat(task.getStatus().getReason()).isEqualTo(TaskReason.ImageFailed);
    if (env.onTheNode() && Files.isDirectory(NODE_CACHE.getParent())) {
      try (Stream<Path> files = Files.walk(NODE_CACHE.getParent())) {
        assertThat(files.map(Path::getFileName).map(Path::toString))
            .doesNotContain("vmtask-escaped");
      }
    }
  }

  @Test
  void secondTaskRunsOnTheNodeHoldingTheImageWithoutDownloadingItAgain() {
    tasks.createImage(Manifests.image("cached", env.guestUrl(), env.guest().sha256()));
    tasks.create(Manifests.task("first", "cached", "echo first", 600));
    VirtualMachineTask first = tasks.awaitFinished("first");
    assertThat(first.getStatus().getPhase())
        .as("log:%n%s", tasks.log(first))
        .isEqualTo(TaskPhase.Succeeded);
    int downloads = env.images().requests(E2eEnvironment.GUEST_FILE);

    tasks.create(Manifests.task("second", "cached", "echo second", 600));
    VirtualMachineTask second = tasks.awaitFinished("second");

    assertThat(second.getStatus().getPhase())
        .as("log:%n%s", tasks.log(second))
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(second.getStatus().getNodeName()).isEqualTo(first.getStatus().getNodeName());
    assertThat(env.images().requests(E2eEnvironment.GUEST_FILE))
        .as("image downloads after the second task")
        .isEqualTo(downloads);
    assertThat(tasks.image("cached").getStatus().getNodes())
        .extracting("name")
        .contains(first.getStatus().getNodeName());
    assertThat(tasks.log(second))
        .as("log of the second task, status %s", second.getStatus())
        .contains("second");
  }
}
