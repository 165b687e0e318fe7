package dev.vmtask.e2e;

import static org.awaitility.Awaitility.await;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/** Creates VMImages and tasks in one namespace and waits for their outcomes. */
final class Tasks {
  /** A boot under TCG on two busy cores takes minutes, not seconds. */
  static final Duration TASK_TIMEOUT = Duration.ofMinutes(10);

  private static final Duration POLL = Duration.ofSeconds(2);

  private final KubernetesClient client;
  private final String namespace;

  Tasks(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Tasks in {@code namespace}, with the test guest there as VMImage {@code image}. */
  static Tasks withGuestImage(KubernetesClient client, String namespace, String image) {
    E2eEnvironment env = E2eEnvironment.get(client);
    Tasks tasks = new Tasks(client, namespace);
    tasks.createImage(Manifests.image(image, env.guestUrl(), env.guest().sha256()));
    return tasks;
  }

  /** The task's condition of {@code type}; an empty one when the task has none yet. */
  static Condition condition(VirtualMachineTask task, String type) {
    if (task == null || task.getStatus() == null || task.getStatus().getConditions() == null) {
      return new Condition();
    }
    return task.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(new Condition());
  }

  VMImage createImage(String yaml) {
    return client
        .resources(VMImage.class)
        .inNamespace(namespace)
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .create();
  }

  VirtualMachineTask create(String yaml) {
    return client
        .resources(VirtualMachineTask.class)
        .inNamespace(namespace)
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .create();
  }

  VirtualMachineTask get(String name) {
    return client.resources(VirtualMachineTask.class).inNamespace(namespace).withName(name).get();
  }

  VMImage image(String name) {
    return client.resources(VMImage.class).inNamespace(namespace).withName(name).get();
  }

  void delete(String name) {
    client.resources(VirtualMachineTask.class).inNamespace(namespace).withName(name).delete();
  }

  String namespace() {
    return namespace;
  }

  VirtualMachineTask awaitFinished(String name) {
    return awaitTask(name, TaskPhase::isFinished, TASK_TIMEOUT);
  }

  /** Waits for {@code phase}; a task that finished in another phase fails at once. */
  VirtualMachineTask awaitPhase(String name, TaskPhase phase) {
    VirtualMachineTask task = awaitTask(name, p -> p == phase || p.isFinished(), TASK_TIMEOUT);
    if (task.getStatus().getPhase() != phase) {
      throw new AssertionError(describe(name, task, "finished before reaching " + phase));
    }
    return task;
  }

  VMImage awaitImage(String name, ImagePhase phase) {
    try {
      return await()
          .atMost(TASK_TIMEOUT)
          .pollInterval(POLL)
          .until(
              () -> image(name),
              i -> i != null && i.getStatus() != null && phase == i.getStatus().getPhase());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "VMImage "
              + name
              + " is not "
              + phase
              + " after "
              + TASK_TIMEOUT
              + ":\n"
              + yaml(image(name)),
          e);
    }
  }

  private VirtualMachineTask awaitTask(String name, Predicate<TaskPhase> phase, Duration timeout) {
    try {
      return await()
          .atMost(timeout)
          .pollInterval(POLL)
          .until(
              () -> get(name),
              t ->
                  t != null
                      && t.getStatus() != null
                      && t.getStatus().getPhase() != null
                      && phase.test(t.getStatus().getPhase()));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          describe(name, get(name), "did not reach the expected phase within " + timeout), e);
    }
  }

  private String describe(String name, VirtualMachineTask task, String what) {
    return "task "
        + name
        + " "
        + what
        + ":\n"
        + yaml(task)
        + "\npod:\n"
        + pod(task).map(Tasks::yaml).orElse("<none>")
        + "\nlog:\n"
        + log(task);
  }

  /** The pod of the task's current attempt. */
  Optional<Pod> pod(VirtualMachineTask task) {
    if (task == null || task.getStatus() == null || task.getStatus().getPodName() == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        client.pods().inNamespace(namespace).withName(task.getStatus().getPodName()).get());
  }

  /** The guest's output: the log of the task pod's agent container. */
  String log(VirtualMachineTask task) {
    if (task == null || task.getStatus() == null || task.getStatus().getPodName() == null) {
      return "<no pod in the task's status>";
    }
    try {
      return client
          .pods()
          .inNamespace(namespace)
          .withName(task.getStatus().getPodName())
          .inContainer("agent")
          .getLog();
    } catch (KubernetesClientException e) {
      return "<no log: " + e.getMessage() + ">";
    }
  }

  private static String yaml(Object o) {
    return o == null ? "<none>" : Serialization.asYaml(o);
  }
}
