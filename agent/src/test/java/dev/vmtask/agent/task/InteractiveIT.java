package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.interactive.InteractiveClient;
import dev.vmtask.agent.interactive.InteractiveServer;
import dev.vmtask.agent.vm.Acceleration;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive channel on the real test guest under TCG: a VM whose command failed is kept for
 * inspection, and serves shells (with and without a PTY), its serial console and its display until
 * the task is stopped.
 */
class InteractiveIT {
  @TempDir Path tmp;

  @Test
  void aFailedCommandsVmIsKeptAndServesShellsConsoleAndDisplay() throws Exception {
    try (InteractiveServer server = new InteractiveServer(0, line -> {}, s -> null)) {
      TaskRunnerFixture fixture = new TaskRunnerFixture(tmp).serving(server);
      TaskSpec task =
          TaskRunnerFixture.task(
                  TaskRunnerFixture.archive(),
                  "echo to-the-console >/dev/console; echo failing; exit 3",
                  Duration.ofMinutes(3),
                  false,
                  Acceleration.TCG,
                  List.of(),
                  null)
              .withKeepFailedVm(Duration.ofMinutes(5));
      ((ObjectNode) task.machine()).put("graphics", "VGA");
      TaskRunner runner = fixture.runner(Duration.ofMinutes(3));
      CompletableFuture<Outcome> run = CompletableFuture.supplyAsync(() -> runner.run(task));

      await()
          .atMost(Duration.ofMinutes(4))
          .until(
              () ->
                  run.isDone()
                      || fixture.diagnostics().stream()
                          .anyMatch(l -> l.contains("kept for inspection")));
      assertThat(run).as("the run ended instead of keeping the VM").isNotDone();

      try (InteractiveClient c =
          InteractiveClient.open(
              server.port(),
              "VMTASK1 shell {\"command\":[\"sh\",\"-c\",\"uname -a; test -t 0 && stty size\"],"
                  + "\"tty\":true,\"rows\":31,\"cols\":101}")) {
        assertThat(c.answer()).isEqualTo("OK");
        InteractiveClient.ShellResult r = c.readShellResult();
        assertThat(r.stdout()).contains("Linux").contains("31 101");
        assertThat(r.exitStatus()).isZero();
      }

      try (InteractiveClient c =
          InteractiveClient.open(
              server.port(),
              "VMTASK1 shell {\"command\":[\"sh\",\"-c\","
                  + "\"read line; echo got-$line; echo err >&2; test -t 0 || exit 5\"]}")) {
        assertThat(c.answer()).isEqualTo("OK");
        c.sendFrame('i', "typed\n".getBytes(StandardCharsets.UTF_8));
        InteractiveClient.ShellResult r = c.readShellResult();
        assertThat(r.stdout()).isEqualTo("got-typed\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.exitStatus()).isEqualTo(5);
      }

      try (InteractiveClient c =
          InteractiveClient.open(server.port(), "VMTASK1 shell {\"command\":[\"no-such-tool\"]}")) {
        assertThat(c.answer()).isEqualTo("OK");
        org.assertj.core.api.Assertions.assertThatThrownBy(c::readShellResult)
            .hasMessageContaining("no-such-tool");
      }

      try (InteractiveClient c = InteractiveClient.open(server.port(), "VMTASK1 console")) {
        assertThat(c.answer()).isEqualTo("OK");
        assertThat(c.readUntil("to-the-console")).contains("to-the-console");
      }

      try (InteractiveClient c = InteractiveClient.open(server.port(), "VMTASK1 vnc")) {
        assertThat(c.answer()).isEqualTo("OK");
        assertFramebufferUpdate(c.in(), c.out());
      }

      runner.abort("inspection done");
      Outcome o = run.get(2, TimeUnit.MINUTES);
      assertThat(o.reason()).as(o.message()).isEqualTo(Reason.NonZeroExit);
      assertThat(o.exitCode()).isEqualTo(3);
      assertThat(o.message()).contains("kept for inspection until the task was stopped");
      assertThat(fixture.log()).contains("failing");

      try (InteractiveClient c = InteractiveClient.open(server.port(), "VMTASK1 console")) {
        assertThat(c.answer()).isEqualTo("ERROR the VM is not running");
      }
    }
  }

  /** RFB 3.8 (RFC 6143): version, security None, init, then a full framebuffer update. */
  static void assertFramebufferUpdate(DataInputStream in, DataOutputStream out) throws Exception {
    byte[] version = in.readNBytes(12);
    assertThat(new String(version, StandardCharsets.US_ASCII)).isEqualTo("RFB 003.008\n");
    out.write(version);
    int types = in.readUnsignedByte();
    assertThat(types).as("security types offered").isPositive();
    byte[] offered = in.readNBytes(types);
    assertThat(offered).contains((byte) 1);
    out.writeByte(1);
    out.flush();
    assertThat(in.readInt()).as("security result").isZero();
    out.writeByte(1); // shared
    out.flush();
    int width = in.readUnsignedShort();
    int height = in.readUnsignedShort();
    assertThat(width).isPositive();
    assertThat(height).isPositive();
    in.readNBytes(16); // pixel format
    in.readNBytes(in.readInt()); // name
    out.writeByte(3); // FramebufferUpdateRequest
    out.writeByte(0); // not incremental
    out.writeShort(0);
    out.writeShort(0);
    out.writeShort(width);
    out.writeShort(height);
    out.flush();
    int type = in.readUnsignedByte();
    while (type != 0) {
      // QEMU may announce other things first (e.g. a desktop resize is itself an update)
      assertThat(type).as("server message type").isIn(0, 2);
      type = in.readUnsignedByte();
    }
    in.readUnsignedByte(); // padding
    assertThat(in.readUnsignedShort()).as("rectangles in the update").isPositive();
  }
}
