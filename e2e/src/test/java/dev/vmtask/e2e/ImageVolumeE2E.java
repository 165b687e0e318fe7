package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node daemon's image volumes when the daemon itself goes away. */
@Testbed(Mode.FULL)
class ImageVolumeE2E {
  private static final Path NODE_CACHE = Path.of("/var/lib/vmtask/cache");

  private E2eEnvironment env;
  private Tasks tasks;

  @BeforeEach
  void setUp(KubernetesClient client, TestNamespace namespace) {
    env = E2eEnvironment.get(client);
    tasks = new Tasks(client, namespace.name());
  }

  @Test
  void restartingTheDaemonWhileATaskRunsLeavesTheTaskUnharmed() {
    tasks.createImage(Manifests.image("guest", env.guestUrl(), env.guest().sha256()));
    tasks.create(
        Manifests.task(
            "steady", "guest", "echo before; sleep 30; cat /proc/uptime; echo after", 600));
    tasks.awaitPhase("steady", TaskPhase.Running);

    env.release().restartNodeDaemon(30);

    VirtualMachineTask done = tasks.awaitFinished("steady");
    String log = tasks.log(done);
    assertThat(done.getStatus().getPhase())
        .as("status %s, log:%n%s", done.getStatus(), log)
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(log).contains("before").contains("after");
    // The restarted daemon serves the next task as well.
    tasks.create(Manifests.task("next", "guest", "echo next", 600));
    assertThat(tasks.awaitFinished("next").getStatus().getPhase()).isEqualTo(TaskPhase.Succeeded);
  }

  @Test
  void killingTheDaemonMidFetchEndsInOneCompleteEntry(@TempDir Path dir) throws Exception {
    byte[] disk = new byte[12 << 20];
    new Random().nextBytes(disk);
    String file = "slow-" + dir.getFileName() + ".img";
    String url = env.images().serveSlowly(file, Files.write(dir.resolve(file), disk), 1 << 20);
    String sha256 = Digests.sha256(disk);
    tasks.createImage(
        Manifests.image("slow", url, sha256).replace("format: tar.zst", "format: raw"));
    await("the daemon's download to start")
        .atMost(Duration.ofMinutes(3))
        .until(() -> env.images().requests(file) >= 1);

    env.release().restartNodeDaemon(0);

    assertThat(tasks.awaitImage("slow", ImagePhase.Ready).getStatus().getDigest())
        .isEqualTo("sha256:" + sha256);
    assertThat(env.images().requests(file))
        .as("the kubelet's retry fetched again")
        .isGreaterThan(1);
    if (env.onTheNode()) {
      assertThat(NODE_CACHE.resolve("sha256").resolve(sha256).resolve("disk.img"))
          .hasSize(disk.length);
      try (Stream<Path> leftovers = Files.list(NODE_CACHE.resolve("tmp"))) {
        assertThat(leftovers.map(p -> p.getFileName().toString()))
            .as("nothing half-published left behind")
            .noneMatch(name -> name.startsWith(sha256));
      }
    }
  }
}
