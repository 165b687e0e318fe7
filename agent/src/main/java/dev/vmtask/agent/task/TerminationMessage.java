package dev.vmtask.agent.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON the kubelet publishes as the container's termination message. The kubelet keeps at most
 * 4096 bytes, so artifacts that do not fit are dropped ({@code truncated: true}) and an overlong
 * message is cut. The screenshot and output entries are small and always kept.
 */
public final class TerminationMessage {
  static final int MAX_BYTES = 4095;
  private static final int MAX_MESSAGE_CHARS = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TerminationMessage() {}

  public static String render(Outcome o) {
    String message = o.message() == null ? "" : o.message();
    if (message.length() > MAX_MESSAGE_CHARS) {
      message = message.substring(0, MAX_MESSAGE_CHARS - 1) + "…";
    }
    List<CollectedArtifact> artifacts = o.artifacts();
    for (int keep = artifacts.size(); keep > 0; keep--) {
      String json = render(o, message, artifacts.subList(0, keep), keep < artifacts.size());
      if (fits(json)) {
        return json;
      }
    }
    boolean truncated = !artifacts.isEmpty();
    String json = render(o, message, List.of(), truncated);
    // A message full of characters that JSON escapes (\u001b from a console is 6 bytes) can
    // still be too long without any artifact: cut it until the whole message fits.
    while (!fits(json) && !message.isEmpty()) {
      message = message.substring(0, message.length() / 2) + "…";
      if (message.length() <= 2) {
        message = "";
      }
      json = render(o, message, List.of(), truncated);
    }
    return json;
  }

  private static boolean fits(String json) {
    return json.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
  }

  public static void write(Outcome o, Path file) throws IOException {
    Files.writeString(file, render(o), StandardCharsets.UTF_8);
  }

  private static String render(
      Outcome o, String message, List<CollectedArtifact> artifacts, boolean truncated) {
    ObjectNode n = JSON.createObjectNode();
    n.put("exitCode", o.exitCode());
    n.put("reason", o.reason().name());
    n.put("message", message);
    if (o.acceleration() != null) {
      n.put("acceleration", o.acceleration());
    }
    if (o.image() != null) {
      n.putObject("image")
          .put("digest", o.image().digest())
          .put("sizeBytes", o.image().sizeBytes())
          .put("virtualSizeBytes", o.image().virtualSizeBytes())
          .put("cached", o.image().cached());
    }
    ArrayNode a = n.putArray("artifacts");
    for (CollectedArtifact c : artifacts) {
      a.addObject()
          .put("name", c.name())
          .put("sizeBytes", c.sizeBytes())
          .put("sha256", c.sha256())
          .put("path", c.path());
    }
    StoredScreenshot s = o.screenshot();
    if (s != null) {
      n.putObject("screenshot")
          .put("sizeBytes", s.sizeBytes())
          .put("sha256", s.sha256())
          .put("path", s.path())
          .put("width", s.width())
          .put("height", s.height());
    }
    Outcome.OutputInfo out = o.output();
    if (out != null) {
      n.putObject("output")
          .put("path", out.path())
          .put("sizeBytes", out.sizeBytes())
          .put("sha256", out.sha256())
          .put("virtualSizeBytes", out.virtualSizeBytes())
          .put("guestAgent", out.guestAgent());
    }
    Outcome.Timings t = o.timings();
    n.putObject("timings")
        .put("imageMs", t.imageMs())
        .put("bootMs", t.bootMs())
        .put("commandMs", t.commandMs())
        .put("totalMs", t.totalMs());
    n.put("truncated", truncated);
    try {
      return JSON.writeValueAsString(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
