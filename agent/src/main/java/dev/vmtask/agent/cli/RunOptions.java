package dev.vmtask.agent.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.task.BootMedia;
import dev.vmtask.agent.task.OutputRequest;
import dev.vmtask.agent.task.TaskSpec;
import dev.vmtask.agent.vm.Acceleration;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code run} command line, turned into a {@link TaskSpec}. */
record RunOptions(TaskSpec task, Path cacheDir, Duration bootTimeout) {
  static final String USAGE =
      """
      usage: vmtask-agent run [options] IMAGE|--blank-disk GIB -- COMMAND...
        IMAGE                  a file or an http(s) URL (tar.zst, qcow2 or raw)
        --blank-disk GIB       boot a blank disk of GIB GiB instead of an image (from a --cdrom)
        --cdrom FILE           attach an ISO 9660 file read-only (at most two); with a blank disk,
                               the cdroms boot first
        --cpus N               vCPUs
        --memory MIB           guest memory in MiB
        --max-run-time S       seconds the command may run (default 3600)
        --boot-timeout S       seconds the guest may take to fetch its command (default 300)
        --accel auto|kvm|tcg   acceleration (default auto: KVM only if a probe VM runs)
        --network none|outbound  guest egress (default none)
        --sha256 HEX           expected sha256 of the image file
        --format F             tar.zst, qcow2, raw or auto (default auto)
        --artifact PATH:DIR    copy a guest file to DIR/<basename>; PATH ending in / copies a tree
        --env K=V              environment variable for the command (repeatable)
        --cache DIR            image cache (default $VMTASK_CACHE_DIR or ~/.cache/vmtask/images)
        --screenshot DIR       store a PNG of the display as DIR/screenshot.png before the VM
                               stops (a machine without graphics gets a VGA adapter)
        --screenshot-when W    always or on-failure (default on-failure; needs --screenshot)
        --guest-agent M        auto, cloud-init or preinstalled (default auto: preinstalled for
                               tar.zst, cloud-init for qcow2 and raw)
        --output FILE          after the command exited 0, power the guest off and package its
                               disk as a tar.zst image at FILE (its sha256 goes to stderr)
      The guest's output goes to stdout; the exit code is the command's, or 125 with a message on
      stderr when the task could not run.""";

