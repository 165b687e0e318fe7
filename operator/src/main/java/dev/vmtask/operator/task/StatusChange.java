package dev.vmtask.operator.task;

import dev.vmtask.api.task.VirtualMachineTaskStatus;
import java.util.Objects;

/** A task's status before and after a successful write: what events and metrics report. */
record StatusChange(VirtualMachineTaskStatus old, VirtualMachineTaskStatus next) {

  boolean phaseChanged() {
    return old == null || old.getPhase() != next.getPhase();
  }

  boolean newAttempt() {
    return !Objects.equals(old == null ? null : old.getAttempts(), next.getAttempts());
  }

  /** A failed attempt is to be retried at a time not announced before. */
  boolean newRetry() {
    return next.getNextAttemptTime() != null
        && !next.getNextAttemptTime().equals(old == null ? null : old.getNextAttemptTime());
  }

  /** The task reached Succeeded or Failed with this write. */
  boolean finished() {
    return next.getPhase() != null && next.getPhase().isFinished() && phaseChanged();
  }
}
