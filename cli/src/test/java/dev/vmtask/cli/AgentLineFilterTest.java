package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AgentLineFilterTest {
  private static String filter(String... chunks) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentLineFilter f = new AgentLineFilter(out);
    for (String chunk : chunks) {
      byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
      f.write(b, 0, b.length);
    }
    f.finish();
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void dropsTheAgentsLines() throws Exception {
    assertThat(
            filter(
                "vmtask-agent: booting\nhello\n\nvmtask-agent: exit 0\nvmtask-agentx: kept\nbye"))
        .isEqualTo("hello\n\nvmtask-agentx: kept\nbye");
  }

  @Test
  void linesSplitAcrossWritesAreJudgedWhole() throws Exception {
    assertThat(filter("vmtask-", "agent: x", "yz\nout", "put\nvmt", "ask-agent: y\n"))
        .isEqualTo("output\n");
  }

  @Test
  void aGuestLineShowsBeforeItsNewline() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentLineFilter f = new AgentLineFilter(out);
    f.write("login: ".getBytes(StandardCharsets.UTF_8));
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("login: ");
  }

  @Test
  void aShortLastLineIsNotLost() throws Exception {
    assertThat(filter("ok\nvmtask")).isEqualTo("ok\nvmtask");
  }
}
