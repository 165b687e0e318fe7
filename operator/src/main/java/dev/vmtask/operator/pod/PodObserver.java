package dev.vmtask.operator.pod;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a task pod's status to a task phase (no node: Pending; node, agent not running: Scheduled;
 * running, not ready: Booting; ready: Running) and, once the pod ended, to an outcome: the agent's
 * termination report if it left one, else what the kubelet and the control plane say.
 */
public final class PodObserver {
  /** Exit code of every failure that is not the guest's own (docs/agent-contract.md). */
  public static final int AGENT_FAILURE_EXIT = 125;

  private static final Set<String> NODE_LOST_DISRUPTIONS =
      Set.of("DeletionByTaintManager", "DeletionByPodGC");

  private PodObserver() {}

  public static PodObservation observe(Pod pod) {
    PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    Optional<ContainerStatus> agent = container(status.getContainerStatuses());
    ContainerStateTerminated terminated =
        agent.map(c -> c.getState() == null ? null : c.getState().getTerminated()).orElse(null);
    if (terminated != null
        || "Succeeded".equals(status.getPhase())
        || "Failed".equals(status.getPhase())) {
      PodObservation.Outcome outcome = outcome(status, terminated);
      return new PodObservation(
          outcome.succeeded() ? TaskPhase.Succeeded : TaskPhase.Failed, node, outcome);
    }
    if (pod.getMetadata() != null
        && pod.getMetadata().getDeletionTimestamp() != null
        && nodeLostDisruption(status.getConditions())) {
      // Terminating on a node that stopped answering: it may never report, so the attempt is over.
      return new PodObservation(
          TaskPhase.Failed,
          node,
          derived(
              AGENT_FAILURE_EXIT,
              TaskReason.NodeLost,
              "the pod's node " + node + " stopped answering and the pod is being deleted from it",
              null));
    }
    if (node == null || node.isEmpty()) {
      return new PodObservation(TaskPhase.Pending, null, null);
    }
    boolean running =
        agent.map(c -> c.getState() != null && c.getState().getRunning() != null).orElse(false);
    if (!running) {
      return new PodObservation(TaskPhase.Scheduled, node, null);
    }
    boolean ready = agent.map(c -> Boolean.TRUE.equals(c.getReady())).orElse(false);
    if (ready) {
      return new PodObservation(TaskPhase.Running, node, null);
    }
    boolean dropped = readinessDropped(status, agent.get().getState().getRunning().getStartedAt());
    return new PodObservation(dropped ? TaskPhase.Running : TaskPhase.Booting, node, null, dropped);
  }

