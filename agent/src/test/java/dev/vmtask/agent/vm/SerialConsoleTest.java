package dev.vmtask.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SerialConsoleTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aViewerGetsRecentHistoryThenLiveOutputUntilTheConsoleEnds() throws Exception {
    SerialConsole console = new SerialConsole(new ByteArrayOutputStream());
    console.received(bytes("booted\n"), 0, 7);
    InputStream view = console.view();
    console.received(bytes("xxlive\n"), 2, 5);
    console.ended();
    assertThat(new String(view.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("booted\nlive\n");
  }

  @Test
  void historyKeepsOnlyTheLastBytes() throws Exception {
    SerialConsole console = new SerialConsole(new ByteArrayOutputStream());
    byte[] big = new byte[SerialConsole.HISTORY_BYTES + 10];
    java.util.Arrays.fill(big, (byte) 'a');
    big[big.length - 1] = 'z';
    console.received(big, 0, big.length);
    console.ended();
    byte[] seen = console.view().readAllBytes();
    assertThat(seen).hasSize(SerialConsole.HISTORY_BYTES);
    assertThat(seen[seen.length - 1]).isEqualTo((byte) 'z');
  }

  @Test
  void aViewerThatFallsTooFarBehindIsCutOff() throws Exception {
    SerialConsole console = new SerialConsole(new ByteArrayOutputStream());
    InputStream view = console.view();
    byte[] chunk = new byte[64 * 1024];
    for (int i = 0; i <= SerialConsole.VIEWER_BACKLOG_BYTES / chunk.length; i++) {
      console.received(chunk, 0, chunk.length);
    }
    assertThat(view.readAllBytes().length).isLessThanOrEqualTo(SerialConsole.VIEWER_BACKLOG_BYTES);
  }

  @Test
  void whatAViewerTypesGoesToTheGuest() throws Exception {
    ByteArrayOutputStream toGuest = new ByteArrayOutputStream();
    new SerialConsole(toGuest).send(bytes("root\n"), 0, 5);
    assertThat(toGuest.toString(StandardCharsets.UTF_8)).isEqualTo("root\n");
  }
}
