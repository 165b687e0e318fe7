package dev.vmtask.agent.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.guest.GuestInput;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.vm.Acceleration;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task as the agent runs it, from {@code VMTASK_TASK} (the operator's JSON, see
 * docs/agent-contract.md) or from the {@code run} command line. {@code machine} and {@code
 * imageMachine} stay JSON until the run, where a bad machine is reported as InvalidMachine. {@code
 * screenshot} is null when none is wanted; {@code guestAgent} says how the guest agent gets into
 * the VM; {@code kvmDevice} is true in a pod that the node daemon's device plugin gave /dev/kvm;
 * {@code keepFailedVm} is how long a VM whose command failed stays up for inspection (zero: not);
 * {@code output}, when not null, is where the task's disk is packaged as an image; {@code media}
 * adds a blank disk (then {@code image} is null) and cdroms.
 */
public record TaskSpec(
    String name,
    ImageSource image,
    JsonNode imageMachine,
    JsonNode machine,
    GuestCommand command,
    Duration maxRunTime,
    List<ArtifactRequest> artifacts,
    boolean outbound,
    Acceleration acceleration,
    ScreenshotRequest screenshot,
    GuestAgentMode guestAgent,
    boolean kvmDevice,
    Duration keepFailedVm,
    OutputRequest output,
    BootMedia media) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses the operator's task JSON; header values come from {@code env}. */
  public static TaskSpec parse(String json, Map<String, String> env) throws TaskSpecException {
    JsonNode t = readObject(json);
    try {
      String name = t.path("namespace").asText("") + "/" + t.path("name").asText("");
      BootMedia media = media(t);
      return new TaskSpec(
          name,
          media.blankDisk() ? null : image(t.path("image"), env),
          t.path("image").get("machine"),
          t.get("machine"),
          command(t, env),
          Duration.ofSeconds(t.path("maxRunTimeSeconds").asLong(3600)),
          artifacts(t.path("artifacts")),
          "outbound".equals(t.path("network").asText("none")),
          Acceleration.parse(t.path("acceleration").asText("auto")),
          screenshot(t.get("screenshot")),
          GuestAgentMode.parse(t.path("image").path("guestAgent").asText(null)),
          t.path("kvmDevice").asBoolean(false),
          Duration.ofSeconds(Math.max(0, t.path("keepFailedVMSeconds").asLong(0))),
          output(t.get("output")),
          media);
    } catch (IllegalArgumentException e) {
      throw new TaskSpecException("invalid task: " + e.getMessage(), e);
    }
  }

  /** This task with another command (e.g. its inputs measured). */
  public TaskSpec withCommand(GuestCommand other) {
    return new TaskSpec(
        name,
        image,
        imageMachine,
        machine,
        other,
        maxRunTime,
        artifacts,
        outbound,
        acceleration,
        screenshot,
        guestAgent,
        kvmDevice,
        keepFailedVm,
        output,
        media);
  }

  /** This task, keeping a VM whose command failed up for {@code keep}. */
  public TaskSpec withKeepFailedVm(Duration keep) {
    return new TaskSpec(
        name,
        image,
        imageMachine,
        machine,
        command,
        maxRunTime,
        artifacts,
        outbound,
        acceleration,
        screenshot,
        guestAgent,
        kvmDevice,
        keep,
        output,
        media);
  }

  /** Only the image of a task JSON (image pods carry no command). */
  public static ImageSource parseImage(String json, Map<String, String> env)
      throws TaskSpecException {
    try {
      return image(readObject(json).path("image"), env);
    } catch (IllegalArgumentException e) {
      throw new TaskSpecException("invalid task: " + e.getMessage(), e);
    }
  }

  private static JsonNode readObject(String json) throws TaskSpecException {
    JsonNode t;
    try {
      t = JSON.readTree(json);
    } catch (IOException e) {
      throw new TaskSpecException("VMTASK_TASK is not valid JSON: " + e.getMessage(), e);
    }
    if (t == null || !t.isObject()) {
      throw new TaskSpecException("VMTASK_TASK must be a JSON object");
    }
    return t;
  }

  private static ImageSource image(JsonNode image, Map<String, String> env)
      throws TaskSpecException {
    String url = image.path("url").asText(null);
    if (url == null) {
      throw new TaskSpecException("invalid task: image.url is required");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (JsonNode h : image.path("headers")) {
      String var = h.path("env").asText("");
      String value = env.get(var);
      if (value == null) {
        throw new TaskSpecException(
            "image header "
                + h.path("name").asText()
                + ": environment variable "
                + var
                + " is not set");
      }
      headers.put(h.path("name").asText(), value);
    }
    String sha = image.path("sha256").isTextual() ? image.path("sha256").asText() : null;
    return new ImageSource(
        URI.create(url), sha, ImageFormat.parse(image.path("format").asText("auto")), headers);
  }

  /**
   * The command and its environment: {@code env} values, and {@code secretEnv} values from the
   * agent's own variables, which the kubelet filled from Secrets.
   */
  private static GuestCommand command(JsonNode t, Map<String, String> agentEnv)
      throws TaskSpecException {
    boolean hasCommand = t.path("command").isArray();
    boolean hasScript = t.path("script").isTextual();
    if (hasCommand == hasScript) {
      throw new TaskSpecException("invalid task: exactly one of command and script must be set");
    }
    List<String> argv = new ArrayList<>();
    if (hasScript) {
      argv.addAll(List.of("/bin/sh", "-c", t.path("script").asText()));
    } else {
      t.path("command").forEach(a -> argv.add(a.asText()));
    }
    Map<String, String> env = new LinkedHashMap<>();
    t.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    for (var e : (Iterable<Map.Entry<String, JsonNode>>) () -> t.path("secretEnv").fields()) {
      String value = agentEnv.get(e.getValue().asText());
      if (value == null) {
        throw new TaskSpecException(
            "invalid task: the value of guest variable "
                + e.getKey()
                + " is missing (the agent has no variable "
                + e.getValue().asText()
                + ")");
      }
      env.put(e.getKey(), value);
    }
    List<GuestInput> inputs = new ArrayList<>();
    for (JsonNode in : t.path("inputs")) {
      String path = in.path("path").asText("");
      String source = in.path("source").asText("");
      if (!path.startsWith("/") || source.isEmpty()) {
        throw new TaskSpecException("invalid task: an input needs an absolute path and a source");
      }
      int mode = in.path("mode").asInt(GuestInput.DEFAULT_MODE);
      inputs.add(
          new GuestInput(Integer.toString(inputs.size()), path, Path.of(source), mode, -1, null));
    }
    return new GuestCommand(argv, env, inputs);
  }

  private static List<ArtifactRequest> artifacts(JsonNode list) throws TaskSpecException {
    List<ArtifactRequest> out = new ArrayList<>();
    for (JsonNode a : list) {
      String type = a.path("type").asText("file");
      if (!type.equals("file") && !type.equals("directory")) {
        throw new TaskSpecException("invalid task: artifact type must be file or directory");
      }
      String dest = a.path("destination").asText(null);
      if (dest == null) {
        throw new TaskSpecException(
            "invalid task: artifact " + a.path("name") + " has no destination");
      }
      out.add(
          new ArtifactRequest(
              a.path("name").asText(),
              a.path("path").asText(),
              type.equals("directory"),
              Path.of(dest)));
    }
    return out;
  }

  /**
   * {@code blankDiskGiB} and {@code cdroms: [{url, sha256, dir}]}; a cdrom's {@code dir} is where
   * the node daemon mounted it.
   */
  private static BootMedia media(JsonNode t) {
    long blank = t.path("blankDiskGiB").asLong(0) << 30;
    List<BootMedia.Cdrom> cdroms = new ArrayList<>();
    for (JsonNode c : t.path("cdroms")) {
      String sha = c.path("sha256").isTextual() ? c.path("sha256").asText() : null;
      String dir = c.path("dir").asText(null);
      cdroms.add(
          new BootMedia.Cdrom(
              new ImageSource(URI.create(c.path("url").asText("")), sha, ImageFormat.ISO, Map.of()),
              dir == null ? null : Path.of(dir)));
    }
    return new BootMedia(blank, cdroms);
  }

  /** {@code {"destination": "/dir", "fileName": "image.tar.zst"}}; absent means no output. */
  private static OutputRequest output(JsonNode o) throws TaskSpecException {
    if (o == null || o.isNull()) {
      return null;
    }
    String dest = o.path("destination").asText("");
    String fileName = o.path("fileName").asText("image.tar.zst");
    if (!dest.startsWith("/") || fileName.isEmpty() || fileName.contains("/")) {
      throw new TaskSpecException(
          "invalid task: output needs an absolute destination and a plain fileName");
    }
    return new OutputRequest(Path.of(dest, fileName));
  }

  /**
   * {@code {"when": "Always"|"OnFailure", "destination": "/dir"}}; absent, null and the retired
   * flag {@code false} mean no screenshot.
   */
  private static ScreenshotRequest screenshot(JsonNode s) throws TaskSpecException {
    if (s == null || s.isNull() || (s.isBoolean() && !s.asBoolean())) {
      return null;
    }
    if (!s.isObject()) {
      throw new TaskSpecException(
          "invalid task: screenshot must be an object with when and destination, got " + s);
    }
    JsonNode when = s.get("when");
    if (when != null && !when.isNull() && !when.isTextual()) {
      throw new TaskSpecException(
          "invalid task: screenshot.when must be Always or OnFailure, got " + when);
    }
    JsonNode dest = s.get("destination");
    if (dest == null || !dest.isTextual() || dest.asText().isBlank()) {
      throw new TaskSpecException(
          "invalid task: screenshot.destination is required (the directory for screenshot.png)");
    }
    Path destination = Path.of(dest.asText());
    if (!destination.isAbsolute()) {
      throw new TaskSpecException(
          "invalid task: screenshot.destination must be an absolute path, got " + dest.asText());
    }
    ScreenshotRequest.When w =
        when == null || when.isNull()
            ? ScreenshotRequest.When.ON_FAILURE
            : ScreenshotRequest.When.parse(when.asText());
    return new ScreenshotRequest(w, destination);
  }
}
