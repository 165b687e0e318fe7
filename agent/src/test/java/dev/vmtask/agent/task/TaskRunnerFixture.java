package dev.vmtask.agent.task;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.ArtifactRequest;
import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.interactive.InteractiveServer;
import dev.vmtask.agent.machine.MachineLimits;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.testing.GuestTestImage;
import dev.vmtask.agent.vm.Acceleration;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link TaskRunner} for ITs that boot the real test guest: image cache shared by the ITs,
 * scratch under the test's temporary directory, a 2-vCPU/2 GiB node, the guest's output and the
 * agent's diagnostics captured.
 */
final class TaskRunnerFixture {
  private static final Path CACHE = Path.of("target/it-image-cache").toAbsolutePath();

  private final Path tmp;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final List<String> diagnostics = new CopyOnWriteArrayList<>();

  private InteractiveServer interactive;

  TaskRunnerFixture(Path tmp) {
    this.tmp = tmp;
  }

  /** Runners made from now on serve their VMs on {@code server}. */
  TaskRunnerFixture serving(InteractiveServer server) {
    this.interactive = server;
    return this;
  }

  TaskRunner runner(Duration bootTimeout) {
    return runner(bootTimeout, Duration.ofSeconds(3));
  }

  /** {@code stopGrace}: how long a powered-down guest may take to stop before it is killed. */
  TaskRunner runner(Duration bootTimeout, Duration stopGrace) {
    return runner(bootTimeout, stopGrace, "qemu-system-x86_64", CACHE);
  }

  /**
   * With another QEMU binary (e.g. a wrapper script) and cache directory (which also holds the
   * node's KVM verdict).
   */
  TaskRunner runner(Duration bootTimeout, Duration stopGrace, String qemuBinary, Path cacheDir) {
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (log) {
              log.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (log) {
              log.write(b, off, len);
            }
          }
        };
    AgentSettings settings =
        new AgentSettings(
            cacheDir,
            1L << 30,
            tmp.resolve("scratch"),
            new MachineLimits(2048, 2, 1),
            qemuBinary,
            Path.of("/dev/kvm"),
            bootTimeout,
            stopGrace,
            1 << 20,
            4 << 20,
            null,
            GuestTestImage.agentBinary(),
            null);
    return new TaskRunner(
        settings,
        sink,
        line -> {
          diagnostics.add(line);
          System.err.println("agent: " + line);
        },
        interactive);
  }

  /** What the guest command wrote. */
  String log() {
    synchronized (log) {
      return log.toString(StandardCharsets.UTF_8);
    }
  }

  /** The agent's diagnostics lines so far. */
  List<String> diagnostics() {
    return List.copyOf(diagnostics);
  }

  /** A one-vCPU task running {@code script} with {@code GREETING=hello} in its environment. */
  static TaskSpec task(
      ImageSource image,
      String script,
      Duration maxRunTime,
      boolean outbound,
      Acceleration accel,
      List<ArtifactRequest> artifacts,
      ScreenshotRequest screenshot) {
    return task(
        image,
        script,
        maxRunTime,
        outbound,
        accel,
        artifacts,
        screenshot,
        1,
        null,
        GuestAgentMode.AUTO);
  }

  /** The same with {@code memoryMiB} (null: the image's) and a guest agent mode. */
  static TaskSpec task(
      ImageSource image,
      String script,
      Duration maxRunTime,
      boolean outbound,
      Acceleration accel,
      List<ArtifactRequest> artifacts,
      ScreenshotRequest screenshot,
      int cpus,
      Integer memoryMiB,
      GuestAgentMode guestAgent) {
    var machine = JsonNodeFactory.instance.objectNode().put("cpus", cpus);
    if (memoryMiB != null) {
      machine.put("memoryMiB", memoryMiB);
    }
    return new TaskSpec(
        "test",
        image,
        null,
        machine,
        new GuestCommand(List.of("/bin/sh", "-c", script), Map.of("GREETING", "hello")),
        maxRunTime,
        artifacts,
        outbound,
        accel,
        screenshot,
        guestAgent,
        false,
        Duration.ZERO,
        null,
        BootMedia.NONE);
  }

  /**
   * {@code t} booting {@code image} (null: a blank disk) with {@code media}, packaging its disk to
   * {@code output} (null: not).
   */
  static TaskSpec booting(TaskSpec t, ImageSource image, BootMedia media, OutputRequest output) {
    return new TaskSpec(
        t.name(),
        image,
        t.imageMachine(),
        t.machine(),
        t.command(),
        t.maxRunTime(),
        t.artifacts(),
        t.outbound(),
        t.acceleration(),
        t.screenshot(),
        t.guestAgent(),
        t.kvmDevice(),
        t.keepFailedVm(),
        output,
        media);
  }

  /** The packaged test image (tar.zst), imported into the cache on first use. */
  static ImageSource archive() {
    return ImageSource.ofFile(GuestTestImage.archive(), null, ImageFormat.TAR_ZST);
  }

  static ImageSource qcow2() {
    return ImageSource.ofFile(GuestTestImage.qcow2(), null, ImageFormat.QCOW2);
  }

  /** QEMU processes this JVM started that are still alive. */
  static List<ProcessHandle> qemuProcesses() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().command().orElse("").contains("qemu-system"))
        .filter(ProcessHandle::isAlive)
        .toList();
  }
}
