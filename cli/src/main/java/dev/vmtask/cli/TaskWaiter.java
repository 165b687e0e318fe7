package dev.vmtask.cli;

import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Waits for a task to finish. An informer on the one task does the watching: it lists first (no
 * event lost between a read and a watch) and re-lists when its watch ends.
 */
final class TaskWaiter {
  private final Cluster cluster;

  TaskWaiter(Cluster cluster) {
    this.cluster = cluster;
  }

  /** Waits until task {@code name} is Succeeded or Failed; {@code timeout} null waits for ever. */
  TaskOutcome await(String name, Duration timeout) {
    VirtualMachineTask task = new TaskLocator(cluster).task(name);
    if (!TaskLocator.phase(task).isFinished()) {
      try {
        task =
            until(
                resource(cluster, name),
                t -> t == null || TaskLocator.phase(t).isFinished(),
                timeout);
      } catch (TimeoutException e) {
        VirtualMachineTask now = resource(cluster, name).get();
        String phase = now == null ? "gone" : String.valueOf(TaskLocator.phase(now));
        throw new CliException(
            "timed out after "
                + CliArgs.format(timeout)
                + " waiting for task "
                + name
                + " to finish (phase "
                + phase
                + ")",
            CliException.TIMED_OUT);
      }
      if (task == null) {
        throw deleted(cluster.namespace(), name);
      }
    }
    return TaskOutcome.of(name, task.getStatus());
  }

  static Resource<VirtualMachineTask> resource(Cluster cluster, String name) {
    return cluster
        .client()
        .resources(VirtualMachineTask.class)
        .inNamespace(cluster.namespace())
        .withName(name);
  }

  static CliException deleted(String namespace, String name) {
    return new CliException("virtualmachinetask " + namespace + "/" + name + " was deleted");
  }

  /**
   * The resource once {@code condition} holds for it (null: it does not exist), waiting at most
   * {@code timeout} (null: for ever).
   */
  static <T extends HasMetadata> T until(
      Resource<T> resource, Predicate<T> condition, Duration timeout) throws TimeoutException {
    CompletableFuture<List<T>> met =
        resource.informOnCondition(l -> condition.test(l.isEmpty() ? null : l.get(0)));
    try {
      List<T> items =
          timeout == null ? met.get() : met.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return items.isEmpty() ? null : items.get(0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new CliException(e.getMessage(), e);
    } finally {
      // Stops the informer when the wait ended without the condition.
      met.cancel(true);
    }
  }
}
