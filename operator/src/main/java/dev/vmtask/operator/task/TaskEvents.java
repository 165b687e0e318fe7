package dev.vmtask.operator.task;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.EventRecorder;
import java.util.Objects;

/** One Event per phase change (and per new attempt), with the reason when there is one. */
final class TaskEvents {
  private TaskEvents() {}

  static void transition(
      EventRecorder events,
      VirtualMachineTask task,
      VirtualMachineTaskStatus old,
      VirtualMachineTaskStatus next) {
    TaskPhase from = old == null ? null : old.getPhase();
    boolean newAttempt =
        !Objects.equals(old == null ? null : old.getAttempts(), next.getAttempts());
    boolean newRetry =
        next.getNextAttemptTime() != null
            && !next.getNextAttemptTime().equals(old == null ? null : old.getNextAttemptTime());
    if (from == next.getPhase() && !newAttempt && !newRetry) {
      return;
    }
    String reason = next.getReason() == null ? next.getPhase().name() : next.getReason().name();
    String note = next.getPhase() + ": " + next.getMessage();
    if (next.getPhase() == TaskPhase.Failed || newRetry) {
      events.warning(task, reason, next.getPhase().name(), note);
    } else {
      events.normal(task, reason, next.getPhase().name(), note);
    }
  }
}
