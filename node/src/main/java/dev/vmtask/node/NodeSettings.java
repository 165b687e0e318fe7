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
    String verdictOverride,
    Path kubeletDir,
    Path cacheDir,
    long cacheMaxBytes,
    long cacheFloorBytes,
    String imageSharing) {

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
        override(env.get("VMTASK_NODE_VERDICT_OVERRIDE")),
        Path.of(env.getOrDefault("VMTASK_NODE_KUBELET_DIR", "/var/lib/kubelet")),
        Path.of(env.getOrDefault("VMTASK_NODE_CACHE_DIR", "/var/lib/vmtask/cache")),
        bytes(env, "VMTASK_NODE_CACHE_MAX_BYTES", 20L << 30, 64L << 20),
        bytes(env, "VMTASK_NODE_CACHE_FLOOR_BYTES", 2L << 30, 0),
        sharing(env.get("VMTASK_NODE_IMAGE_SHARING")));
  }

  /** Where the kubelet finds CSI plugins' registration sockets. */
  public Path pluginRegistrationDir() {
    return kubeletDir.resolve("plugins_registry");
  }

  /** The directory of the images.vmtask.dev driver's socket. */
  public Path csiPluginDir() {
    return kubeletDir.resolve("plugins").resolve("images.vmtask.dev");
  }

  private static long bytes(Map<String, String> env, String name, long fallback, long min) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        name + "=" + v + " is invalid: expected a number of bytes, at least " + min);
  }

  private static String sharing(String v) {
    String s = blankToNull(v);
    if (s == null || s.equals("anonymous") || s.equals("namespace") || s.equals("node")) {
      return s == null ? "anonymous" : s;
    }
    throw new IllegalArgumentException(
        "VMTASK_NODE_IMAGE_SHARING=" + v + " is invalid: expected anonymous, namespace or node");
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
