package dev.vmtask.cli;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The log of a task's current or last attempt: the agent container's log, which carries the guest
 * command's output and, on lines of their own, the agent's ({@code vmtask-agent: ...}), dropped
 * unless asked for.
 */
final class TaskLogs {
  private final Cluster cluster;
  private final TaskLocator locator;
  private final OutputStream stdout;

  TaskLogs(Cluster cluster, OutputStream stdout) {
    this.cluster = cluster;
    this.locator = new TaskLocator(cluster);
    this.stdout = stdout;
  }

  /**
   * Prints the log of task {@code name}; {@code follow} waits for a pod if there is none yet and
   * streams until the container ends. {@code all} keeps the agent's lines.
   */
  void show(String name, boolean follow, boolean all) throws IOException {
    VirtualMachineTask task = locator.task(name);
    String pod = locator.currentPod(task);
    if (pod == null && follow && !TaskLocator.phase(task).isFinished()) {
      task = awaitPod(name);
      pod = TaskLocator.podName(task);
    }
    if (pod == null) {
      TaskPhase phase = TaskLocator.phase(task);
      if (phase.isFinished()) {
        throw new CliException("task " + name + " has no pod (it is " + phase + ")");
      }
      throw TaskLocator.noPodYet(name, phase);
    }
    if (follow) {
      awaitContainerStart(pod);
    }
    OutputStream out = all ? stdout : new AgentLineFilter(stdout);
    try (InputStream log = open(pod, follow)) {
      Pump.copy(log, out);
    }
    if (out instanceof AgentLineFilter filter) {
      filter.finish();
    }
    stdout.flush();
  }

  private VirtualMachineTask awaitPod(String name) {
    VirtualMachineTask task;
    try {
      task =
          TaskWaiter.until(
              TaskWaiter.resource(cluster, name),
              t -> t == null || TaskLocator.podName(t) != null || TaskLocator.phase(t).isFinished(),
              null);
    } catch (TimeoutException e) {
      throw new IllegalStateException("no timeout was set", e);
    }
    if (task == null) {
      throw TaskWaiter.deleted(cluster.namespace(), name);
    }
    return task;
  }

  /** A log can be read once the container has started; until then the API server refuses it. */
  private void awaitContainerStart(String pod) {
    Pod started;
    try {
      started =
          TaskWaiter.until(
              cluster.client().pods().inNamespace(cluster.namespace()).withName(pod),
              p -> p == null || containerStarted(p),
              null);
    } catch (TimeoutException e) {
      throw new IllegalStateException("no timeout was set", e);
    }
    if (started == null) {
      throw new CliException("pod " + cluster.namespace() + "/" + pod + " not found");
    }
  }

  static boolean containerStarted(Pod pod) {
    if (pod.getStatus() == null) {
      return false;
    }
    String phase = pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return true;
    }
    if (pod.getStatus().getContainerStatuses() == null) {
      return false;
    }
    for (ContainerStatus s : pod.getStatus().getContainerStatuses()) {
      if (TaskLocator.AGENT_CONTAINER.equals(s.getName()) && s.getState() != null) {
        return s.getState().getRunning() != null || s.getState().getTerminated() != null;
      }
    }
    return false;
  }

  /**
   * The log as a stream. Requested directly rather than through the client's log helpers, which do
   * not report an error answer when following (the error would be printed as log).
   */
  private InputStream open(String pod, boolean follow) throws IOException {
    KubernetesClient client = cluster.client();
    String url =
        client.getMasterUrl().toString().replaceAll("/+$", "")
            + "/api/v1/namespaces/"
            + cluster.namespace()
            + "/pods/"
            + pod
            + "/log?container="
            + TaskLocator.AGENT_CONTAINER
            + (follow ? "&follow=true" : "");
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(url).build();
    HttpResponse<InputStream> response;
    try {
      response = client.getHttpClient().sendAsync(request, InputStream.class).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new CliException(ErrorMessages.of(e.getCause()), e.getCause());
    }
    if (!response.isSuccessful()) {
      String body;
      try (InputStream in = response.body()) {
        body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      String message = ErrorMessages.statusMessage(body);
      throw new CliException(
          "cannot read the log of pod "
              + cluster.namespace()
              + "/"
              + pod
              + " (HTTP "
              + response.code()
              + ")"
              + (message == null ? "" : ": " + message));
    }
    return response.body();
  }
}
