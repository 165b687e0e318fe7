package dev.vmtask.operator.pod;

import dev.vmtask.api.machine.Machine;
import dev.vmtask.operator.OperatorConfig;

/**
 * The machine a task gets: its own fields over its image's, with vCPUs and memory always set
 * because the pod's resources are sized from them (the agent must not pick other values).
 */
public final class ResolvedMachine {
  private ResolvedMachine() {}

  /** Thrown when the machine cannot run on any node the operator manages. */
  public static final class InvalidMachineException extends Exception {
    public InvalidMachineException(String message) {
      super(message);
    }
  }

  public static Machine resolve(Machine task, Machine image, OperatorConfig config)
      throws InvalidMachineException {
    Machine t = task == null ? new Machine() : task;
    Machine i = image == null ? new Machine() : image;
    Machine m = new Machine();
    m.setThreads(first(t.getThreads(), i.getThreads()));
    m.setCores(first(t.getCores(), i.getCores()));
    m.setSockets(first(t.getSockets(), i.getSockets()));
    m.setCpus(first(t.getCpus(), i.getCpus(), topology(m), 1));
    m.setMemoryMiB(first(t.getMemoryMiB(), i.getMemoryMiB(), config.defaultMemoryMiB()));
    m.setChipset(first(t.getChipset(), i.getChipset()));
    m.setNetwork(first(t.getNetwork(), i.getNetwork()));
    m.setStorage(first(t.getStorage(), i.getStorage()));
    m.setGraphics(first(t.getGraphics(), i.getGraphics()));
    Integer product = topology(m);
    if (product != null && product.intValue() != m.getCpus()) {
      throw new InvalidMachineException(
          "threads*cores*sockets = "
              + product
              + " but cpus = "
              + m.getCpus()
              + " (after merging the task's machine over the image's)");
    }
    if (m.getCpus() > config.nodeMaxCpus()) {
      throw new InvalidMachineException(
          m.getCpus() + " vCPUs exceed the node limit of " + config.nodeMaxCpus());
    }
    if (m.getMemoryMiB() > config.nodeMaxMemoryMiB()) {
      throw new InvalidMachineException(
          m.getMemoryMiB()
              + " MiB of memory exceed the node limit of "
              + config.nodeMaxMemoryMiB()
              + " MiB");
    }
    return m;
  }

  /** threads*cores*sockets if any of them is set (unset ones count as 1), else null (unknown). */
  private static Integer topology(Machine m) {
    if (m.getThreads() == null && m.getCores() == null && m.getSockets() == null) {
      return null;
    }
    return first(m.getThreads(), 1) * first(m.getCores(), 1) * first(m.getSockets(), 1);
  }

  @SafeVarargs
  private static <T> T first(T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
