package dev.vmtask.agent.machine;

/**
 * Fills memory and the CPU topology of a machine within a node's {@link MachineLimits}.
 *
 * <p>Without {@code cpus} this is taskcluster's {@code ApplyLimits}, unchanged: unset dimensions
 * start at 1, threads become {@code defaultThreads} if that fits, then cores, threads and sockets
 * each grow while the product stays within {@code maxCPUs}. So the VM gets every CPU the node
 * allows (maxCPUs 8, defaultThreads 2 gives threads 2, cores 4, sockets 1). Images written for
 * taskcluster rely on that.
 *
 * <p>Unlike taskcluster, a requested count ({@code cpus}) is honoured rather than inflated to
 * {@code maxCPUs}:
 *
 * <ul>
 *   <li>{@code cpus} alone becomes {@code defaultThreads} threads per core when that divides it,
 *       else 1, and {@code cpus/threads} cores in one socket (never taskcluster's odd 3 threads per
 *       core);
 *   <li>{@code cpus} with part of a topology fills the unset dimensions with taskcluster's
 *       algorithm bounded by {@code cpus}, and the product must equal {@code cpus}.
 * </ul>
 *
 * A task's topology without {@code cpus} is a request too: {@link MachineJson#fromTask} sets {@code
 * cpus} to its product. Error messages for requests beyond the limits are taskcluster's.
 */
final class CpuTopology {
  private CpuTopology() {}

  static MachineDefinition apply(MachineDefinition m, MachineLimits limits)
      throws InvalidMachineException {
    int memory = m.memory() != null ? m.memory() : limits.maxMemoryMiB();
    if (memory > limits.maxMemoryMiB()) {
      throw new InvalidMachineException(
          String.format(
              "Machine memory %d MiB is larger than allowed machine memory %d MiB",
              memory, limits.maxMemoryMiB()));
    }
    int[] tcs = topology(m, limits);
    int total = tcs[0] * tcs[1] * tcs[2];
    if (total > limits.maxCPUs()) {
      throw new InvalidMachineException(
          String.format(
              "Machine specifies threads: %d, cores: %d, sockets: %d, in total: %d which is larger"
                  + " than %d total number of cores allowed",
              tcs[0], tcs[1], tcs[2], total, limits.maxCPUs()));
    }
    return m.toBuilder()
        .memory(memory)
        .threads(tcs[0])
        .cores(tcs[1])
        .sockets(tcs[2])
        .cpus(total)
        .build();
  }

  private static int[] topology(MachineDefinition m, MachineLimits limits)
      throws InvalidMachineException {
    if (m.cpus() == null) {
      return fill(m.threads(), m.cores(), m.sockets(), limits.maxCPUs(), limits.defaultThreads());
    }
    int cpus = m.cpus();
    if (m.threads() == null && m.cores() == null && m.sockets() == null) {
      int threads = cpus % limits.defaultThreads() == 0 ? limits.defaultThreads() : 1;
      return new int[] {threads, cpus / threads, 1};
    }
    int[] tcs = fill(m.threads(), m.cores(), m.sockets(), cpus, limits.defaultThreads());
    if (tcs[0] * tcs[1] * tcs[2] != cpus) {
      throw new InvalidMachineException(
          String.format(
              "Machine asks for cpus: %d, which threads: %s, cores: %s, sockets: %s cannot make"
                  + " (threads*cores*sockets must equal cpus)",
              cpus, show(m.threads()), show(m.cores()), show(m.sockets())));
    }
    return tcs;
  }

  /** taskcluster's fill: unset dimensions grow while the product stays within {@code max}. */
  private static int[] fill(
      Integer threadsSet, Integer coresSet, Integer socketsSet, int max, int defaultThreads) {
    int t = orOne(threadsSet);
    int c = orOne(coresSet);
    int s = orOne(socketsSet);
    if (threadsSet == null && defaultThreads * c * s <= max) {
      t = defaultThreads;
    }
    while (coresSet == null && t * (c + 1) * s <= max) {
      c++;
    }
    while (threadsSet == null && (t + 1) * c * s <= max) {
      t++;
    }
    while (socketsSet == null && t * c * (s + 1) <= max) {
      s++;
    }
    return new int[] {t, c, s};
  }

  private static int orOne(Integer v) {
    return v == null ? 1 : v;
  }

  private static String show(Integer v) {
    return v == null ? "unset" : v.toString();
  }
}
