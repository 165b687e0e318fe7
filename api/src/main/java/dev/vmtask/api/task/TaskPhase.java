package dev.vmtask.api.task;

/** Where a VirtualMachineTask is in its life. */
public enum TaskPhase {
  /** Waiting for its image, its pod to be scheduled, or a retry's backoff. */
  Pending,
  /** The pod is bound to a node; its image volume is set up and the agent starts. */
  Scheduled,
  /** The agent runs: VM boot, until the guest fetches its command. */
  Booting,
  /** The guest runs the command. */
  Running,
  /** The command exited 0. */
  Succeeded,
  /** The task failed for good; see reason and message. */
  Failed;

  public boolean isFinished() {
    return this == Succeeded || this == Failed;
  }
}
