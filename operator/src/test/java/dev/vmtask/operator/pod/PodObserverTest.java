package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import org.junit.jupiter.api.Test;

class PodObserverTest {
  private static final String REPORT =
      "{\"exitCode\":0,\"reason\":\"Completed\",\"message\":\"ok\",\"acceleration\":\"tcg\"}";

  @Test
  void unscheduledPodIsPending() {
    assertThat(PodObserver.observe(pod(null, "Pending", null)).phase())
        .isEqualTo(TaskPhase.Pending);
  }

  @Test
  void scheduledPodWhoseAgentWaitsIsScheduled() {
    var waiting =
        agent()
            .withNewState()
            .withNewWaiting()
            .withReason("ContainerCreating")
            .endWaiting()
            .endState()
            .build();
    PodObservation seen = PodObserver.observe(pod("node-1", "Pending", waiting));
    assertThat(seen.phase()).isEqualTo(TaskPhase.Scheduled);
    assertThat(seen.nodeName()).isEqualTo("node-1");
    assertThat(PodObserver.observe(pod("node-1", "Pending", null)).phase())
        .isEqualTo(TaskPhase.Scheduled);
  }

  @Test
  void runningAgentIsBootingUntilReady() {
    var booting =
        agent().withReady(false).withNewState().withNewRunning().endRunning().endState().build();
    var ready =
        agent().withReady(true).withNewState().withNewRunning().endRunning().endState().build();
    assertThat(PodObserver.observe(pod("n", "Running", booting)).phase())
        .isEqualTo(TaskPhase.Booting);
    assertThat(PodObserver.observe(pod("n", "Running", ready)).phase())
        .isEqualTo(TaskPhase.Running);
  }

  @Test
  void aPodThatTurnedUnreadyAfterItsAgentStartedWasRunning() {
    var unready =
        agent()
            .withReady(false)
            .withNewState()
            .withNewRunning()
            .withStartedAt("2026-01-01T00:00:05Z")
            .endRunning()
            .endState()
            .build();
    Pod booting = pod("n", "Running", unready);
    booting
        .getStatus()
        .getConditions()
        .add(
            new PodConditionBuilder()
                .withType("Ready")
                .withStatus("False")
                .withLastTransitionTime("2026-01-01T00:00:01Z")
                .build());
    assertThat(PodObserver.observe(booting).phase()).isEqualTo(TaskPhase.Booting);
    assertThat(PodObserver.observe(booting).readinessDropped()).isFalse();

    booting
        .getStatus()
        .getConditions()
        .get(booting.getStatus().getConditions().size() - 1)
        .setLastTransitionTime("2026-01-01T00:00:30Z");
    PodObservation kept = PodObserver.observe(booting);
    assertThat(kept.phase()).isEqualTo(TaskPhase.Running);
    assertThat(kept.readinessDropped()).isTrue();
  }

  @Test
  void terminationReportDecidesTheOutcome() {
    PodObservation seen = PodObserver.observe(pod("n", "Succeeded", terminated(0, null, REPORT)));
    assertThat(seen.phase()).isEqualTo(TaskPhase.Succeeded);
    assertThat(seen.outcome().reason()).isEqualTo(TaskReason.Completed);
    assertThat(seen.outcome().report().acceleration()).isEqualTo("tcg");
    assertThat(seen.outcome().finishedAt()).isEqualTo("2026-01-01T00:00:10Z");

    String nonZero = "{\"exitCode\":3,\"reason\":\"NonZeroExit\",\"message\":\"exited 3\"}";
    seen = PodObserver.observe(pod("n", "Failed", terminated(3, "Error", nonZero)));
    assertThat(seen.phase()).isEqualTo(TaskPhase.Failed);
    assertThat(seen.outcome().exitCode()).isEqualTo(3);
    assertThat(seen.outcome().reason()).isEqualTo(TaskReason.NonZeroExit);
    assertThat(seen.outcome().message()).isEqualTo("exited 3");
  }

  @Test
  void kvmFailedIsReportedAndNotRetried() {
    String kvm =
        "{\"exitCode\":125,\"reason\":\"KvmFailed\",\"message\":\"KVM failed under the guest"
            + " (KVM internal error. Suberror: 1)\",\"acceleration\":\"kvm\"}";
    PodObservation seen = PodObserver.observe(pod("n", "Failed", terminated(125, "Error", kvm)));
    assertThat(seen.outcome().reason()).isEqualTo(TaskReason.KvmFailed);
    assertThat(seen.outcome().message()).startsWith("KVM failed under the guest");
    // the node's KVM just failed: another attempt there would fail the same way
    assertThat(TaskReason.KvmFailed.isRetryable()).isFalse();
  }

