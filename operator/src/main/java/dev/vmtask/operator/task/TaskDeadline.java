package dev.vmtask.operator.task;

import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.PodObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The task's own deadline ({@code spec.activeDeadlineSeconds} from its creation), which the
 * operator enforces whatever the phase: a task waiting for a node, a pod whose kubelet is gone, or
 * a retry's backoff all count, as a Job's activeDeadlineSeconds does.
 */
record TaskDeadline(Instant at, long seconds) {

  static Optional<TaskDeadline> of(VirtualMachineTask task) {
    Long seconds = task.getSpec().getActiveDeadlineSeconds();
    String created = task.getMetadata().getCreationTimestamp();
    if (seconds == null || created == null) {
      return Optional.empty();
    }
    return Optional.of(new TaskDeadline(Instant.parse(created).plusSeconds(seconds), seconds));
  }

  boolean passed(Instant now) {
    return !now.isBefore(at);
  }

  /** {@code recheck}, or the deadline if that comes first. */
  Duration sooner(Duration recheck, Instant now) {
    Duration left = Duration.between(now, at);
    return recheck == null || left.compareTo(recheck) < 0 ? left : recheck;
  }

  PodObservation.Outcome outcome(String phase, Instant now) {
    return new PodObservation.Outcome(
        PodObserver.AGENT_FAILURE_EXIT,
        TaskReason.DeadlineExceeded,
        "the task exceeded its activeDeadlineSeconds (" + seconds + " s) while " + phase,
        null,
        now.toString());
  }
}
