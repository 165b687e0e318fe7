package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.guest.GuestInput;
import dev.vmtask.agent.vm.Acceleration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input files on the real test guest under TCG: they arrive intact before the command runs. */
class InputsIT {
  @TempDir Path tmp;

  @Test
  void inputsArriveIntactBeforeTheCommandAndAGuestSideFailureIsInputFailed() throws Exception {
    byte[] blob = new byte[300_000];
    new Random(7).nextBytes(blob);
    Path bin = Files.write(tmp.resolve("blob.bin"), blob);
    Path script = Files.writeString(tmp.resolve("run.sh"), "echo script-ran\n");
    TaskRunnerFixture fixture = new TaskRunnerFixture(tmp);
    TaskSpec task =
        withInputs(
            TaskRunnerFixture.task(
                TaskRunnerFixture.archive(),
                "sha256sum /root/in/blob.bin; /opt/tools/run.sh; ls -l /opt/tools/run.sh",
                Duration.ofMinutes(3),
                false,
                Acceleration.TCG,
                List.of(),
                null),
            new GuestInput("0", "/root/in/blob.bin", bin, 0644, -1, null),
            new GuestInput("1", "/opt/tools/run.sh", script, 0755, -1, null));

    Outcome o = fixture.runner(Duration.ofMinutes(3)).run(task);

    assertThat(o.reason()).as(o.message() + "\n" + fixture.log()).isEqualTo(Reason.Completed);
    assertThat(fixture.log())
        .contains(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob)))
        .contains("script-ran")
        .contains("-rwxr-xr-x");

    // A directory already at the path: the guest cannot write the file, the command never runs.
    TaskSpec clash =
        withInputs(
            TaskRunnerFixture.task(
                TaskRunnerFixture.archive(),
                "echo should-not-run",
                Duration.ofMinutes(3),
                false,
                Acceleration.TCG,
                List.of(),
                null),
            new GuestInput("0", "/etc", script, 0644, -1, null));
    TaskRunnerFixture second = new TaskRunnerFixture(tmp.resolve("second"));
    Outcome failed = second.runner(Duration.ofMinutes(3)).run(clash);
    assertThat(failed.reason()).as(failed.message()).isEqualTo(Reason.InputFailed);
    assertThat(failed.message()).contains("/etc");
    assertThat(second.log()).doesNotContain("should-not-run");
  }

  private static TaskSpec withInputs(TaskSpec task, GuestInput... inputs) {
    GuestCommand c = task.command();
    return task.withCommand(new GuestCommand(c.argv(), c.env(), List.of(inputs)));
  }
}
