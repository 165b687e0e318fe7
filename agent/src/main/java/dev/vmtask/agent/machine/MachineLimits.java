package dev.vmtask.agent.machine;

/**
 * What a node allows one VM: taskcluster's engine {@code limits} ({@code maxMemory} in MiB, {@code
 * maxCPUs}, {@code defaultThreads}). {@code maxMemoryMiB} is also the memory of a machine that does
 * not ask for any.
 */
public record MachineLimits(int maxMemoryMiB, int maxCPUs, int defaultThreads) {
  public MachineLimits {
    if (maxMemoryMiB < 1 || maxMemoryMiB > MachineSchema.MAX_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "maxMemoryMiB must be 1.." + MachineSchema.MAX_MEMORY_MIB + ", got " + maxMemoryMiB);
    }
    if (maxCPUs < 1 || maxCPUs > MachineSchema.MAX_TOPOLOGY) {
      throw new IllegalArgumentException("maxCPUs must be 1..255, got " + maxCPUs);
    }
    if (defaultThreads < 1 || defaultThreads > MachineSchema.MAX_TOPOLOGY) {
      throw new IllegalArgumentException("defaultThreads must be 1..255, got " + defaultThreads);
    }
  }
}
