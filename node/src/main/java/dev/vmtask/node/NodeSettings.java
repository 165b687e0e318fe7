package dev.vmtask.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The node daemon's settings, from the environment the chart sets (docs/install.md, "The node
 * daemon and KVM"). A malformed value stops startup with a message naming the variable.
 */
public record NodeSettings(
    String nodeName,
    Path devicePluginDir,
    Path stateDir,
    Path kvmDevice,
    String qemuBinary,
    Path probeKernel,
    Path probeInitrd,
    int kvmSlots,
    Duration probeTimeout,
    String verdictOverride) {

  public static NodeSettings fromEnv(Map<String, String> env) {
    return new NodeSettings(
        blankToNull(env.get("NODE_NAME")),
        Path.of(
            env.getOrDefault("VMTASK_NODE_DEVICE_PLUGIN_DIR", "/var/lib/kubelet/device-plugins")),
        Path.of(env.getOrDefault("VMTASK_NODE_STATE_DIR", "/var/lib/vmtask/node")),
        Path.of(env.getOrDefault("VMTASK_NODE_KVM_DEVICE", "/dev/kvm")),
        env.getOrDefault("VMTASK_NODE_QEMU", "qemu-system-x86_64"),
        Path.of(env.getOrDefault("VMTASK_NODE_PROBE_KERNEL", "/opt/vmtask/probe/vmlinuz")),
        Path.of(env.getOrDefault("VMTASK_NODE_PROBE_INITRD", "/opt/vmtask/probe/initrd.img")),
        number(env, "VMTASK_NODE_KVM_SLOTS", 110, 1, 10000),
        Duration.ofSeconds(number(env, "VMTASK_NODE_PROBE_TIMEOUT_SECONDS", 60, 5, 600)),
        override(env.get("VMTASK_NODE_VERDICT_OVERRIDE")));
  }

  private static int number(Map<String, String> env, String name, int fallback, int min, int max) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        name + "=" + v + " is invalid: expected an integer between " + min + " and " + max);
  }

  private static String override(String v) {
    String o = blankToNull(v);
    if (o == null || o.equals("usable") || o.equals("unusable")) {
      return o;
    }
    throw new IllegalArgumentException(
        "VMTASK_NODE_VERDICT_OVERRIDE=" + v + " is invalid: expected usable, unusable or empty");
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }
}
