package dev.vmtask.agent.vm;

import java.util.Locale;

/** How QEMU executes the guest: {@code auto} is resolved to KVM or TCG before a VM starts. */
public enum Acceleration {
  AUTO,
  KVM,
  TCG;

  public static Acceleration parse(String s) {
    if (s == null || s.isBlank()) {
      return AUTO;
    }
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("acceleration must be auto, kvm or tcg, got '" + s + "'");
    }
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
