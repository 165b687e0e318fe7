package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How QEMU executes guest code. */
public enum Acceleration {
  /**
   * KVM where the chart declares it on VM nodes and some node's verdict proved it, else TCG; a KVM
   * that fails before the guest fetched its command is replaced by TCG in the same attempt.
   */
  @JsonProperty("auto")
  AUTO,
  /**
   * KVM only, on a node whose verdict proved it ({@code KvmUnavailable} when there is none, {@code
   * KvmFailed} when it fails under the guest).
   */
  @JsonProperty("kvm")
  KVM,
  /** TCG software emulation only; no KVM device is requested. */
  @JsonProperty("tcg")
  TCG
}
