package dev.vmtask.agent.task;

/** A task description the agent cannot run; the message names the field. */
public final class TaskSpecException extends Exception {
  public TaskSpecException(String message) {
    super(message);
  }

  public TaskSpecException(String message, Throwable cause) {
    super(message, cause);
  }
}
