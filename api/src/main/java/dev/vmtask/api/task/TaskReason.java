package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Why a task attempt ended. The agent reports the first thirteen; the operator observes the rest.
 */
public enum TaskReason {
  Completed("the guest command exited 0", false),
  NonZeroExit("the guest command exited with a non-zero code (exitCode)", true),
  DeadlineExceeded("the command ran longer than maxRunTimeSeconds", true),
  ImageFailed("the image could not be fetched, verified or opened", false),
  InvalidMachine("the machine cannot be built on the node (limits, devices)", false),
  QemuCrashed("QEMU exited unexpectedly", true),
  GuestUnresponsive("the guest never fetched its command or stopped answering", true),
  // Not retried: the attempt lands on a node whose KVM just failed; auto already went on under TCG.
  KvmFailed("KVM failed under the guest (kvm acceleration, or after the command started)", false),
  Aborted("the task was stopped before its command ended", true),
  ArtifactFailed("an artifact could not be copied out of the guest", true),
  AgentError("the agent failed for a reason of its own", true),
  // Not retried: the same input would be missing or too large again.
  InputFailed("an input file is missing, too large, or could not be written in the guest", false),
  // Not retried: a guest that did not power off cleanly, or a full claim, would do so again.
  OutputFailed(
      "the guest did not power off cleanly, or its disk could not be packaged (spec.output)",
      false),
  NodeLost("the pod's node went away or the pod was deleted", true),
  Evicted("the kubelet evicted the pod (node pressure)", true),
  OOMKilled("the pod exceeded its memory limit", true),
  PodFailed("the pod failed without a report from the agent", true),
  // Not retried: the same pod would be refused again (Pod Security, a LimitRange, a name taken).
  PodRejected("the API server refused the task's pod for good (see message)", false),
  // Not retried: no attempt can run until a node's KVM verdict changes.
  KvmUnavailable("acceleration kvm, and no VM node offers devices.vmtask.dev/kvm", false);

  private final String description;
  private final boolean retryable;

  TaskReason(String description, boolean retryable) {
    this.description = description;
    this.retryable = retryable;
  }

  /** One line for documentation and events. */
  public String description() {
    return description;
  }

  /** Whether another attempt can help; only failures can be retried. */
  public boolean isRetryable() {
    return retryable;
  }

  /**
   * The reason named {@code name}, or null if there is none: also how JSON is read, so a reason
   * written by a newer operator never stops an older one from reading the task.
   */
  @JsonCreator
  public static TaskReason parse(String name) {
    for (TaskReason r : values()) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    return null;
  }
}
