package dev.vmtask.operator.pod;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;

/**
 * What a task pod says about its attempt: the phase it maps to, its node, and once finished the
 * outcome. {@code readinessDropped}: the agent is running but its pod turned unready after having
 * been ready, which is how the agent says it keeps a failed command's VM for inspection.
 */
public record PodObservation(
    TaskPhase phase, String nodeName, Outcome outcome, boolean readinessDropped) {

  public PodObservation(TaskPhase phase, String nodeName, Outcome outcome) {
    this(phase, nodeName, outcome, false);
  }

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
