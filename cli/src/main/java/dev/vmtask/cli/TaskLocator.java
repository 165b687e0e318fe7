package dev.vmtask.cli;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Comparator;
import java.util.Set;

/** Finds a task and the pod of its current attempt, and says plainly why when there is none. */
final class TaskLocator {
  /** The label the operator puts on a task's pods (operator: PodLabels.TASK). */
  static final String TASK_LABEL = "vmtask.dev/task";

  /** The task pod's one container (operator: AgentPodTemplate). */
  static final String AGENT_CONTAINER = "agent";

  /** Where a shell can reach the guest: its tools run from Booting's end on. */
  static final Set<TaskPhase> VM_RUNNING = Set.of(TaskPhase.Booting, TaskPhase.Running);

  /** The console and display exist as soon as QEMU starts, which can be before Booting shows. */
  static final Set<TaskPhase> VM_STARTING =
      Set.of(TaskPhase.Scheduled, TaskPhase.Booting, TaskPhase.Running);

  private final Cluster cluster;

  TaskLocator(Cluster cluster) {
    this.cluster = cluster;
  }

  String namespace() {
    return cluster.namespace();
  }

  /** The task, or an error naming it when it does not exist. */
  VirtualMachineTask task(String name) {
    VirtualMachineTask task =
        cluster
            .client()
            .resources(VirtualMachineTask.class)
            .inNamespace(cluster.namespace())
            .withName(name)
            .get();
    if (task == null) {
      throw notFound(cluster.namespace(), name);
    }
    return task;
  }

  static CliException notFound(String namespace, String name) {
    return new CliException("virtualmachinetask " + namespace + "/" + name + " not found");
  }

  /** A task without status has not been seen by the operator yet: Pending. */
  static TaskPhase phase(VirtualMachineTask task) {
    if (task.getStatus() == null || task.getStatus().getPhase() == null) {
      return TaskPhase.Pending;
    }
    return task.getStatus().getPhase();
  }

  /** status.podName, or null. */
  static String podName(VirtualMachineTask task) {
    return task.getStatus() == null ? null : task.getStatus().getPodName();
  }

  /**
   * The running pod of task {@code name}, whose VM is up as far as {@code phases} tells; errors say
   * which condition fails.
   */
  String runningPod(String name, Set<TaskPhase> phases) {
    VirtualMachineTask task = task(name);
    TaskPhase phase = phase(task);
    if (!phases.contains(phase)) {
      throw new CliException("task " + name + " is " + phase + "; its VM is not running");
    }
    String podName = podName(task);
    if (podName == null) {
      throw noPodYet(name, phase);
    }
    Pod pod = cluster.client().pods().inNamespace(cluster.namespace()).withName(podName).get();
    String where = cluster.namespace() + "/" + podName;
    if (pod == null) {
      throw new CliException("pod " + where + " of task " + name + " not found");
    }
    String podPhase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (!"Running".equals(podPhase)) {
      throw new CliException(
          "pod " + where + " of task " + name + " is " + podPhase + ", not Running");
    }
    return podName;
  }

  static CliException noPodYet(String name, TaskPhase phase) {
    return new CliException("task " + name + " has no pod yet (phase " + phase + ")");
  }

  /**
   * The pod of the current or last attempt: status.podName, else the newest pod labelled with the
   * task (the status may lag behind the pod's creation); null when there is none.
   */
  String currentPod(VirtualMachineTask task) {
    String podName = podName(task);
    if (podName != null) {
      return podName;
    }
    return cluster
        .client()
        .pods()
        .inNamespace(cluster.namespace())
        .withLabel(TASK_LABEL, task.getMetadata().getName())
        .list()
        .getItems()
        .stream()
        .max(
            Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getCreationTimestamp())))
        .map(p -> p.getMetadata().getName())
        .orElse(null);
  }
}
