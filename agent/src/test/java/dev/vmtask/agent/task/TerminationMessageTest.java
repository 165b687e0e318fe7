package dev.vmtask.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.screenshot.StoredScreenshot;
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
            null,
            T,
            null);

    JsonNode m = JSON.readTree(TerminationMessage.render(o));

    assertThat(m.path("exitCode").asInt()).isEqualTo(3);
    assertThat(m.path("reason").asText()).isEqualTo("NonZeroExit");
    assertThat(m.path("acceleration").asText()).isEqualTo("tcg");
    assertThat(m.path("image").path("cached").asBoolean()).isTrue();
    assertThat(m.path("artifacts").get(0).path("path").asText()).isEqualTo("out.txt");
    assertThat(m.path("timings").path("totalMs").asLong()).isEqualTo(6);
    assertThat(m.path("truncated").asBoolean()).isFalse();
    assertThat(m.has("screenshot")).isFalse();
  }

  @Test
  void rendersAStoredScreenshotAndOutput() throws Exception {
    Outcome o =
        new Outcome(
            Reason.DeadlineExceeded,
            0,
            "maxRunTime of 5 s exceeded",
            "tcg",
            IMAGE,
            List.of(),
            new StoredScreenshot(1234, "d".repeat(64), "screenshot.png", 720, 400),
            T,
            new Outcome.OutputInfo(
                "/output/image.tar.zst", 4321, "f".repeat(64), 1L << 30, "Preinstalled"));

    JsonNode m = JSON.readTree(TerminationMessage.render(o));

    assertThat(m.path("screenshot"))
        .isEqualTo(
            JSON.readTree(
                "{\"sizeBytes\": 1234, \"sha256\": \""
                    + "d".repeat(64)
                    + "\", \"path\": \"screenshot.png\", \"width\": 720, \"height\": 400}"));
    assertThat(m.path("output").path("path").asText()).isEqualTo("/output/image.tar.zst");
    assertThat(m.path("output").path("sha256").asText()).isEqualTo("f".repeat(64));
    assertThat(m.path("output").path("virtualSizeBytes").asLong()).isEqualTo(1L << 30);
  }

  @Test
  void staysUnder4096BytesByDroppingArtifactsAndCuttingTheMessage() throws Exception {
    List<CollectedArtifact> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(new CollectedArtifact("a" + i, i, "c".repeat(64), "dir/file-" + i));
    }
    StoredScreenshot shot = new StoredScreenshot(99, "e".repeat(64), "screenshot.png", 640, 480);
    Outcome o =
        new Outcome(Reason.AgentError, 0, "x".repeat(10_000), null, IMAGE, many, shot, T, null);

    String json = TerminationMessage.render(o);
    JsonNode m = JSON.readTree(json);

    assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThan(4096);
    assertThat(m.path("exitCode").asInt()).isEqualTo(125);
    assertThat(m.path("truncated").asBoolean()).isTrue();
    assertThat(m.path("artifacts").size()).isBetween(1, 99);
    assertThat(m.path("message").asText()).hasSizeLessThan(1100).endsWith("…");
    assertThat(m.path("screenshot").path("sha256").asText()).isEqualTo("e".repeat(64));
    assertThat(m.path("screenshot").path("width").asInt()).isEqualTo(640);
  }

  @Test
  void keepsTheScreenshotWhenEvenTheMessageMustBeCut() throws Exception {
    // Control characters from a console are escaped as 6 bytes each (\u001b).
    String console = "\u001b".repeat(2000);
    List<CollectedArtifact> some =
        List.of(new CollectedArtifact("a", 1, "c".repeat(64), "dir/file"));
    StoredScreenshot shot = new StoredScreenshot(99, "e".repeat(64), "screenshot.png", 720, 400);
    Outcome o =
        new Outcome(Reason.GuestUnresponsive, 0, console, "tcg", IMAGE, some, shot, T, null);

    String json = TerminationMessage.render(o);
    JsonNode m = JSON.readTree(json);

    assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThan(4096);
    assertThat(m.path("reason").asText()).isEqualTo("GuestUnresponsive");
    assertThat(m.path("artifacts").size()).isZero();
    assertThat(m.path("truncated").asBoolean()).isTrue();
    assertThat(m.path("message").asText()).startsWith("\u001b").endsWith("…");
    assertThat(m.path("screenshot").path("path").asText()).isEqualTo("screenshot.png");
  }
}
