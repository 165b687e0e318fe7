package dev.vmtask.agent.task;

import dev.vmtask.agent.machine.MachineLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The node-side settings of a run: where the cache and scratch space are, the node's machine
 * limits, and the timeouts and caps the agent enforces. {@code readinessFile} is null outside pods;
 * {@code guestAgentBinary} is the guest agent a cloud-init config drive carries into the VM. {@code
 * imageDir}, in pods, is where the node daemon mounted the image (then the agent fetches nothing
 * and has no cache); null elsewhere.
 */
public record AgentSettings(
    Path cacheDir,
    long cacheMaxBytes,
    Path scratchDir,
    MachineLimits limits,
    String qemuBinary,
    Path kvmDevice,
    Duration bootTimeout,
    Duration stopGrace,
    long artifactMaxFileBytes,
    long artifactMaxTotalBytes,
    Path readinessFile,
    Path guestAgentBinary,
    Path imageDir) {
  private static final long GIB = 1024L * 1024 * 1024;

  /** Where the agent image installs the static guest agent that config drives carry. */
  public static final String DEFAULT_GUEST_AGENT = "/opt/vmtask/vmtask-guest";

  /** Reads the {@code VMTASK_*} variables of docs/agent-contract.md, with defaults. */
  public static AgentSettings fromEnv(Map<String, String> env) {
    Path scratch = Path.of(env.getOrDefault("VMTASK_SCRATCH_DIR", "/scratch"));
    return new AgentSettings(
        Path.of(env.getOrDefault("VMTASK_CACHE_DIR", "/var/cache/vmtask")),
        number(env, "VMTASK_CACHE_MAX_BYTES", 20 * GIB),
        scratch,
        new MachineLimits(
            (int) number(env, "VMTASK_NODE_MAX_MEMORY_MIB", 2048),
            (int) number(env, "VMTASK_NODE_MAX_CPUS", Runtime.getRuntime().availableProcessors()),
            1),
        env.getOrDefault("VMTASK_QEMU", "qemu-system-x86_64"),
        Path.of(env.getOrDefault("VMTASK_KVM_DEVICE", "/dev/kvm")),
        Duration.ofSeconds(number(env, "VMTASK_BOOT_TIMEOUT_SECONDS", 300)),
        Duration.ofSeconds(number(env, "VMTASK_STOP_GRACE_SECONDS", 10)),
        number(env, "VMTASK_ARTIFACT_MAX_BYTES", GIB),
        number(env, "VMTASK_ARTIFACTS_MAX_BYTES", 4 * GIB),
        scratch.resolve("guest-running"),
        Path.of(env.getOrDefault("VMTASK_GUEST_AGENT", DEFAULT_GUEST_AGENT)),
        env.get("VMTASK_IMAGE_DIR") == null || env.get("VMTASK_IMAGE_DIR").isBlank()
            ? null
            : Path.of(env.get("VMTASK_IMAGE_DIR")));
  }

  /** Where the agent may keep what outlives one VM: the cache, else (pods) the scratch space. */
  public Path stateDir() {
    return imageDir == null ? cacheDir : scratchDir;
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a positive integer, got '" + v + "'");
    }
  }
}
