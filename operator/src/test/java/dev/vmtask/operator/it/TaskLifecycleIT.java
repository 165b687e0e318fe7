package dev.vmtask.operator.it;

import static dev.vmtask.operator.it.ItSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tasks driven through every phase and reason by pod status written as a kubelet would, with the
 * operator running in this JVM against a real kube-apiserver.
 */
class TaskLifecycleIT {
  private ItSupport it;
  private ItCluster c;

  @BeforeEach
  void start() throws Exception {
    it = new ItSupport(Map.of());
    c = it.cluster;
  }

  @AfterEach
  void stop() {
    it.close();
  }

  @Test
  void aTaskGoesThroughEveryPhaseWithOnePod() {
    c.readyImage("debian");
    c.createTask(Fixtures.task(c.namespace, "build", "debian"));
    eventually().until(() -> c.pod("build-1") != null);
    assertThat(taskPods()).extracting(p -> p.getMetadata().getName()).containsExactly("build-1");
    Pod pod = c.pod("build-1");
    assertThat(pod.getMetadata().getOwnerReferences().get(0).getName()).isEqualTo("build");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getContainers().get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("VMTASK_TASK");
              assertThat(e.getValue()).contains("\"name\":\"build\"").contains("\"attempt\":1");
            });
    awaitPhase("build", TaskPhase.Pending);

    c.kubelet.bind("build-1");
    c.kubelet.starting("build-1");
    awaitPhase("build", TaskPhase.Scheduled);
    assertThat(c.task("build").getStatus().getNodeName()).isEqualTo(c.node);
    assertThat(condition("build", "Scheduled").getStatus()).isEqualTo("True");

    c.kubelet.running("build-1", false);
    awaitPhase("build", TaskPhase.Booting);
    c.kubelet.running("build-1", true);
    awaitPhase("build", TaskPhase.Running);
    String runningSince = condition("build", "Running").getLastTransitionTime();
    assertThat(condition("build", "Running").getStatus()).isEqualTo("True");

    c.kubelet.terminated(
        "build-1", 0, "Completed", FakeKubelet.report(0, "Completed", "guest command exited 0"));
    awaitPhase("build", TaskPhase.Succeeded);
    var status = c.task("build").getStatus();
    assertThat(status.getExitCode()).isZero();
    assertThat(status.getReason()).isEqualTo(TaskReason.Completed);
    assertThat(status.getAcceleration()).isEqualTo("tcg");
    assertThat(status.getTimings().getBootMs()).isEqualTo(3000);
    assertThat(status.getAttempts()).isEqualTo(1);
    assertThat(status.getObservedGeneration()).isEqualTo(1L);
    assertThat(status.getStartTime()).isNotNull();
    assertThat(status.getCompletionTime()).isNotNull();
    assertThat(condition("build", "Complete").getStatus()).isEqualTo("True");
    assertThat(condition("build", "Running").getStatus()).isEqualTo("False");
    assertThat(Instant.parse(condition("build", "Running").getLastTransitionTime()))
        .isAfterOrEqualTo(Instant.parse(runningSince));
    assertThat(taskPods()).hasSize(1);
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.events())
                    .extracting(e -> e.getReason())
                    .contains("Pending", "Scheduled", "Booting", "Running", "Completed"));
    // The image learns that the node holds it from the task's report.
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.image("debian").getStatus().getNodes())
                    .extracting(n -> n.getName())
                    .contains(c.node));
  }

  @Test
  void whatHoldsAPodUpReachesTheTaskStatusAndEvents() {
    c.readyImage("debian");
    c.createTask(Fixtures.task(c.namespace, "held", "debian"));
    eventually().until(() -> c.pod("held-1") != null);
    c.kubelet.unschedulable("held-1", "0/1 nodes are available: 1 Insufficient memory.");
    eventually()
        .untilAsserted(
            () -> {
              assertThat(condition("held", "Scheduled").getReason()).isEqualTo("Unschedulable");
              assertThat(c.task("held").getStatus().getMessage())
                  .isEqualTo(
                      "pod held-1 cannot be scheduled yet: 0/1 nodes are available: 1"
                          + " Insufficient memory.");
            });

    c.kubelet.bind("held-1");
    c.kubelet.waiting("held-1", "ContainerCreating", null);
    c.kubelet.mountFailed("held-1", "fetch", "fetching the image: 42 % (12 MiB) after 20 s");
    eventually()
        .untilAsserted(
            () -> {
              assertThat(c.task("held").getStatus().getPhase()).isEqualTo(TaskPhase.Scheduled);
              assertThat(condition("held", "Running").getReason()).isEqualTo("FetchingImage");
              assertThat(c.task("held").getStatus().getMessage())
                  .isEqualTo(
                      "pod held-1 waits for the node to fetch its image: 42 % (12 MiB) after 20 s");
            });
    // The kubelet updates its event as the download goes on: the status follows.
    c.kubelet.mountFailed("held-1", "fetch", "fetching the image: 87 % (25 MiB) after 41 s");
    eventually()
        .untilAsserted(
            () -> assertThat(c.task("held").getStatus().getMessage()).contains("87 % (25 MiB)"));

    c.kubelet.waiting("held-1", "CreateContainerConfigError", "secret \"creds\" not found");
    eventually()
        .untilAsserted(
            () -> {
              assertThat(condition("held", "Running").getReason())
                  .isEqualTo("CreateContainerConfigError");
              assertThat(c.task("held").getStatus().getMessage())
                  .endsWith(
                      "cannot start its agent container: CreateContainerConfigError: secret"
                          + " \"creds\" not found");
            });
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.events())
                    .extracting(e -> e.getReason())
                    .contains("Unschedulable", "FetchingImage", "CreateContainerConfigError"));
    // One event per kind of wait, not one per progress update.
    assertThat(c.events()).filteredOn(e -> "FetchingImage".equals(e.getReason())).hasSize(1);

    c.kubelet.running("held-1", false);
    awaitPhase("held", TaskPhase.Booting);
    assertThat(c.task("held").getStatus().getMessage()).isEqualTo("the agent is booting the VM");
  }

  @Test
  void theTasksDeadlineEndsItWhileItsPodWaitsForANode() {
    c.readyImage("debian");
    VirtualMachineTask task = Fixtures.task(c.namespace, "late", "debian");
    task.getSpec().setActiveDeadlineSeconds(4L);
    task.getSpec().setBackoffLimit(3);
    c.createTask(task);
    eventually().until(() -> c.pod("late-1") != null);
    awaitPhase("late", TaskPhase.Pending);
    // No node ever takes the pod; nothing wakes the task but its own deadline.
    assertFailed("late", TaskReason.DeadlineExceeded, 125);
    assertThat(c.task("late").getStatus().getMessage())
        .isEqualTo("the task exceeded its activeDeadlineSeconds (4 s) while Pending");
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.pod("late-1"))
                    .satisfiesAnyOf(
                        p -> assertThat(p).isNull(),
                        p -> assertThat(p.getMetadata().getDeletionTimestamp()).isNotNull()));
    assertThat(c.task("late").getStatus().getAttempts()).as("not retried").isEqualTo(1);
  }

  @Test
  void aGuestCommandsFailureIsNotRetriedByDefault() {
    c.readyImage("debian");
    VirtualMachineTask task = Fixtures.task(c.namespace, "tests", "debian");
    task.getSpec().setBackoffLimit(3);
    c.createTask(task);
    eventually().until(() -> c.pod("tests-1") != null);
    c.kubelet.bind("tests-1");
    c.kubelet.terminated(
        "tests-1", 1, "Error", FakeKubelet.report(1, "NonZeroExit", "guest command exited 1"));
    assertFailed("tests", TaskReason.NonZeroExit, 1);
    assertThat(c.task("tests").getStatus().getNextAttemptTime()).isNull();
    assertThat(c.pod("tests-2")).isNull();
  }

  @Test
  void tasksCreatedWithGenerateNameRunAsTheirOwnRecords() {
    c.readyImage("debian");
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      VirtualMachineTask task = Fixtures.task(c.namespace, null, "debian");
      task.getMetadata().setGenerateName("nightly-");
      names.add(c.createTask(task).getMetadata().getName());
    }
    assertThat(names).doesNotHaveDuplicates().allMatch(n -> n.startsWith("nightly-"));
    for (String name : names) {
      eventually().until(() -> c.pod(name + "-1") != null);
      c.kubelet.bind(name + "-1");
      c.kubelet.terminated(name + "-1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
      awaitPhase(name, TaskPhase.Succeeded);
    }
  }

  @Test
  void aReadinessFlapDoesNotUndoRunning() {
    c.readyImage("debian");
    c.createTask(Fixtures.task(c.namespace, "flap", "debian"));
    eventually().until(() -> c.pod("flap-1") != null);
    c.kubelet.bind("flap-1");
    c.kubelet.running("flap-1", true);
    awaitPhase("flap", TaskPhase.Running);
    String runningSince = condition("flap", "Running").getLastTransitionTime();

    c.kubelet.running("flap-1", false);
    // Wait until the operator has seen the flap: it wrote nothing, so wait for the pod's own event.
    eventually()
        .untilAsserted(
            () ->
                assertThat(c.pod("flap-1").getStatus().getContainerStatuses().get(0).getReady())
                    .isFalse());
    c.kubelet.running("flap-1", true);
    c.kubelet.terminated(
        "flap-1", 0, "Completed", FakeKubelet.report(0, "Completed", "guest command exited 0"));
    awaitPhase("flap", TaskPhase.Succeeded);
    assertThat(c.events())
        .filteredOn(e -> e.getRegarding().getName().equals("flap"))
        .extracting(e -> e.getReason())
        .as("no step back to Booting, so no second Running")
        .containsOnlyOnce("Running")
        .doesNotContain("Booting");
    assertThat(runningSince).isNotNull();
  }

  @Test
  void everyFailureReasonIsReported() {
    c.readyImage("img");
    for (String name : List.of("nonzero", "oom", "evicted", "deadline", "garbage", "lost")) {
      c.createTask(Fixtures.task(c.namespace, name, "img"));
    }
    for (String name : List.of("nonzero", "oom", "evicted", "deadline", "garbage", "lost")) {
      eventually().until(() -> c.pod(name + "-1") != null);
      c.kubelet.bind(name + "-1");
      c.kubelet.running(name + "-1", true);
      awaitPhase(name, TaskPhase.Running);
    }
    c.kubelet.terminated("nonzero-1", 3, "Error", FakeKubelet.report(3, "NonZeroExit", "exit 3"));
    c.kubelet.terminated("oom-1", 137, "OOMKilled", null);
    c.kubelet.podFailed("evicted-1", "Evicted", "The node was low on resource: memory.");
    c.kubelet.podFailed("deadline-1", "DeadlineExceeded", "Pod was active too long");
    c.kubelet.terminated("garbage-1", 2, "Error", "panic: not json at all");
    c.client.pods().inNamespace(c.namespace).withName("lost-1").withGracePeriod(0).delete();

    assertFailed("nonzero", TaskReason.NonZeroExit, 3);
    assertFailed("oom", TaskReason.OOMKilled, 137);
    assertFailed("evicted", TaskReason.Evicted, 125);
    assertFailed("deadline", TaskReason.DeadlineExceeded, 125);
    assertFailed("garbage", TaskReason.PodFailed, 2);
    assertFailed("lost", TaskReason.NodeLost, 125);
    assertThat(condition("nonzero", "Failed").getReason()).isEqualTo("NonZeroExit");
    assertThat(c.task("evicted").getStatus().getMessage()).contains("low on resource");
  }

  @Test
  void aMissingImageKeepsTheTaskPendingUntilItAppears() {
    c.createTask(Fixtures.task(c.namespace, "waits", "later"));
    eventually()
        .untilAsserted(
            () -> {
              assertThat(c.task("waits").getStatus().getPhase()).isEqualTo(TaskPhase.Pending);
              assertThat(condition("waits", "Scheduled").getReason()).isEqualTo("ImageNotFound");
              assertThat(condition("waits", "Scheduled").getMessage())
                  .isEqualTo("VMImage later does not exist");
            });
    assertThat(taskPods()).isEmpty();
    c.readyImage("later");
    eventually().until(() -> c.pod("waits-1") != null);
  }

  @Test
  void aFailedImageFailsItsTasksWithoutAPod() {
    c.createImage("broken");
    eventually().until(() -> c.pod("broken-fetch-g1") != null);
    c.kubelet.bind("broken-fetch-g1");
    c.kubelet.terminated(
        "broken-fetch-g1",
        125,
        "Error",
        "{\"exitCode\":125,\"reason\":\"ImageFailed\",\"message\":\"sha256 mismatch\"}");
    eventually().until(() -> c.image("broken").getStatus().getPhase() == ImagePhase.Failed);
    c.createTask(Fixtures.task(c.namespace, "doomed", "broken"));
    awaitPhase("doomed", TaskPhase.Failed);
    assertThat(c.task("doomed").getStatus().getReason()).isEqualTo(TaskReason.ImageFailed);
    assertThat(c.task("doomed").getStatus().getMessage()).contains("sha256 mismatch");
    assertThat(taskPods()).isEmpty();
  }

  @Test
  void aMachineBeyondTheNodeLimitFailsWithoutAPod() {
    c.readyImage("img");
    VirtualMachineTask task = Fixtures.task(c.namespace, "huge", "img");
    Machine m = new Machine();
    m.setCpus(16); // RunningOperator sets VMTASK_NODE_MAX_CPUS=8
    task.getSpec().setMachine(m);
    c.createTask(task);
    awaitPhase("huge", TaskPhase.Failed);
    assertThat(c.task("huge").getStatus().getReason()).isEqualTo(TaskReason.InvalidMachine);
    assertThat(c.task("huge").getStatus().getMessage())
        .isEqualTo("16 vCPUs exceed the node limit of 8");
    assertThat(taskPods()).isEmpty();
  }

  @Test
  void failedAttemptsAreRetriedWithBackoffUpToTheLimit() {
    c.readyImage("img");
    VirtualMachineTask task = Fixtures.task(c.namespace, "flaky", "img");
    task.getSpec().setBackoffLimit(1);
    c.createTask(task);
    eventually().until(() -> c.pod("flaky-1") != null);
    c.kubelet.bind("flaky-1");
    c.kubelet.terminated(
        "flaky-1",
        125,
        "Error",
        "{\"exitCode\":125,\"reason\":\"QemuCrashed\",\"message\":\"qemu died\"}");
    eventually()
        .untilAsserted(
            () -> {
              var s = c.task("flaky").getStatus();
              assertThat(s.getPhase()).isEqualTo(TaskPhase.Pending);
              assertThat(s.getReason()).isEqualTo(TaskReason.QemuCrashed);
              assertThat(s.getNextAttemptTime()).isNotNull();
            });
    Instant failedAt =
        Instant.parse(
            c.pod("flaky-1")
                .getStatus()
                .getContainerStatuses()
                .get(0)
                .getState()
                .getTerminated()
                .getFinishedAt());
    assertThat(Instant.parse(c.task("flaky").getStatus().getNextAttemptTime()))
        .isEqualTo(failedAt.plusSeconds(10));
    ItSupport.eventually().atMost(Duration.ofSeconds(40)).until(() -> c.pod("flaky-2") != null);
    assertThat(Instant.now()).isAfterOrEqualTo(failedAt.plusSeconds(10));
    eventually()
        .untilAsserted(() -> assertThat(c.task("flaky").getStatus().getAttempts()).isEqualTo(2));
    c.kubelet.bind("flaky-2");
    c.kubelet.terminated(
        "flaky-2",
        125,
        "Error",
        "{\"exitCode\":125,\"reason\":\"GuestUnresponsive\",\"message\":\"silent\"}");
    assertFailed("flaky", TaskReason.GuestUnresponsive, 125);
    assertThat(taskPods())
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("flaky-1", "flaky-2");
  }

  @Test
  void finishedTasksAreDeletedAfterTheirTtl() {
    c.readyImage("img");
    VirtualMachineTask task = Fixtures.task(c.namespace, "brief", "img");
    task.getSpec().setTtlSecondsAfterFinished(2L);
    c.createTask(task);
    eventually().until(() -> c.pod("brief-1") != null);
    c.kubelet.bind("brief-1");
    c.kubelet.terminated("brief-1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    awaitPhase("brief", TaskPhase.Succeeded);
    Instant done = Instant.now();
    eventually().until(() -> c.task("brief") == null);
    assertThat(Duration.between(done, Instant.now())).isGreaterThan(Duration.ofMillis(1000));
  }

  @Test
  void restartingTheOperatorMidFlightMakesNoSecondPodAndLosesNoTransition() {
    c.readyImage("img");
    c.createTask(Fixtures.task(c.namespace, "steady", "img"));
    eventually().until(() -> c.pod("steady-1") != null);
    it.stopOperator();
    // While no operator runs, the pod is scheduled, runs and finishes.
    c.kubelet.bind("steady-1");
    c.kubelet.running("steady-1", true);
    c.kubelet.terminated("steady-1", 0, "Completed", FakeKubelet.report(0, "Completed", "ok"));
    it.startOperator();
    awaitPhase("steady", TaskPhase.Succeeded);
    assertThat(c.task("steady").getStatus().getNodeName()).isEqualTo(c.node);
    assertThat(taskPods()).hasSize(1);

    // A task created while the operator is down gets exactly one pod, even across two restarts.
    it.stopOperator();
    c.createTask(Fixtures.task(c.namespace, "late", "img"));
    it.startOperator();
    eventually().until(() -> c.pod("late-1") != null);
    it.stopOperator();
    it.startOperator();
    awaitPhase("late", TaskPhase.Pending);
    c.kubelet.bind("late-1");
    awaitPhase("late", TaskPhase.Scheduled);
    assertThat(taskPods())
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("steady-1", "late-1");
  }

  private List<Pod> taskPods() {
    return c.pods().stream()
        .filter(p -> "task".equals(p.getMetadata().getLabels().get("vmtask.dev/role")))
        .toList();
  }

  private void awaitPhase(String task, TaskPhase phase) {
    eventually()
        .untilAsserted(
            () -> {
              var t = c.task(task);
              assertThat(t.getStatus()).as("status of " + task).isNotNull();
              assertThat(t.getStatus().getPhase()).as("phase of " + task).isEqualTo(phase);
            });
  }

  private void assertFailed(String task, TaskReason reason, int exitCode) {
    eventually()
        .untilAsserted(
            () -> {
              var s = c.task(task).getStatus();
              assertThat(s.getPhase()).as(task).isEqualTo(TaskPhase.Failed);
              assertThat(s.getReason()).as(task).isEqualTo(reason);
              assertThat(s.getExitCode()).as(task).isEqualTo(exitCode);
              assertThat(condition(task, "Failed").getStatus()).isEqualTo("True");
            });
  }

  private Condition condition(String task, String type) {
    return c.task(task).getStatus().getConditions().stream()
        .filter(x -> x.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }
}
