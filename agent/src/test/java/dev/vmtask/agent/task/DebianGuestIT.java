package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.testing.GuestTestImage;
import dev.vmtask.agent.vm.Acceleration;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ordinary Debian bookworm cloud guest (guest/build-debian-guest.sh: its own partitioned disk, a
 * bootloader, systemd, cloud-init, Debian's cloud kernel, nothing of vmtask) under TCG. The agent
 * gets in through a cloud-init config drive, or is installed the documented way.
 */
class DebianGuestIT {
  private static final Duration BOOT = Duration.ofMinutes(6);
  // systemd's orderly shutdown under TCG takes seconds, not the busybox guest's instant
  private static final Duration STOP_GRACE = Duration.ofSeconds(90);
  private static final int MEMORY_MIB = 1024;

  @TempDir Path tmp;
  private TaskRunnerFixture fixture;

  @BeforeEach
  void fixture() {
    fixture = new TaskRunnerFixture(tmp);
  }

  @AfterEach
  void noQemuLeft() {
    assertThat(TaskRunnerFixture.qemuProcesses()).as("QEMU processes left running").isEmpty();
  }

  private static ImageSource debian() {
    return ImageSource.ofFile(GuestTestImage.debianQcow2(), null, ImageFormat.QCOW2);
  }

  private static TaskSpec task(
      ImageSource image,
      String script,
      Duration maxRunTime,
      List<ArtifactRequest> artifacts,
      GuestAgentMode mode) {
    return TaskRunnerFixture.task(
        image, script, maxRunTime, false, Acceleration.TCG, artifacts, null, 2, MEMORY_MIB, mode);
  }

  @Test
  void cloudInitStartsTheAgentAndTheTaskReturnsItsLogExitCodeAndArtifact() throws Exception {
    Path dest = tmp.resolve("artifacts");
    TaskSpec t =
        task(
            debian(),
            "echo \"$GREETING from $(cat /etc/debian_version)\"; uname -r;"
                + " printf 'built on debian' > /root/result.txt; exit 3",
            Duration.ofMinutes(5),
            List.of(new ArtifactRequest("result", "/root/result.txt", false, dest)),
            GuestAgentMode.AUTO); // a qcow2: cloud-init

    Outcome o = fixture.runner(BOOT, STOP_GRACE).run(t);

    assertThat(o.reason())
        .as("%s%n%s", o.message(), fixture.diagnostics())
        .isEqualTo(Reason.NonZeroExit);
    assertThat(o.exitCode()).isEqualTo(3);
    assertThat(fixture.log()).containsPattern("hello from 12\\.\\d+\\n").contains("-cloud-amd64\n");
    assertThat(fixture.diagnostics()).anyMatch(l -> l.contains("cloud-init config drive"));
    assertThat(o.artifacts())
        .containsExactly(
            new CollectedArtifact("result", 15, sha256("built on debian"), "result.txt"));
    assertThat(dest.resolve("result.txt")).hasContent("built on debian");
  }

  @Test
  void theLogIsLiveAndMaxRunTimeEndsTheTask() throws Exception {
    TaskSpec t =
        task(
            debian(),
            "echo started; sleep 1000",
            Duration.ofSeconds(20),
            List.of(),
            GuestAgentMode.CLOUD_INIT);
    CompletableFuture<Outcome> run = startUntilStarted(fixture.runner(BOOT, STOP_GRACE), t);

    // the first line arrives while the command still runs
    assertThat(run).isNotDone();
    Outcome o = run.get(2, TimeUnit.MINUTES);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.DeadlineExceeded);
    assertThat(o.message()).contains("maxRunTime of 20 s exceeded");
  }

  @Test
  void anAbortPressesThePowerButtonAndSystemdPowersTheGuestOff() throws Exception {
    TaskSpec t =
        task(
            debian(),
            "echo started; sleep 1000",
            Duration.ofMinutes(10),
            List.of(),
            GuestAgentMode.AUTO);
    TaskRunner runner = fixture.runner(BOOT, STOP_GRACE);
    CompletableFuture<Outcome> run = startUntilStarted(runner, t);

    runner.abort("SIGTERM");
    Outcome o = run.get(3, TimeUnit.MINUTES);

    assertThat(o.reason()).as(o.message()).isEqualTo(Reason.Aborted);
    assertThat(o.message()).contains("the guest powered off");
  }

  /**
   * The agent installed as docs/guest.md says (binary + enabled unit). The image still has
   * cloud-init, so Auto attaches the drive for the network configuration, and the drive's start
   * script leaves the agent to the image's own unit: it runs once, from the image.
   */
  @Test
  void theAgentInstalledTheDocumentedWayRunsFromItsOwnUnit() throws Exception {
    TaskSpec t =
        task(
            ImageSource.ofFile(GuestTestImage.debianWithAgentQcow2(), null, ImageFormat.QCOW2),
            "systemctl is-active vmtask-guest.service; systemctl is-active vmtask-guest-cidata.service; exit 5",
            Duration.ofMinutes(5),
            List.of(),
            GuestAgentMode.AUTO);

    Outcome o = fixture.runner(BOOT, STOP_GRACE).run(t);

    assertThat(o.reason())
        .as("%s%n%s", o.message(), fixture.diagnostics())
        .isEqualTo(Reason.NonZeroExit);
    assertThat(o.exitCode()).isEqualTo(5);
    assertThat(fixture.log()).isEqualTo("active\ninactive\n");
    assertThat(fixture.diagnostics())
        .anyMatch(l -> l.contains("vmtask: the image starts its own guest agent"));
  }

  /** Runs {@code t} in the background until its command printed "started" or the run ended. */
  private CompletableFuture<Outcome> startUntilStarted(TaskRunner runner, TaskSpec t) {
    CompletableFuture<Outcome> run = CompletableFuture.supplyAsync(() -> runner.run(t));
    await().atMost(BOOT).until(() -> fixture.log().contains("started") || run.isDone());
    return run;
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes()));
  }
}
