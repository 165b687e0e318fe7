package dev.vmtask.operator.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.api.image.GuestAgentMode;
import dev.vmtask.api.task.ArtifactVolume;
import dev.vmtask.api.task.Screenshot;
import dev.vmtask.api.task.TaskOutput;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.TaskReason;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import dev.vmtask.operator.Fixtures;
import dev.vmtask.operator.pod.AccelerationPlan;
import dev.vmtask.operator.pod.PodObservation;
import dev.vmtask.operator.pod.TerminationReport;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TaskStatusUpdatesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:01:00Z");

  @Test
  void kvmPlansHoldTheTaskBackOrSayWhyTheyRunAsTheyDo() {
    var waiting = new TaskStatusUpdates(null, 1, T0);
    assertThat(
            waiting.heldBack(
                new AccelerationPlan(
                    AccelerationPlan.Kind.WAIT_FOR_VERDICT, "waiting for the KVM verdict of a")))
        .isTrue();
    VirtualMachineTaskStatus w = waiting.build();
    assertThat(w.getPhase()).isEqualTo(TaskPhase.Pending);
    assertThat(w.getConditions())
        .filteredOn(c -> c.getType().equals("Scheduled"))
        .extracting(Condition::getReason)
        .as("the index that node events wake tasks through")
        .containsExactly(TaskEventSources.KVM_VERDICT_PENDING);

    var unavailable = new TaskStatusUpdates(null, 1, T0);
    assertThat(
            unavailable.heldBack(
                new AccelerationPlan(AccelerationPlan.Kind.KVM_UNAVAILABLE, "no VM node offers")))
        .isTrue();
    assertThat(unavailable.build().getReason()).isEqualTo(TaskReason.KvmUnavailable);

    var tcg = new TaskStatusUpdates(null, 1, T0);
    var plan = new AccelerationPlan(AccelerationPlan.Kind.TCG, "tcg: no VM node offers ...");
    assertThat(tcg.heldBack(plan)).isFalse();
    VirtualMachineTaskStatus t = tcg.podCreated("t-1", 1).planned(plan).build();
    assertThat(t.getAcceleration()).isEqualTo("tcg");
    assertThat(t.getAccelerationMessage()).isEqualTo("tcg: no VM node offers ...");
  }

  @Test
  void aKeptVmShowsAsInspectingUntilTheAttemptEnds() {
    VirtualMachineTaskStatus s = new TaskStatusUpdates(null, 1, T0).podCreated("t-1", 1).build();
    s =
        new TaskStatusUpdates(s, 1, T0)
            .observed(new PodObservation(TaskPhase.Running, "node-a", null), Optional.empty(), 600)
            .build();
    assertThat(s.getConditions()).noneMatch(c -> c.getType().equals("Inspecting"));
    // The agent kept the failed command's VM and turned its pod unready.
    s =
        new TaskStatusUpdates(s, 1, T1)
            .observed(
                new PodObservation(TaskPhase.Running, "node-a", null, true), Optional.empty(), 600)
            .build();
    assertThat(s.getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(s.getMessage()).contains("kept for inspection for up to 600 s");
    assertThat(condition(s, "Inspecting").getStatus()).isEqualTo("True");
    assertThat(condition(s, "Inspecting").getReason()).isEqualTo("KeptForInspection");
    assertThat(condition(s, "Inspecting").getLastTransitionTime()).isEqualTo(T1.toString());

    var outcome =
        new PodObservation.Outcome(
            3, TaskReason.NonZeroExit, "guest command exited with 3", null, T1.toString());
    s =
        new TaskStatusUpdates(s, 1, T1)
            .finished(outcome, Fixtures.task("ns", "t", "i").getSpec())
            .build();
    assertThat(condition(s, "Inspecting").getStatus()).isEqualTo("False");
  }

  @Test
  void withoutKeepFailedVmAnUnreadyPodIsJustAFlap() {
    VirtualMachineTaskStatus s = new TaskStatusUpdates(null, 1, T0).podCreated("t-1", 1).build();
    s =
        new TaskStatusUpdates(s, 1, T0)
            .observed(new PodObservation(TaskPhase.Running, "node-a", null), Optional.empty(), 0)
            .build();
    s =
        new TaskStatusUpdates(s, 1, T1)
            .observed(
                new PodObservation(TaskPhase.Running, "node-a", null, true), Optional.empty(), 0)
            .build();
    assertThat(s.getConditions()).noneMatch(c -> c.getType().equals("Inspecting"));
  }

  @Test
  void withinAnAttemptAPhaseNeverGoesBack() {
    VirtualMachineTaskStatus s = new TaskStatusUpdates(null, 1, T0).podCreated("t-1", 1).build();
    s =
        new TaskStatusUpdates(s, 1, T0)
            .observed(new PodObservation(TaskPhase.Running, "node-a", null), Optional.empty(), null)
            .build();
    // The agent's readiness flaps: the pod reads as Booting for a moment.
    s =
        new TaskStatusUpdates(s, 1, T1)
            .observed(new PodObservation(TaskPhase.Booting, "node-a", null), Optional.empty(), null)
            .build();
    assertThat(s.getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(s.getMessage()).isEqualTo("the guest is running the command");
    assertThat(condition(s, "Running").getStatus()).isEqualTo("True");
    assertThat(condition(s, "Running").getLastTransitionTime()).isEqualTo(T0.toString());

    // A new attempt starts from the beginning again.
    var outcome =
        new PodObservation.Outcome(
            125, TaskReason.QemuCrashed, "QEMU exited", null, "2026-01-01T00:02:00Z");
    s =
        new TaskStatusUpdates(s, 1, T1)
            .retrying(outcome, Fixtures.task("ns", "t", "i").getSpec(), T1.plusSeconds(10))
            .build();
    s = new TaskStatusUpdates(s, 1, T1).podCreated("t-2", 2).build();
    s =
        new TaskStatusUpdates(s, 1, T1)
            .observed(
                new PodObservation(TaskPhase.Scheduled, "node-a", null), Optional.empty(), null)
            .build();
    assertThat(s.getPhase()).isEqualTo(TaskPhase.Scheduled);
  }

  @Test
  void aTaskWokenDuringItsBackoffStillSaysItIsBackingOff() {
    var outcome =
        new PodObservation.Outcome(
            125, TaskReason.QemuCrashed, "QEMU exited", null, "2026-01-01T00:02:00Z");
    VirtualMachineTaskStatus s = new TaskStatusUpdates(null, 1, T0).podCreated("t-1", 1).build();
    s =
        new TaskStatusUpdates(s, 1, T0)
            .retrying(outcome, Fixtures.task("ns", "t", "i").getSpec(), T1)
            .build();
    assertThat(condition(s, "Scheduled").getReason()).isEqualTo("BackoffWait");
    s = new TaskStatusUpdates(s, 1, T0).backingOff().build();
    assertThat(condition(s, "Scheduled").getReason()).isEqualTo("BackoffWait");
  }

  @Test
  void aStatusReadBeforeThePodWasRecordedStillNamesThePod() {
    // The cache still shows no status, but the pod of attempt 1 exists: observing it must not
    // write a status without podName/attempts (server-side apply would drop those fields).
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("t-1")
            .withCreationTimestamp("2026-01-01T00:00:00Z")
            .endMetadata()
            .build();
    VirtualMachineTaskStatus s =
        new TaskStatusUpdates(null, 1, T1)
            .onAttempt(1, pod)
            .observed(new PodObservation(TaskPhase.Pending, null, null), Optional.empty(), null)
            .build();
    assertThat(s.getPodName()).isEqualTo("t-1");
    assertThat(s.getAttempts()).isEqualTo(1);
    assertThat(s.getStartTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(s.getMessage()).isEqualTo("pod t-1 is waiting for a node");
  }

  @Test
  void conditionsFollowThePhaseAndKeepTheirTransitionTimes() {
    VirtualMachineTaskStatus s = new TaskStatusUpdates(null, 1, T0).podCreated("t-1", 1).build();
    assertThat(condition(s, "Scheduled").getReason()).isEqualTo("PodPending");
    s =
        new TaskStatusUpdates(s, 1, T1)
            .observed(new PodObservation(TaskPhase.Running, "node-a", null), Optional.empty(), null)
            .build();
    assertThat(condition(s, "Scheduled").getStatus()).isEqualTo("True");
    assertThat(condition(s, "Running").getLastTransitionTime()).isEqualTo(T1.toString());
    assertThat(condition(s, "Complete").getLastTransitionTime()).isEqualTo(T0.toString());
    var outcome =
        new PodObservation.Outcome(
            3, TaskReason.NonZeroExit, "exit 3", null, "2026-01-01T00:02:00Z");
    s =
        new TaskStatusUpdates(s, 1, T1)
            .finished(outcome, Fixtures.task("ns", "t", "i").getSpec())
            .build();
    assertThat(s.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(s.getCompletionTime()).isEqualTo("2026-01-01T00:02:00Z");
    assertThat(condition(s, "Failed").getReason()).isEqualTo("NonZeroExit");
    assertThat(condition(s, "Running").getStatus()).isEqualTo("False");
  }

  @Test
  void theAgentsScreenshotIsPlacedInItsClaim() {
    VirtualMachineTaskSpec spec = Fixtures.task("ns", "t", "i").getSpec();
    ArtifactVolume volume = new ArtifactVolume();
    volume.setClaimName("shots");
    volume.setSubPath("runs/t/");
    Screenshot screenshot = new Screenshot();
    screenshot.setVolume(volume);
    spec.setScreenshot(screenshot);
    TerminationReport report =
        TerminationReport.parse(
                "{\"exitCode\":125,\"reason\":\"DeadlineExceeded\",\"message\":\"late\","
                    + "\"screenshot\":{\"sizeBytes\":2814,\"sha256\":\"ab\","
                    + "\"path\":\"screenshot.png\",\"width\":720,\"height\":400}}")
            .orElseThrow();
    var outcome =
        new PodObservation.Outcome(
            125, TaskReason.DeadlineExceeded, "late", report, "2026-01-01T00:02:00Z");
    VirtualMachineTaskStatus s =
        new TaskStatusUpdates(null, 1, T1).podCreated("t-1", 1).finished(outcome, spec).build();
    assertThat(s.getScreenshot().getName()).isEqualTo("screenshot");
    assertThat(s.getScreenshot().getClaimName()).isEqualTo("shots");
    assertThat(s.getScreenshot().getPath()).isEqualTo("runs/t/screenshot.png");
    assertThat(s.getScreenshot().getSizeBytes()).isEqualTo(2814);
    assertThat(s.getScreenshot().getSha256()).isEqualTo("ab");

    VirtualMachineTaskStatus retried = new TaskStatusUpdates(s, 1, T1).podCreated("t-2", 2).build();
    assertThat(retried.getScreenshot()).isNull();
  }

  @Test
  void aSucceededOutputIsPlacedInItsClaimAndItsPublicationIsACondition() {
    VirtualMachineTaskSpec spec = Fixtures.task("ns", "t", "i").getSpec();
    ArtifactVolume volume = new ArtifactVolume();
    volume.setClaimName("builds");
    volume.setSubPath("ci/");
    TaskOutput output = new TaskOutput();
    output.setVolume(volume);
    spec.setOutput(output);
    String json =
        "{\"exitCode\":%d,\"reason\":\"%s\",\"message\":\"m\",\"output\":{\"path\":"
            + "\"/output/image.tar.zst\",\"sizeBytes\":42,\"sha256\":\"cd\","
            + "\"virtualSizeBytes\":1024,\"guestAgent\":\"CloudInit\"}}";
    TerminationReport ok = TerminationReport.parse(json.formatted(0, "Completed")).orElseThrow();
    var succeeded =
        new PodObservation.Outcome(0, TaskReason.Completed, "m", ok, "2026-01-01T00:02:00Z");

    TaskStatusUpdates next = new TaskStatusUpdates(null, 1, T1).podCreated("t-1", 1);
    VirtualMachineTaskStatus s = next.finished(succeeded, spec).build();

    assertThat(s.getOutput().getClaimName()).isEqualTo("builds");
    assertThat(s.getOutput().getPath()).isEqualTo("ci/image.tar.zst");
    assertThat(s.getOutput().getSizeBytes()).isEqualTo(42);
    assertThat(s.getOutput().getSha256()).isEqualTo("cd");
    assertThat(s.getOutput().getGuestAgent()).isEqualTo(GuestAgentMode.CLOUD_INIT);
    assertThat(s.getConditions()).extracting("type").doesNotContain("ImagePublished");

    VirtualMachineTaskStatus refused =
        new TaskStatusUpdates(s, 1, T1).outputRefused("VMImage x exists").build();
    assertThat(condition(refused, "ImagePublished").getStatus()).isEqualTo("False");
    assertThat(condition(refused, "ImagePublished").getMessage()).isEqualTo("VMImage x exists");
    VirtualMachineTaskStatus published =
        new TaskStatusUpdates(refused, 1, T1).outputPublished("ci-image").build();
    assertThat(condition(published, "ImagePublished").getStatus()).isEqualTo("True");
    assertThat(published.getOutput().getImage()).isEqualTo("ci-image");

    // Whatever the agent says, a failed attempt has no output.
    TerminationReport failedReport =
        TerminationReport.parse(json.formatted(125, "OutputFailed")).orElseThrow();
    var failed =
        new PodObservation.Outcome(
            125, TaskReason.OutputFailed, "m", failedReport, "2026-01-01T00:02:00Z");
    assertThat(
            new TaskStatusUpdates(null, 1, T1)
                .podCreated("t-1", 1)
                .finished(failed, spec)
                .build()
                .getOutput())
        .isNull();
  }

  private static Condition condition(VirtualMachineTaskStatus s, String type) {
    return s.getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }
}
