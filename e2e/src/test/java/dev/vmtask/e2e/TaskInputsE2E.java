package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Input files from a ConfigMap, copied into the guest before its command, through the chart. */
@Testbed(Mode.FULL)
class TaskInputsE2E {
  private static final String IMAGE = "guest";

  private Tasks tasks;

  @BeforeEach
  void imageInNamespace(KubernetesClient client, TestNamespace namespace) {
    tasks = Tasks.withGuestImage(client, namespace.name(), IMAGE);
  }

  @Test
  void aConfigMapsKeysArriveIntactAndAnUnwritablePathIsInputFailed(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    byte[] blob = new byte[200_000];
    new Random(42).nextBytes(blob);
    client
        .configMaps()
        .inNamespace(namespace.name())
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("inputs")
                .endMetadata()
                .addToData("run.sh", "echo from-the-configmap\n")
                .addToBinaryData("blob.bin", Base64.getEncoder().encodeToString(blob))
                .build())
        .create();
    tasks.create(
        Manifests.task(
                "inputs", IMAGE, "/opt/run.sh; sha256sum /root/data/blob.bin | cut -d' ' -f1", 600)
            + """
              inputs:
                - path: /opt/run.sh
                  mode: 493
                  configMap: {name: inputs, key: run.sh}
                - path: /root/data/blob.bin
                  configMap: {name: inputs, key: blob.bin}
            """);

    VirtualMachineTask done = tasks.awaitFinished("inputs");
    String log = tasks.log(done);
    assertThat(done.getStatus().getPhase())
        .as("%s%n%s", done.getStatus(), log)
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(log)
        .contains("from-the-configmap")
        .contains(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob)));

    tasks.create(
        Manifests.task("clash", IMAGE, "echo should-not-run", 600)
            + """
              inputs:
                - path: /etc
                  configMap: {name: inputs, key: run.sh}
            """);
    VirtualMachineTask failed = tasks.awaitFinished("clash");
    assertThat(failed.getStatus().getReason())
        .as("%s", failed.getStatus())
        .isEqualTo(TaskReason.InputFailed);
    assertThat(failed.getStatus().getMessage()).contains("/etc");
    assertThat(tasks.log(failed)).doesNotContain("should-not-run");
  }

  @Test
  void aMissingClaimFailsTheTaskWithTheSchedulersReason() {
    tasks.create(
        Manifests.task("noclaim", IMAGE, "echo should-not-run", 600)
            + """
              inputs:
                - path: /root/tool.tar
                  volume: {claimName: nowhere, subPath: tool.tar}
            """);

    VirtualMachineTask failed = tasks.awaitFinished("noclaim");

    assertThat(failed.getStatus().getReason())
        .as("%s", failed.getStatus())
        .isEqualTo(TaskReason.InputFailed);
    assertThat(failed.getStatus().getMessage())
        .contains("persistentvolumeclaim \"nowhere\" not found");
  }
}
