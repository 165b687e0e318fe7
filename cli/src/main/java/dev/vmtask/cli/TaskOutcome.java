package dev.vmtask.cli;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTaskStatus;

/**
 * How a finished task is reported by {@code wait}: one line, and the exit code the plugin ends
 * with. The guest command's exit code passes through, so {@code kubectl vmtask wait} can stand in
 * for the command in a script.
 */
record TaskOutcome(String line, int exitCode) {

  /** The outcome of task {@code name} whose status says it finished. */
  static TaskOutcome of(String name, VirtualMachineTaskStatus status) {
    TaskPhase phase = status.getPhase();
    StringBuilder line = new StringBuilder(name).append(' ').append(phase);
    StringBuilder detail = new StringBuilder();
    if (status.getReason() != null) {
      detail.append(status.getReason());
    }
    if (status.getExitCode() != null) {
      detail.append(detail.isEmpty() ? "" : ", ").append("exit code ").append(status.getExitCode());
    }
    if (!detail.isEmpty()) {
      line.append(" (").append(detail).append(')');
    }
    if (status.getMessage() != null && !status.getMessage().isBlank()) {
      line.append(": ").append(status.getMessage());
    }
    return new TaskOutcome(line.toString(), exitCode(status));
  }

  /** The guest's exit code when there is one, else 0 for Succeeded and 1 for Failed. */
  static int exitCode(VirtualMachineTaskStatus status) {
    if (status.getExitCode() != null) {
      return status.getExitCode();
    }
    return status.getPhase() == TaskPhase.Succeeded ? 0 : 1;
  }
}
