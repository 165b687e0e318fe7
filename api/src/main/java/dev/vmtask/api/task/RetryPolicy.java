package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Set;

/**
 * Which failed attempts {@code backoffLimit} retries, in the spirit of a Job's podFailurePolicy: by
 * default only the infrastructure's failures, never the guest command's own.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.reasons) || self.reasons.all(r, r in ['NonZeroExit', 'DeadlineExceeded',"
            + " 'QemuCrashed', 'GuestUnresponsive', 'Aborted', 'ArtifactFailed', 'AgentError',"
            + " 'NodeLost', 'Evicted', 'OOMKilled', 'PodFailed'])",
    message =
        "reasons may only name retryable reasons: NonZeroExit, DeadlineExceeded, QemuCrashed,"
            + " GuestUnresponsive, Aborted, ArtifactFailed, AgentError, NodeLost, Evicted,"
            + " OOMKilled, PodFailed")
public class RetryPolicy {
  /** Failures of the infrastructure (the node, the pod, QEMU, the agent), retried by default. */
  public static final Set<TaskReason> INFRASTRUCTURE =
      Set.of(
          TaskReason.QemuCrashed,
          TaskReason.GuestUnresponsive,
          TaskReason.Aborted,
          TaskReason.ArtifactFailed,
          TaskReason.AgentError,
          TaskReason.NodeLost,
          TaskReason.Evicted,
          TaskReason.OOMKilled,
          TaskReason.PodFailed);

  @JsonPropertyDescription(
      "Reasons whose failed attempts are retried. Default: the infrastructure's failures"
          + " (QemuCrashed, GuestUnresponsive, Aborted, ArtifactFailed, AgentError, NodeLost,"
          + " Evicted, OOMKilled, PodFailed). Add NonZeroExit or DeadlineExceeded to retry the"
          + " guest command's own failures; a list replaces the default.")
  @Size(max = 16)
  private List<TaskReason> reasons;

  @JsonPropertyDescription(
      "Exit codes of the guest command (1-255) whose NonZeroExit attempts are retried even when"
          + " reasons does not list NonZeroExit, e.g. a test runner's code for a flaky run.")
  @Size(max = 32)
  private List<@Min(1) @Max(255) Integer> exitCodes;

  public List<TaskReason> getReasons() {
    return reasons;
  }

  public void setReasons(List<TaskReason> reasons) {
    this.reasons = reasons;
  }

  public List<Integer> getExitCodes() {
    return exitCodes;
  }

  public void setExitCodes(List<Integer> exitCodes) {
    this.exitCodes = exitCodes;
  }

  /** Whether an attempt that ended with {@code reason} and {@code exitCode} is retried. */
  public boolean retries(TaskReason reason, int exitCode) {
    if (!reason.isRetryable()) {
      return false;
    }
    if ((reasons == null ? INFRASTRUCTURE : Set.copyOf(reasons)).contains(reason)) {
      return true;
    }
    return reason == TaskReason.NonZeroExit && exitCodes != null && exitCodes.contains(exitCode);
  }
}