  /**
   * True when the pod is unready but its Ready condition last changed after the agent started: it
   * was ready (the guest ran its command) and is no more. The kubelet keeps that time, so this
   * holds even when the operator never saw the pod ready.
   */
  private static boolean readinessDropped(PodStatus status, String agentStartedAt) {
    if (agentStartedAt == null || status.getConditions() == null) {
      return false;
    }
    return status.getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()) && "False".equals(c.getStatus()))
        .map(PodCondition::getLastTransitionTime)
        .filter(t -> t != null)
        .anyMatch(t -> Instant.parse(t).isAfter(Instant.parse(agentStartedAt)));
  }

  /**
   * Milliseconds from the pod's scheduling to its agent's start (the image volume and the
   * container), or null when the pod does not say both.
   */
  public static Long startMillis(Pod pod) {
    PodStatus status = pod.getStatus();
    if (status == null || status.getConditions() == null) {
      return null;
    }
    String scheduled =
        status.getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()) && "True".equals(c.getStatus()))
            .map(PodCondition::getLastTransitionTime)
            .findFirst()
            .orElse(null);
    String started =
        container(status.getContainerStatuses())
            .map(c -> c.getState())
            .map(
                s ->
                    s.getRunning() != null
                        ? s.getRunning().getStartedAt()
                        : s.getTerminated() != null ? s.getTerminated().getStartedAt() : null)
            .orElse(null);
    if (scheduled == null || started == null) {
      return null;
    }
    return java.time.Duration.between(
            java.time.Instant.parse(scheduled), java.time.Instant.parse(started))
        .toMillis();
  }

  /** The attempt's pod waited too long for a Secret, ConfigMap or claim that does not exist. */
  public static PodObservation.Outcome missingInput(String podName, String why, long waited) {
    return derived(
        AGENT_FAILURE_EXIT,
        TaskReason.InputFailed,
        "pod " + podName + " " + why + " (waited " + waited + " s for it)",
        null);
  }

  /** The attempt whose pod disappeared before it finished: its node, or someone, took it. */
  public static PodObservation.Outcome vanished(String podName) {
    return derived(
        AGENT_FAILURE_EXIT,
        TaskReason.NodeLost,
        "pod " + podName + " disappeared before it finished",
        null);
  }

  static PodObservation.Outcome outcome(PodStatus status, ContainerStateTerminated terminated) {
    String finishedAt = terminated == null ? null : terminated.getFinishedAt();
    Optional<TerminationReport> report =
        TerminationReport.parse(terminated == null ? null : terminated.getMessage());
    if (report.isPresent()) {
      return fromReport(report.get(), terminated, finishedAt);
    }
    Integer containerExit = terminated == null ? null : terminated.getExitCode();
    int exit = containerExit == null ? AGENT_FAILURE_EXIT : containerExit;
    String podReason = status.getReason();
    if ("Evicted".equals(podReason)) {
      return derived(exit, TaskReason.Evicted, status.getMessage(), finishedAt);
    }
    if (terminated != null && "OOMKilled".equals(terminated.getReason())) {
      return derived(
          exit, TaskReason.OOMKilled, "the agent exceeded the pod's memory limit", finishedAt);
    }
    if ("DeadlineExceeded".equals(podReason)) {
      return derived(
          exit, TaskReason.DeadlineExceeded, "the pod exceeded activeDeadlineSeconds", finishedAt);
    }
    if ("NodeLost".equals(podReason) || nodeLostDisruption(status.getConditions())) {
      return derived(exit, TaskReason.NodeLost, "the pod's node was lost", finishedAt);
    }
    Optional<String> initFailure = initFailure(status.getInitContainerStatuses());
    if (initFailure.isPresent()) {
      return derived(AGENT_FAILURE_EXIT, TaskReason.PodFailed, initFailure.get(), finishedAt);
    }
    if (containerExit != null && containerExit == 0) {
      return derived(0, TaskReason.Completed, "the agent exited 0 without a report", finishedAt);
    }
    return derived(exit, TaskReason.PodFailed, podFailure(status, terminated), finishedAt);
  }

  private static PodObservation.Outcome fromReport(
      TerminationReport report, ContainerStateTerminated terminated, String finishedAt) {
    int exit =
        report.exitCode() != null
            ? report.exitCode()
            : terminated.getExitCode() != null ? terminated.getExitCode() : AGENT_FAILURE_EXIT;
    TaskReason reason = TaskReason.parse(report.reason());
    String message = report.message();
    if (reason == null) {
      reason = exit == 0 ? TaskReason.Completed : TaskReason.AgentError;
      message = "agent reported unknown reason " + report.reason() + ": " + message;
    }
    return new PodObservation.Outcome(exit, reason, message, report, finishedAt);
  }

  private static PodObservation.Outcome derived(
      int exit, TaskReason reason, String message, String finishedAt) {
    return new PodObservation.Outcome(exit, reason, message, null, finishedAt);
  }

  private static boolean nodeLostDisruption(List<PodCondition> conditions) {
    return conditions != null
        && conditions.stream()
            .anyMatch(
                c ->
                    "DisruptionTarget".equals(c.getType())
                        && "True".equals(c.getStatus())
                        && NODE_LOST_DISRUPTIONS.contains(c.getReason()));
  }

  private static Optional<String> initFailure(List<ContainerStatus> init) {
    if (init == null) {
      return Optional.empty();
    }
    return init.stream()
        .filter(c -> c.getState() != null && c.getState().getTerminated() != null)
        .filter(c -> !Integer.valueOf(0).equals(c.getState().getTerminated().getExitCode()))
        .findFirst()
        .map(
            c ->
                "init container "
                    + c.getName()
                    + " failed with exit code "
                    + c.getState().getTerminated().getExitCode()
                    + suffix(c.getState().getTerminated().getMessage()));
  }

  private static String podFailure(PodStatus status, ContainerStateTerminated terminated) {
    if (terminated != null) {
      return "the agent exited with "
          + terminated.getExitCode()
          + " without a report"
          + suffix(terminated.getReason());
    }
    return "the pod failed" + suffix(status.getReason()) + suffix(status.getMessage());
  }

  /** ": detail", or nothing when there is no detail. */
  static String suffix(String detail) {
    return detail == null || detail.isBlank() ? "" : ": " + detail.strip();
  }

  /** The agent's container status, if the kubelet reported one. */
  static Optional<ContainerStatus> container(List<ContainerStatus> statuses) {
    return statuses == null
        ? Optional.empty()
        : statuses.stream().filter(c -> "agent".equals(c.getName())).findFirst();
  }
}
