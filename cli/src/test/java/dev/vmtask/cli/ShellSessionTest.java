package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShellSessionTest {
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  private static String shellRequest(List<String> command) {
    return InteractiveChannel.request(
        InteractiveChannel.Mode.SHELL,
        ShellSession.request(command, false, 24, 80, "xterm-256color"));
  }

  private static InputStream stdin(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void stdinGoesOutAndOutputAndExitStatusComeBack() throws Exception {
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              ByteArrayOutputStream got = new ByteArrayOutputStream();
              ShellFrames.Frame f;
              while ((f = ShellFrames.read(in)).type() != ShellFrames.STDIN_CLOSED) {
                assertThat(f.type()).isEqualTo(ShellFrames.STDIN);
                got.write(f.payload());
              }
              ShellFrames.write(out, ShellFrames.STDOUT, got.toByteArray());
              ShellFrames.write(out, ShellFrames.STDERR, "warning\n".getBytes());
              ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(3));
            })) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(agent.transport(), shellRequest(List.of("cat", "-")));
      int status = new ShellSession(c, stdin("hello\nworld\n"), stdout, stderr).run();

      assertThat(status).isEqualTo(3);
      assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("hello\nworld\n");
      assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("warning\n");
      assertThat(agent.request())
          .isEqualTo(
              "VMTASK1 shell {\"command\":[\"cat\",\"-\"],\"tty\":false,\"rows\":24,\"cols\":80,"
                  + "\"term\":\"xterm-256color\"}");
      agent.awaitScript();
    }
  }

  @Test
  void largeStdinIsCutIntoFramesOfAtMost32KiB() throws Exception {
    byte[] data = new byte[100_000];
    new Random(1).nextBytes(data);
    List<Integer> sizes = new ArrayList<>();
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              ByteArrayOutputStream got = new ByteArrayOutputStream();
              ShellFrames.Frame f;
              while ((f = ShellFrames.read(in)).type() == ShellFrames.STDIN) {
                sizes.add(f.payload().length);
                got.write(f.payload());
              }
              assertThat(f.type()).isEqualTo(ShellFrames.STDIN_CLOSED);
              assertThat(got.toByteArray()).isEqualTo(data);
              ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(0));
            })) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(agent.transport(), shellRequest(List.of()));
      assertThat(new ShellSession(c, new ByteArrayInputStream(data), stdout, stderr).run())
          .isZero();
      agent.awaitScript();
      assertThat(sizes).allMatch(n -> n > 0 && n <= 32 * 1024);
    }
  }

  @Test
  void aResizeGoesOutAsItsOwnFrame() throws Exception {
    PipedOutputStream keyboard = new PipedOutputStream();
    PipedInputStream blockedStdin = new PipedInputStream(keyboard);
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              ShellFrames.Frame f = ShellFrames.read(in);
              assertThat(f.type()).isEqualTo(ShellFrames.RESIZE);
              ByteBuffer size = ByteBuffer.wrap(f.payload());
              assertThat(size.getShort()).isEqualTo((short) 50);
              assertThat(size.getShort()).isEqualTo((short) 132);
              ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(0));
            })) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(agent.transport(), shellRequest(List.of()));
      ShellSession session = new ShellSession(c, blockedStdin, stdout, stderr);
      session.resize(50, 132);
      assertThat(session.run()).isZero();
      agent.awaitScript();
    } finally {
      keyboard.close();
    }
  }

  @Test
  void aFailureFrameIsTheError() throws Exception {
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              ShellFrames.write(
                  out,
                  ShellFrames.FAILURE,
                  "no such command: frob".getBytes(StandardCharsets.UTF_8));
            })) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(agent.transport(), shellRequest(List.of("frob")));
      assertThatThrownBy(() -> new ShellSession(c, stdin(""), stdout, stderr).run())
          .isInstanceOf(CliException.class)
          .hasMessage("no such command: frob");
    }
  }

  @Test
  void anEndWithoutExitStatusIsAnError() throws Exception {
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              ShellFrames.write(out, ShellFrames.STDOUT, "partial".getBytes());
              // and the connection closes
            })) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(agent.transport(), shellRequest(List.of()));
      assertThatThrownBy(() -> new ShellSession(c, stdin(""), stdout, stderr).run())
          .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
          .hasMessage("the session ended without an exit status");
      assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("partial");
    }
  }

  @Test
  void anErrorAnswerIsShownAsIs() throws Exception {
    try (FakeAgent agent =
        new FakeAgent((request, in, out) -> FakeAgent.answer(out, "ERROR the VM is not running"))) {
      assertThatThrownBy(
              () -> InteractiveChannel.open(agent.transport(), shellRequest(List.of("true"))))
          .isInstanceOf(CliException.class)
          .hasMessage("the VM is not running");
    }
  }

  @Test
  void aConnectionClosedBeforeTheAnswerSaysSo() throws Exception {
    try (FakeAgent agent = new FakeAgent((request, in, out) -> {})) {
      assertThatThrownBy(
              () -> InteractiveChannel.open(agent.transport(), shellRequest(List.of("true"))))
          .isInstanceOf(CliException.class)
          .hasMessageContaining("closed the interactive channel without answering");
    }
  }

  @Test
  void anOverlongRequestIsRefusedBeforeSending() {
    String huge = "x".repeat(InteractiveChannel.MAX_LINE);
    assertThatThrownBy(() -> shellRequest(List.of("echo", huge)))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("4096");
  }
}
