package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The interactive channel through fabric8's port-forward, against a fake API server's websocket.
 */
class PodPortForwardTest {
  private static KubernetesClient client(String url) {
    Config config = new ConfigBuilder().withMasterUrl(url).withRequestRetryBackoffLimit(0).build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Test
  void aShellSessionRunsThroughThePortForward() throws Exception {
    try (FakePortForwardServer api =
            FakePortForwardServer.serving(
                8100,
                (request, in, out) -> {
                  assertThat(request).startsWith("VMTASK1 shell {\"command\":[\"cat\"]");
                  FakeAgent.answer(out, "OK");
                  ShellFrames.Frame f;
                  while ((f = ShellFrames.read(in)).type() == ShellFrames.STDIN) {
                    ShellFrames.write(out, ShellFrames.STDOUT, f.payload());
                  }
                  ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(7));
                });
        KubernetesClient client = client(api.url())) {
      Transport transport = new PodPortForward(client, "ns", "p", 8100);
      InteractiveChannel.Connection c =
          InteractiveChannel.open(
              transport,
              InteractiveChannel.request(
                  InteractiveChannel.Mode.SHELL,
                  ShellSession.request(List.of("cat"), false, 24, 80, "xterm")));
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      byte[] input = "through the websocket\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
      int status =
          new ShellSession(c, new ByteArrayInputStream(input), stdout, new ByteArrayOutputStream())
              .run();

      assertThat(status).isEqualTo(7);
      assertThat(stdout.toByteArray()).isEqualTo(input);
      assertThat(api.upgradePath.get())
          .isEqualTo("/api/v1/namespaces/ns/pods/p/portforward?ports=8100");
      api.awaitDone();
    }
  }

  @Test
  void theConsoleEndsWhenTheForwardCloses() throws Exception {
    try (FakePortForwardServer api =
            FakePortForwardServer.serving(
                8100,
                (request, in, out) -> {
                  FakeAgent.answer(out, "OK");
                  out.write("replayed output\r\n".getBytes(StandardCharsets.UTF_8));
                });
        KubernetesClient client = client(api.url())) {
      InteractiveChannel.Connection c =
          InteractiveChannel.open(new PodPortForward(client, "ns", "p", 8100), "VMTASK1 console");
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      ConsoleSession.Ending ending =
          new ConsoleSession(c, new ByteArrayInputStream(new byte[0]), stdout).run(null);
      assertThat(ending).isEqualTo(ConsoleSession.Ending.CLOSED);
      assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("replayed output\r\n");
    }
  }

  @Test
  void nothingListeningOnThePortIsReportedFromTheErrorChannel() throws Exception {
    try (FakePortForwardServer api =
            FakePortForwardServer.failing(
                8100,
                "error forwarding port 8100 to pod abc, uid : failed to connect to localhost:8100:"
                    + " connection refused");
        KubernetesClient client = client(api.url())) {
      assertThatThrownBy(
              () ->
                  InteractiveChannel.open(
                      new PodPortForward(client, "ns", "p", 8100), "VMTASK1 vnc"))
          .isInstanceOf(CliException.class)
          .hasMessage(
              "cannot reach the agent's interactive port 8100 in pod ns/p: error forwarding port"
                  + " 8100 to pod abc, uid : failed to connect to localhost:8100: connection"
                  + " refused");
    }
  }
}
