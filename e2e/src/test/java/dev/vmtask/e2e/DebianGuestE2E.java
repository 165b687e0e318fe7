package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

/**
 * An unmodified Debian bookworm cloud image (systemd, cloud-init, Debian's cloud kernel, nothing of
 * vmtask) as a user brings it: a plain qcow2 VMImage with no machine settings. The agent starts it
 * through a cloud-init config drive, and the VM gets virtio devices.
 */
@Testbed(Mode.FULL)
class DebianGuestE2E {
  private static final String FILE = "debian.qcow2";

  @Test
  void aTaskRunsOnAnUnmodifiedCloudImage(KubernetesClient client, TestNamespace namespace) {
    E2eEnvironment env = E2eEnvironment.get(client);
    GuestImage debian = GuestImage.debian();
    env.images().serve(FILE, debian.archive());
    Tasks tasks = new Tasks(client, namespace.name());
    tasks.createImage(
        """
        apiVersion: vmtask.dev/v1alpha1
        kind: VMImage
        metadata:
          name: debian
        spec:
          source:
            http:
              url: %s
          sha256: "%s"
          format: qcow2
        """
            .formatted(env.images().url(FILE), debian.sha256()));
    tasks.create(
        """
        apiVersion: vmtask.dev/v1alpha1
        kind: VirtualMachineTask
        metadata:
          name: bookworm
        spec:
          image: debian
          script: |
            echo "debian $(cat /etc/debian_version)"
            uname -r
            systemctl is-active cloud-init.service
            exit 4
          maxRunTimeSeconds: 600
          machine:
            cpus: 1
            memoryMiB: 1024
        """);

    VirtualMachineTask done = tasks.awaitFinished("bookworm");

    String log = tasks.log(done);
    assertThat(done.getStatus().getReason())
        .as("status %s, log:%n%s", done.getStatus(), log)
        .isEqualTo(TaskReason.NonZeroExit);
    assertThat(done.getStatus().getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(done.getStatus().getExitCode()).isEqualTo(4);
    assertThat(log).containsPattern("debian 12\\.\\d+").contains("-cloud-amd64");
    assertThat(tasks.image("debian").getStatus().getPhase()).isEqualTo(ImagePhase.Ready);
  }
}
