package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A guest variable from a Secret: the guest command sees the value; the task, its pod and the pod's
 * log never hold it. A missing Secret holds the pod with the kubelet's reason in status, then fails
 * the task as InputFailed once the grace for missing inputs is up.
 */
@Testbed(Mode.FULL)
class TaskSecretEnvE2E {
  private static final String IMAGE = "guest";
  private static final String VALUE = "s3cr3t-4b1d-9f2c";

  private Tasks tasks;

  @BeforeEach
  void imageInNamespace(KubernetesClient client, TestNamespace namespace) {
    tasks = Tasks.withGuestImage(client, namespace.name(), IMAGE);
  }

  @Test
  void theValueReachesTheGuestCommandAndNothingElse(
      KubernetesClient client, TestNamespace namespace) throws Exception {
    client
        .secrets()
        .inNamespace(namespace.name())
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("ci-token")
                .endMetadata()
                .addToStringData("token", VALUE)
                .build())
        .create();
    tasks.create(
        Manifests.task("secret", IMAGE, "printf %s \"$TOKEN\" | sha256sum", 600)
            + """
              env:
                - name: TOKEN
                  valueFrom:
                    secretKeyRef: {name: ci-token, key: token}
            """);

    VirtualMachineTask done = tasks.awaitFinished("secret");

    String log = tasks.log(done);
    assertThat(done.getStatus().getPhase())
        .as("%s%n%s", done.getStatus(), log)
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(log).as("the guest saw the value").contains(sha256(VALUE));
    Pod pod = tasks.pod(done).orElseThrow();
    assertThat(Serialization.asJson(done)).doesNotContain(VALUE);
    assertThat(Serialization.asJson(pod)).doesNotContain(VALUE);
    assertThat(log).doesNotContain(VALUE);
  }

  @Test
  void aMissingSecretHoldsThePodWithTheKubeletsReasonThenFailsTheTask() {
    tasks.create(
        Manifests.task("nosecret", IMAGE, "true", 600)
            + """
              env:
                - name: TOKEN
                  valueFrom:
                    secretKeyRef: {name: absent, key: token}
            """);
    var running =
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> Tasks.condition(tasks.get("nosecret"), "Running"),
                c -> "CreateContainerConfigError".equals(c.getReason()));
    assertThat(running.getMessage()).contains("secret \"absent\" not found");
    VirtualMachineTask failed = tasks.awaitFinished("nosecret");
    assertThat(failed.getStatus().getReason()).isEqualTo(TaskReason.InputFailed);
    assertThat(failed.getStatus().getMessage()).contains("secret \"absent\" not found");
    assertThat(failed.getStatus().getAttempts()).as("InputFailed is not retried").isEqualTo(1);
    // The held pod is deleted: gone, or terminating.
    tasks
        .pod(failed)
        .ifPresent(
            p ->
                assertThat(p.getMetadata().getDeletionTimestamp())
                    .as("deletionTimestamp of %s", p.getMetadata().getName())
                    .isNotNull());
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