  @Test
  void unknownReportedReasonBecomesAgentError() {
    String odd = "{\"exitCode\":125,\"reason\":\"Martians\",\"message\":\"?\"}";
    var outcome = PodObserver.observe(pod("n", "Failed", terminated(125, "Error", odd))).outcome();
    assertThat(outcome.reason()).isEqualTo(TaskReason.AgentError);
    assertThat(outcome.message()).contains("Martians");
  }

  @Test
  void withoutAReportTheKubeletsWordIsUsed() {
    assertThat(reasonOf(pod("n", "Failed", terminated(137, "OOMKilled", null))))
        .isEqualTo(TaskReason.OOMKilled);
    Pod evicted = pod("n", "Failed", null);
    evicted.getStatus().setReason("Evicted");
    evicted.getStatus().setMessage("The node was low on resource: memory.");
    assertThat(reasonOf(evicted)).isEqualTo(TaskReason.Evicted);
    Pod deadline = pod("n", "Failed", terminated(137, "Error", null));
    deadline.getStatus().setReason("DeadlineExceeded");
    assertThat(reasonOf(deadline)).isEqualTo(TaskReason.DeadlineExceeded);
    Pod garbage = pod("n", "Failed", terminated(2, "Error", "Segmentation fault"));
    var outcome = PodObserver.observe(garbage).outcome();
    assertThat(outcome.reason()).isEqualTo(TaskReason.PodFailed);
    assertThat(outcome.exitCode()).isEqualTo(2);
  }

  @Test
  void taintEvictionIsNodeLost() {
    Pod pod = pod("n", "Failed", null);
    pod.getStatus()
        .getConditions()
        .add(
            new PodConditionBuilder()
                .withType("DisruptionTarget")
                .withStatus("True")
                .withReason("DeletionByTaintManager")
                .build());
    assertThat(reasonOf(pod)).isEqualTo(TaskReason.NodeLost);
  }

  @Test
  void aRunningPodTerminatingOnAnUnreachableNodeIsNodeLostAtOnce() {
    Pod pod =
        pod(
            "n",
            "Running",
            agent()
                .withReady(true)
                .withNewState()
                .withNewRunning()
                .endRunning()
                .endState()
                .build());
    pod.getMetadata().setDeletionTimestamp("2026-01-01T00:05:00Z");
    assertThat(PodObserver.observe(pod).finished())
        .as("deleted by someone, on a live node: the agent reports as it stops")
        .isFalse();
    pod.getStatus()
        .getConditions()
        .add(
            new PodConditionBuilder()
                .withType("DisruptionTarget")
                .withStatus("True")
                .withReason("DeletionByTaintManager")
                .build());
    var seen = PodObserver.observe(pod);
    assertThat(seen.phase()).isEqualTo(TaskPhase.Failed);
    assertThat(seen.outcome().reason()).isEqualTo(TaskReason.NodeLost);
    assertThat(seen.outcome().message()).contains("node n stopped answering");
  }

  @Test
  void failedInitContainerIsPodFailedNamingIt() {
    Pod pod = pod("n", "Failed", null);
    pod.getStatus()
        .getInitContainerStatuses()
        .add(
            new ContainerStatusBuilder()
                .withName("prepare-cache")
                .withNewState()
                .withNewTerminated()
                .withExitCode(1)
                .withMessage("install: permission denied")
                .endTerminated()
                .endState()
                .build());
    var outcome = PodObserver.observe(pod).outcome();
    assertThat(outcome.reason()).isEqualTo(TaskReason.PodFailed);
    assertThat(outcome.message()).contains("prepare-cache").contains("permission denied");
  }

  private static TaskReason reasonOf(Pod pod) {
    return PodObserver.observe(pod).outcome().reason();
  }

  private static ContainerStatusBuilder agent() {
    return new ContainerStatusBuilder().withName("agent").withImage("agent");
  }

  private static ContainerStatus terminated(int exit, String reason, String message) {
    return agent()
        .withNewState()
        .withNewTerminated()
        .withExitCode(exit)
        .withReason(reason)
        .withMessage(message)
        .withFinishedAt("2026-01-01T00:00:10Z")
        .endTerminated()
        .endState()
        .build();
  }

  private static Pod pod(String node, String phase, ContainerStatus agent) {
    var pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("t-1")
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .endSpec()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (agent != null) {
      pod.editStatus().addToContainerStatuses(agent).endStatus();
    }
    return pod.build();
  }
}
