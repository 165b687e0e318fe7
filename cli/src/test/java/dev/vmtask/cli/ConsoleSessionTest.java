package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConsoleSessionTest {
  private static final String CONSOLE = "VMTASK1 console";

  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

  @Test
  void theEndOfStdinDoesNotEndTheSessionTheAgentClosingDoes() throws Exception {
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              out.write("login: ".getBytes());
              out.flush();
              byte[] typed = in.readNBytes(5);
              // The client's stdin has ended by now; the session must still be there.
              Thread.sleep(200);
              out.write(("you typed " + new String(typed) + "\n").getBytes());
              out.flush();
            })) {
      InteractiveChannel.Connection c = InteractiveChannel.open(agent.transport(), CONSOLE);
      ByteArrayInputStream stdin = new ByteArrayInputStream("root\n".getBytes());
      ConsoleSession.Ending ending =
          new ConsoleSession(c, stdin, stdout).run(Duration.ofSeconds(10));

      assertThat(ending).isEqualTo(ConsoleSession.Ending.CLOSED);
      assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("login: you typed root\n\n");
      assertThat(agent.request()).isEqualTo(CONSOLE);
      agent.awaitScript();
    }
  }

  @Test
  void ctrlRightBracketEndsTheSessionAndIsNotSent() throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              received.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            })) {
      InteractiveChannel.Connection c = InteractiveChannel.open(agent.transport(), CONSOLE);
      ByteArrayInputStream stdin = new ByteArrayInputStream(new byte[] {'l', 's', 0x1d, 'x'});
      assertThat(new ConsoleSession(c, stdin, stdout).run(null))
          .isEqualTo(ConsoleSession.Ending.ESCAPED);
      assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("ls");
    }
  }

  @Test
  void theTimeoutEndsAnIdleSession() throws Exception {
    PipedOutputStream keyboard = new PipedOutputStream();
    try (FakeAgent agent =
            new FakeAgent(
                (request, in, out) -> {
                  FakeAgent.answer(out, "OK");
                  in.readAllBytes();
                });
        PipedInputStream stdin = new PipedInputStream(keyboard)) {
      InteractiveChannel.Connection c = InteractiveChannel.open(agent.transport(), CONSOLE);
      assertThat(new ConsoleSession(c, stdin, stdout).run(Duration.ofMillis(300)))
          .isEqualTo(ConsoleSession.Ending.TIMED_OUT);
      agent.awaitScript();
    } finally {
      keyboard.close();
    }
  }
}
