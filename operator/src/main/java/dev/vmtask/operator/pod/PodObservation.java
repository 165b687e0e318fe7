package dev.vmtask.operator.pod;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;

/**
 * What a task pod says about its attempt: the phase it maps to, its node, and once finished the
 * outcome.
 */
public record PodObservation(TaskPhase phase, String nodeName, Outcome outcome) {

  /** How a finished attempt ended; {@code report} is null when the agent left none. */
  public record Outcome(
      int exitCode,
      TaskReason reason,
      String message,
      TerminationReport report,
      String finishedAt) {

    public boolean succeeded() {
      return reason == TaskReason.Completed;
    }
  }

  public boolean finished() {
    return outcome != null;
  }
}
