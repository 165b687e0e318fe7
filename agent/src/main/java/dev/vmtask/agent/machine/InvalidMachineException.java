package dev.vmtask.agent.machine;

import java.util.List;

/**
 * A machine definition that cannot be used: schema violations (each with its JSON path) or a
 * request beyond the node's limits. The message lists every problem, one per line.
 */
public final class InvalidMachineException extends Exception {
  private final List<String> problems;

  public InvalidMachineException(String heading, List<String> problems) {
    super(heading + (problems.isEmpty() ? "" : ":\n  " + String.join("\n  ", problems)));
    this.problems = List.copyOf(problems);
  }

  public InvalidMachineException(String problem) {
    super(problem);
    this.problems = List.of(problem);
  }

  /** Each problem on its own, e.g. {@code "memory: must be at most 1048576, got 0"}. */
  public List<String> problems() {
    return problems;
  }
}
