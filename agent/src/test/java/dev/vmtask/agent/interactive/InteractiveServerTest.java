package dev.vmtask.agent.interactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The interactive server without a VM: who it refuses and how requests are answered. */
class InteractiveServerTest {
  private final List<String> diagnostics = new CopyOnWriteArrayList<>();

  @Test
  void connectionsFromTheAgentsOwnUidAreRefusedAsTheGuestsWouldBe() throws Exception {
    // This test's process is the agent: its connection comes from the VM's uid.
    try (InteractiveServer server = InteractiveServer.start(0, diagnostics::add);
        Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> diagnostics.stream().anyMatch(l -> l.contains("refused")));
      assertThat(diagnostics).anyMatch(l -> l.contains("the VM's own"));
    }
  }

  @Test
  void answersWithAReasonWhenThereIsNoVmOrTheRequestIsWrong() throws Exception {
    try (InteractiveServer server = new InteractiveServer(0, diagnostics::add, s -> null)) {
      assertThat(answer(server, "VMTASK1 console")).isEqualTo("ERROR the VM is not running");
      assertThat(answer(server, "GET / HTTP/1.1")).startsWith("ERROR expected \"VMTASK1");
    }
  }

  @Test
  void aServerWithoutVmStillStopsCleanly() throws Exception {
    InteractiveServer server = new InteractiveServer(0, diagnostics::add, s -> null);
    int port = server.port();
    server.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Socket("127.0.0.1", port))
        .isInstanceOf(IOException.class);
  }

  private static String answer(InteractiveServer server, String request) throws IOException {
    try (InteractiveClient c = InteractiveClient.open(server.port(), request)) {
      return c.answer();
    }
  }
}
