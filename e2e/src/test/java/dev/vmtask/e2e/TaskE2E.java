package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Mode;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tasks from `kubectl apply` to their outcome, on the chart installed on the full testbed. */
@Testbed(Mode.FULL)
class TaskE2E {
  private static final String IMAGE = "guest";

  private E2eEnvironment env;
  private Tasks tasks;

  @BeforeEach
  void imageInNamespace(KubernetesClient client, TestNamespace namespace) {
    env = E2eEnvironment.get(client);
    tasks = new Tasks(client, namespace.name());
    tasks.createImage(Manifests.image(IMAGE, env.guestUrl(), env.guest().sha256()));
  }

  @Test
  void commandThatExitsZeroSucceedsWithItsOutputInThePodLog() {
    tasks.create(Manifests.task("hello", IMAGE, "echo hello; exit 0", 600));

    VirtualMachineTask done = tasks.awaitFinished("hello");

    String log = tasks.log(done);
    assertThat(done.getStatus().getPhase())
        .as("status %s, log:%n%s", done.getStatus(), log)
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(done.getStatus().getExitCode()).isZero();
    assertThat(done.getStatus().getReason()).isEqualTo(TaskReason.Completed);
    assertThat(done.getStatus().getNodeName()).isEqualTo(env.nodeName());
    assertThat(log.lines()).contains("hello");
    assertThat(tasks.image(IMAGE).getStatus().getPhase()).isEqualTo(ImagePhase.Ready);
  }

  @Test
  void theOperatorsMetricsCountFinishedTasksAndTheirStages(KubernetesClient client)
      throws Exception {
    tasks.create(Manifests.task("counted", IMAGE, "exit 0", 600));
    assertThat(tasks.awaitFinished("counted").getStatus().getPhase())
        .isEqualTo(TaskPhase.Succeeded);
    assertThat(tasks.get("counted").getStatus().getTimings().getStartMs())
        .as("the operator's measure of the pod's start")
        .isNotNull()
        .isNotNegative();

    String metrics = scrapeOperator(client);
    assertThat(counter(metrics, "vmtask_tasks_finished_total", "phase=\"Succeeded\""))
        .as("finished tasks in:%n%s", metrics)
        .isGreaterThanOrEqualTo(1.0);
    assertThat(counter(metrics, "vmtask_task_boot_seconds_count", "")).isGreaterThanOrEqualTo(1.0);
    assertThat(counter(metrics, "vmtask_task_start_seconds_count", "")).isGreaterThanOrEqualTo(1.0);
    assertThat(metrics).contains("vmtask_tasks{phase=\"Succeeded\"}");
  }

  /**
   * The /metrics of every running operator pod, through port-forwards, as Prometheus would read
   * them: only the leader counts tasks, and either replica may be the leader.
   */
  private static String scrapeOperator(KubernetesClient client) throws Exception {
    StringBuilder all = new StringBuilder();
    var pods =
        client
            .pods()
            .inNamespace(E2eEnvironment.RELEASE_NAMESPACE)
            .withLabel("app.kubernetes.io/component", "operator")
            .list()
            .getItems()
            .stream()
            .filter(p -> "Running".equals(p.getStatus().getPhase()))
            .toList();
    assertThat(pods).as("running operator pods").isNotEmpty();
    var http = java.net.http.HttpClient.newHttpClient();
    for (var pod : pods) {
      try (var forward =
          client
              .pods()
              .inNamespace(E2eEnvironment.RELEASE_NAMESPACE)
              .withName(pod.getMetadata().getName())
              .portForward(8080)) {
        var request =
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + forward.getLocalPort() + "/metrics"))
                .build();
        all.append(http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body())
            .append('\n');
      }
    }
    return all.toString();
  }

  /** The sum of a Prometheus series' values over the lines whose labels contain {@code label}. */
  private static double counter(String metrics, String name, String label) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> l.contains(label))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void nonZeroExitFailsWithTheGuestsExitCode() {
    tasks.create(Manifests.task("seven", IMAGE, "echo about to fail; exit 7", 600));

    VirtualMachineTask done = tasks.awaitFinished("seven");

    assertThat(done.getStatus().getPhase())
        .as("log:%n%s", tasks.log(done))
        .isEqualTo(TaskPhase.Failed);
    assertThat(done.getStatus().getExitCode()).isEqualTo(7);
    assertThat(done.getStatus().getReason()).isEqualTo(TaskReason.NonZeroExit);
    assertThat(tasks.log(done)).contains("about to fail");
  }

  @Test
  void commandRunningPastMaxRunTimeFailsWithDeadlineExceeded() {
    tasks.create(Manifests.task("sleeper", IMAGE, "echo sleeping; sleep 1000", 20));

    VirtualMachineTask done = tasks.awaitFinished("sleeper");

    assertThat(done.getStatus().getPhase())
        .as("log:%n%s", tasks.log(done))
        .isEqualTo(TaskPhase.Failed);
    assertThat(done.getStatus().getReason()).isEqualTo(TaskReason.DeadlineExceeded);
    assertThat(tasks.log(done)).contains("sleeping");
  }

  @Test
  void deletingARunningTaskStopsItsVm() {
    assumeTrue(env.onTheNode(), "QEMU processes can only be inspected on the testbed's own node");
    VirtualMachineTask created = tasks.create(Manifests.task("doomed", IMAGE, "sleep 1000", 900));
    VirtualMachineTask running = tasks.awaitPhase("doomed", TaskPhase.Running);
    Pod pod = tasks.pod(running).orElseThrow();
    String podUid = pod.getMetadata().getUid();
    String taskUid = created.getMetadata().getUid();
    assertThat(NodeProcesses.ofPod(podUid))
        .as("a QEMU runs in the task's pod while the task is Running")
        .anyMatch(cmd -> cmd.contains("qemu-system"));

    tasks.delete("doomed");

    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              assertThat(
                      env.client()
                          .pods()
                          .inNamespace(pod.getMetadata().getNamespace())
                          .withName(pod.getMetadata().getName())
                          .get())
                  .as("the task's pod")
                  .isNull();
              assertThat(NodeProcesses.ofPod(podUid)).as("processes of pod %s", podUid).isEmpty();
              assertThat(NodeProcesses.withCommandLineContaining(taskUid))
                  .as("processes naming task %s", taskUid)
                  .isEmpty();
            });
  }
}