  static RunOptions parse(List<String> args, Map<String, String> env) throws UsageException {
    ObjectNode machine = JsonNodeFactory.instance.objectNode();
    Duration maxRunTime = Duration.ofHours(1);
    Duration bootTimeout = Duration.ofMinutes(5);
    Acceleration accel = Acceleration.AUTO;
    boolean outbound = false;
    String sha256 = null;
    ImageFormat format = ImageFormat.AUTO;
    List<ArtifactRequest> artifacts = new ArrayList<>();
    Map<String, String> guestEnv = new LinkedHashMap<>();
    Path cache =
        Path.of(
            env.getOrDefault(
                "VMTASK_CACHE_DIR", System.getProperty("user.home") + "/.cache/vmtask/images"));
    Path screenshotDir = null;
    ScreenshotRequest.When screenshotWhen = null;
    GuestAgentMode guestAgent = GuestAgentMode.AUTO;
    OutputRequest output = null;
    long blankDiskGiB = 0;
    List<BootMedia.Cdrom> cdroms = new ArrayList<>();
    String image = null;
    int i = 0;
    try {
      for (; i < args.size() && !args.get(i).equals("--"); i++) {
        String a = args.get(i);
        if (!a.startsWith("--")) {
          if (image != null) {
            throw new UsageException("more than one IMAGE: " + image + " and " + a);
          }
          image = a;
          continue;
        }
        if (i + 1 >= args.size()) {
          throw new UsageException(a + " needs a value");
        }
        String v = args.get(++i);
        switch (a) {
          case "--cpus" -> machine.put("cpus", positive(a, v));
          case "--memory" -> machine.put("memoryMiB", positive(a, v));
          case "--max-run-time" -> maxRunTime = Duration.ofSeconds(positive(a, v));
          case "--boot-timeout" -> bootTimeout = Duration.ofSeconds(positive(a, v));
          case "--accel" -> accel = Acceleration.parse(v);
          case "--network" -> outbound = network(v);
          case "--sha256" -> sha256 = v;
          case "--format" -> format = ImageFormat.parse(v);
          case "--artifact" -> artifacts.add(artifact(v));
          case "--env" -> {
            int eq = v.indexOf('=');
            if (eq <= 0) {
              throw new UsageException("--env wants K=V, got " + v);
            }
            guestEnv.put(v.substring(0, eq), v.substring(eq + 1));
          }
          case "--cache" -> cache = Path.of(v);
          case "--screenshot" -> screenshotDir = Path.of(v);
          case "--screenshot-when" -> screenshotWhen = screenshotWhen(v);
          case "--guest-agent" -> guestAgent = GuestAgentMode.parse(v);
          case "--output" -> output = new OutputRequest(Path.of(v).toAbsolutePath());
          case "--blank-disk" -> blankDiskGiB = positive(a, v);
          case "--cdrom" ->
              cdroms.add(
                  new BootMedia.Cdrom(ImageSource.ofFile(Path.of(v), null, ImageFormat.ISO), null));
          default -> throw new UsageException("unknown option " + a);
        }
      }
      if (image == null && blankDiskGiB == 0) {
        throw new UsageException("IMAGE is missing (or --blank-disk GIB)");
      }
      if (image != null && blankDiskGiB > 0) {
        throw new UsageException("IMAGE and --blank-disk exclude each other");
      }
      if (blankDiskGiB > 0 && cdroms.isEmpty()) {
        throw new UsageException("--blank-disk needs a --cdrom to boot from");
      }
      if (screenshotWhen != null && screenshotDir == null) {
        throw new UsageException("--screenshot-when needs --screenshot DIR");
      }
      if (i >= args.size() - 1) {
        throw new UsageException("COMMAND is missing (after --)");
      }
      GuestCommand command = new GuestCommand(args.subList(i + 1, args.size()), guestEnv);
      ImageSource source =
          image == null
              ? null
              : image.startsWith("http://") || image.startsWith("https://")
                  ? new ImageSource(URI.create(image), sha256, format, Map.of())
                  : ImageSource.ofFile(Path.of(image), sha256, format);
      TaskSpec task =
          new TaskSpec(
              "run",
              source,
              null,
              machine,
              command,
              maxRunTime,
              artifacts,
              outbound,
              accel,
              screenshotDir == null
                  ? null
                  : new ScreenshotRequest(
                      screenshotWhen == null ? ScreenshotRequest.When.ON_FAILURE : screenshotWhen,
                      screenshotDir.toAbsolutePath()),
              guestAgent,
              false,
              Duration.ZERO,
              output,
              new BootMedia(blankDiskGiB << 30, cdroms));
      return new RunOptions(task, cache, bootTimeout);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static int positive(String option, String v) throws UsageException {
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(option + " wants a positive integer, got " + v);
  }

  private static boolean network(String v) throws UsageException {
    return switch (v) {
      case "none" -> false;
      case "outbound" -> true;
      default -> throw new UsageException("--network wants none or outbound, got " + v);
    };
  }

  private static ScreenshotRequest.When screenshotWhen(String v) throws UsageException {
    return switch (v) {
      case "always" -> ScreenshotRequest.When.ALWAYS;
      case "on-failure" -> ScreenshotRequest.When.ON_FAILURE;
      default -> throw new UsageException("--screenshot-when wants always or on-failure, got " + v);
    };
  }

  private static ArtifactRequest artifact(String v) throws UsageException {
    int colon = v.lastIndexOf(':');
    if (colon <= 0 || colon == v.length() - 1) {
      throw new UsageException("--artifact wants GUESTPATH:DESTDIR, got " + v);
    }
    String path = v.substring(0, colon);
    boolean directory = path.endsWith("/") && path.length() > 1;
    String trimmed = directory ? path.substring(0, path.length() - 1) : path;
    String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
    return new ArtifactRequest(name, trimmed, directory, Path.of(v.substring(colon + 1)));
  }
}
