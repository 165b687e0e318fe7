package dev.vmtask.agent.task;

/** Why a task ended, as written to the termination message (see docs/agent-contract.md). */
public enum Reason {
  Completed,
  NonZeroExit,
  DeadlineExceeded,
  ImageFailed,
  InvalidMachine,
  QemuCrashed,
  GuestUnresponsive,
  KvmFailed,
  Aborted,
  ArtifactFailed,
  AgentError,
  InputFailed,
  OutputFailed
}
