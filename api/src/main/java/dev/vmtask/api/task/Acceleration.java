package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How QEMU executes guest code. */
public enum Acceleration {
  /**
   * Use KVM if it is proven to work on the node, else TCG; a KVM that fails before the guest
   * fetched its command is replaced by TCG in the same attempt.
   */
  @JsonProperty("auto")
  AUTO,
  /** KVM only; fail if it does not work ({@code KvmFailed} when it fails under the guest). */
  @JsonProperty("kvm")
  KVM,
  /** TCG software emulation only; /dev/kvm is not mounted. */
  @JsonProperty("tcg")
  TCG
}
