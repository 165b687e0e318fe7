package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How QEMU executes guest code. */
public enum Acceleration {
  /** Use KVM if it is proven to work on the node, else TCG. */
  @JsonProperty("auto")
  AUTO,
  /** KVM only; fail if it does not work. */
  @JsonProperty("kvm")
  KVM,
  /** TCG software emulation only; /dev/kvm is not mounted. */
  @JsonProperty("tcg")
  TCG
}
