package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmtask.agent.guest.CollectedArtifact;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TerminationMessageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Outcome.Timings T = new Outcome.Timings(1, 2, 3, 6);
  private static final Outcome.ImageInfo IMAGE =
      new Outcome.ImageInfo("sha256:" + "a".repeat(64), 10, 20, true);

  @Test
  void rendersTheContractFields() throws Exception {
    Outcome o =
        new Outcome(
            Reason.NonZeroExit,
            3,
            "guest command exited with 3",
            "tcg",
            IMAGE,
            List.of(new CollectedArtifact("out", 12, "b".repeat(64), "out.txt")),
            T);

    JsonNode m = JSON.readTree(TerminationMessage.render(o));

    assertThat(m.path("exitCode").asInt()).isEqualTo(3);
    assertThat(m.path("reason").asText()).isEqualTo("NonZeroExit");
    assertThat(m.path("acceleration").asText()).isEqualTo("tcg");
    assertThat(m.path("image").path("cached").asBoolean()).isTrue();
    assertThat(m.path("artifacts").get(0).path("path").asText()).isEqualTo("out.txt");
    assertThat(m.path("timings").path("totalMs").asLong()).isEqualTo(6);
    assertThat(m.path("truncated").asBoolean()).isFalse();
  }

  @Test
  void staysUnder4096BytesByDroppingArtifactsAndCuttingTheMessage() throws Exception {
    List<CollectedArtifact> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(new CollectedArtifact("a" + i, i, "c".repeat(64), "dir/file-" + i));
    }
    Outcome o = new Outcome(Reason.AgentError, 0, "x".repeat(10_000), null, IMAGE, many, T);

    String json = TerminationMessage.render(o);
    JsonNode m = JSON.readTree(json);

    assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThan(4096);
    assertThat(m.path("exitCode").asInt()).isEqualTo(125);
    assertThat(m.path("truncated").asBoolean()).isTrue();
    assertThat(m.path("artifacts").size()).isBetween(1, 99);
    assertThat(m.path("message").asText()).hasSizeLessThan(1100).endsWith("…");
  }
}
