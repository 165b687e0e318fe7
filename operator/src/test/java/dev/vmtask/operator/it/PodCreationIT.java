package dev.vmtask.operator.it;

import static dev.vmtask.operator.it.ItSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LimitRangeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What becomes of a task whose pod the API server refuses, on a real kube-apiserver with its
 * default admission plugins: refused for now waits and retries by itself, refused for good fails
 * the task with the API server's words, and a name held by someone else's pod is never taken for
 * the task's own.
 */
class PodCreationIT {
  private ItSupport it;
  private ItCluster c;

  @BeforeEach
  void start() throws Exception {
    it = new ItSupport(Map.of());
    c = it.cluster;
  }

  @AfterEach
  void stop() {
    it.close();
  }

  @Test
  void anExceededQuotaWaitsWithAWarningAndThePodComesOnceItIsLifted() {
    c.readyImage("debian");
    quota(0);
    c.createTask(Fixtures.task(c.namespace, "quota", "debian"));
    eventually()
        .untilAsserted(
            () -> {
              Condition refused = condition("quota", "PodCreateFailed").orElseThrow();
              assertThat(refused.getStatus()).isEqualTo("True");
              assertThat(refused.getReason()).isEqualTo("FailedCreate");
              assertThat(refused.getMessage()).contains("exceeded quota");
              assertThat(c.task("quota").getStatus().getPhase()).isEqualTo(TaskPhase.Pending);
              assertThat(condition("quota", "Scheduled").orElseThrow().getReason())
                  .isEqualTo("FailedCreate");
            });
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.events())
                    .filteredOn(e -> "FailedCreate".equals(e.getReason()))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning")));

    c.client.resourceQuotas().inNamespace(c.namespace).withName("pods").delete();
    eventually().until(() -> c.pod("quota-1") != null);
    eventually()
        .untilAsserted(
            () -> {
              Condition refused = condition("quota", "PodCreateFailed").orElseThrow();
              assertThat(refused.getStatus()).isEqualTo("False");
              assertThat(refused.getReason()).isEqualTo("PodCreated");
              assertThat(c.task("quota").getStatus().getPodName()).isEqualTo("quota-1");
            });
  }

  @Test
  void aPodThatAPolicyForbidsFailsTheTaskAndItsTtlStillApplies() {
    c.readyImage("debian");
    // The LimitRanger admission plugin refuses any container asking for more than 1 MiB.
    c.client
        .limitRanges()
        .inNamespace(c.namespace)
        .resource(
            new LimitRangeBuilder()
                .withNewMetadata()
                .withName("tiny")
                .endMetadata()
                .withNewSpec()
                .addNewLimit()
                .withType("Container")
                .withMax(Map.of("memory", new Quantity("1Mi")))
                .endLimit()
                .endSpec()
                .build())
        .create();
    VirtualMachineTask task = Fixtures.task(c.namespace, "tiny", "debian");
    task.getSpec().setTtlSecondsAfterFinished(3L);
    c.createTask(task);
    eventually()
        .untilAsserted(
            () -> {
              var status = c.task("tiny").getStatus();
              assertThat(status.getPhase()).isEqualTo(TaskPhase.Failed);
              assertThat(status.getReason()).isEqualTo(TaskReason.PodRejected);
              assertThat(status.getMessage())
                  .startsWith("the API server refused the pod: ")
                  .contains("maximum memory usage per Container is 1Mi");
              assertThat(status.getCompletionTime()).isNotNull();
            });
    assertThat(c.pods()).noneMatch(p -> p.getMetadata().getName().startsWith("tiny"));
    // Finished without ever having a pod, and deleted after its TTL all the same.
    eventually().until(() -> c.task("tiny") == null);
  }

  @Test
  void aPodHoldingTheAttemptsNameFailsTheTaskInsteadOfPassingForIt() {
    c.readyImage("debian");
    c.client
        .pods()
        .inNamespace(c.namespace)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("db-1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("db")
                .withImage("db:1")
                .endContainer()
                .endSpec()
                .build())
        .create();
    c.createTask(Fixtures.task(c.namespace, "db", "debian"));
    eventually()
        .untilAsserted(
            () -> {
              var status = c.task("db").getStatus();
              assertThat(status.getPhase()).isEqualTo(TaskPhase.Failed);
              assertThat(status.getReason()).isEqualTo(TaskReason.PodRejected);
              assertThat(status.getMessage())
                  .isEqualTo(
                      "a pod named db-1 already exists and does not belong to this"
                          + " VirtualMachineTask; rename the VirtualMachineTask");
            });
    assertThat(c.pod("db-1").getMetadata().getOwnerReferences()).isNullOrEmpty();
  }

  /** A quota of {@code pods} pods, counted as the quota controller would (none runs here). */
  private void quota(int pods) {
    ResourceQuota quota =
        c.client
            .resourceQuotas()
            .inNamespace(c.namespace)
            .resource(
                new ResourceQuotaBuilder()
                    .withNewMetadata()
                    .withName("pods")
                    .endMetadata()
                    .withNewSpec()
                    .addToHard("pods", new Quantity(Integer.toString(pods)))
                    .endSpec()
                    .build())
            .create();
    quota.setStatus(
        new io.fabric8.kubernetes.api.model.ResourceQuotaStatusBuilder()
            .addToHard("pods", new Quantity(Integer.toString(pods)))
            .addToUsed("pods", new Quantity("0"))
            .build());
    c.client.resource(quota).updateStatus();
  }

  private Optional<Condition> condition(String task, String type) {
    var status = c.task(task).getStatus();
    return status == null || status.getConditions() == null
        ? Optional.empty()
        : status.getConditions().stream().filter(x -> x.getType().equals(type)).findFirst();
  }
}
