package dev.vmtask.api.machine;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The emulated chipset (QEMU machine type). */
public enum Chipset {
  /** i440FX + PIIX, the widest guest support. */
  @JsonProperty("pc")
  PC,
  /** Q35 + ICH9, PCI Express. */
  @JsonProperty("q35")
  Q35
}
