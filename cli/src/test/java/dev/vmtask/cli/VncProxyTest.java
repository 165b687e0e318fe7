package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class VncProxyTest {
  @Test
  void aViewerConnectionGetsItsOwnVncChannel() throws Exception {
    try (FakeAgent agent =
        new FakeAgent(
            (request, in, out) -> {
              FakeAgent.answer(out, "OK");
              out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
              byte[] reply = in.readNBytes(12);
              out.write(reply);
              out.flush();
            })) {
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
      VncProxy proxy = new VncProxy("t1", agent::transport, out, out);
      CompletableFuture<Integer> exit =
          CompletableFuture.supplyAsync(() -> proxy.run("127.0.0.1", 0, Duration.ofSeconds(2)));

      Pattern line =
          Pattern.compile(
              "VNC display of t1 at 127\\.0\\.0\\.1:(\\d+) \\(vnc://127\\.0\\.0\\.1:\\1\\);"
                  + " Ctrl-C to stop\n");
      Matcher m = line.matcher("");
      for (int i = 0;
          i < 100 && !m.reset(printed.toString(StandardCharsets.UTF_8)).matches();
          i++) {
        Thread.sleep(50);
      }
      assertThat(m.matches()).as(printed.toString(StandardCharsets.UTF_8)).isTrue();

      try (Socket viewer =
          new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)))) {
        InputStream in = viewer.getInputStream();
        OutputStream toProxy = viewer.getOutputStream();
        assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII))
            .isEqualTo("RFB 003.008\n");
        toProxy.write("RFB 003.003\n".getBytes(StandardCharsets.US_ASCII));
        toProxy.flush();
        assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII))
            .isEqualTo("RFB 003.003\n");
        // The agent ends the connection: the proxy closes the viewer's.
        assertThat(in.read()).isEqualTo(-1);
      }
      assertThat(agent.request()).isEqualTo("VMTASK1 vnc");
      assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
    }
  }
}
