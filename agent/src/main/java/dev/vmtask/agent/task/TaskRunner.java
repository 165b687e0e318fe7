package dev.vmtask.agent.task;

import dev.vmtask.agent.cloudinit.CloudInitDrive;
import dev.vmtask.agent.cloudinit.GuestAgentMode;
import dev.vmtask.agent.guest.MetadataService;
import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.ImageFetchException;
import dev.vmtask.agent.image.ImageFormat;
import dev.vmtask.agent.image.ImageLease;
import dev.vmtask.agent.image.ImagePackager;
import dev.vmtask.agent.image.ImageProgress;
import dev.vmtask.agent.image.ImageRejectedException;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.image.MountedImage;
import dev.vmtask.agent.image.Overlay;
import dev.vmtask.agent.interactive.InteractiveServer;
import dev.vmtask.agent.interactive.InteractiveVm;
import dev.vmtask.agent.machine.InvalidMachineException;
import dev.vmtask.agent.machine.MachineDefinition;
import dev.vmtask.agent.machine.MachineJson;
import dev.vmtask.agent.vm.Acceleration;
import dev.vmtask.agent.vm.AccelerationProbe;
import dev.vmtask.agent.vm.KvmStartFailedException;
import dev.vmtask.agent.vm.QemuCommand;
import dev.vmtask.agent.vm.VirtualMachine;
import dev.vmtask.agent.vm.VmFiles;
import dev.vmtask.agent.vm.VmNetwork;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs one task: image into the cache, a per-task overlay, the machine resolved against the node,
 * acceleration chosen, then a {@link GuestSession}. Every failure becomes an {@link Outcome} with
 * its reason; nothing is thrown and nothing is left running.
 */
public final class TaskRunner {
  private final AgentSettings settings;
  private final OutputStream guestLog;
  private final Consumer<String> diagnostics;
  private final InteractiveServer interactive;
  private final CompletableFuture<String> abort = new CompletableFuture<>();

  public TaskRunner(AgentSettings settings, OutputStream guestLog, Consumer<String> diagnostics) {
    this(settings, guestLog, diagnostics, null);
  }

  /** {@code interactive}, when not null, serves each VM of the run while it is up. */
  public TaskRunner(
      AgentSettings settings,
      OutputStream guestLog,
      Consumer<String> diagnostics,
      InteractiveServer interactive) {
    this.settings = settings;
    this.guestLog = guestLog;
    this.diagnostics = diagnostics;
    this.interactive = interactive;
  }

  /** Stops the run (e.g. on SIGTERM): the guest is powered off, then killed after the grace. */
  public void abort(String why) {
    abort.complete(why);
  }

  public Outcome run(TaskSpec task) {
    RunReport report = new RunReport();
    String missing = HostPrerequisites.missing(settings.qemuBinary(), System.getenv("PATH"));
    if (missing != null) {
      return report.outcome(Reason.AgentError, 0, missing);
    }
    try {
      task =
          task.withCommand(
              InputFiles.measure(
                  task.command(),
                  settings.artifactMaxFileBytes(),
                  settings.artifactMaxTotalBytes()));
    } catch (InputFiles.InputFailedException | IOException e) {
      return report.outcome(Reason.InputFailed, 0, e.getMessage());
    }
    Path vmDir = null;
    List<ImageLease> cdroms = new ArrayList<>();
    try (ImageLease lease = task.image() == null ? null : acquire(task.image(), report)) {
      List<Path> cdromFiles = acquireCdroms(task.media(), cdroms);
      vmDir = createVmDir();
      Path overlay = newDisk(task, lease, vmDir.resolve("disk.qcow2"));
      MachineDefinition resolved = resolveMachine(task, lease);
      MachineDefinition machine = withDisplayForScreenshot(task, resolved);
      AccelerationProbe probe =
          new AccelerationProbe(
              settings.qemuBinary(), settings.kvmDevice(), settings.stateDir(), vmDir, diagnostics);
      Acceleration accel =
          task.kvmDevice()
              ? probe.granted(task.acceleration())
              : probe.resolve(task.acceleration(), machine.cpu());
      report.acceleration(accel.id());
      diagnostics.accept(
          "booting "
              + machine.threads() * machine.cores() * machine.sockets()
              + " vCPU, "
              + machine.memory()
              + " MiB, "
              + accel.id());
      Path configDrive = configDrive(task, lease, machine, vmDir);
      if (abort.isDone()) {
        return abortedBeforeBoot(report);
      }
      VmFiles files = new VmFiles(vmDir);
      try {
        Outcome outcome =
            boot(task, machine, accel, overlay, configDrive, cdromFiles, files, report);
        if (outcome.reason() == Reason.KvmFailed && !task.kvmDevice()) {
          markKvmFailed(probe, machine, outcome.message());
        }
        return withOutput(task, outcome, lease, overlay, resolved, vmDir, report);
      } catch (KvmFailedException kvm) {
        // Nothing of the task ran: the same attempt boots again under TCG on a fresh overlay (the
        // old one has the KVM boot's writes), and the node's next auto VM skips KVM.
        if (!task.kvmDevice()) {
          markKvmFailed(probe, machine, kvm.getMessage());
        }
        String why = "KVM failed before the guest fetched its command (" + kvm.getMessage() + ")";
        diagnostics.accept(why + ": booting again under tcg");
        report.acceleration(Acceleration.TCG.id());
        report.note(why + ", so it ran under tcg");
        Files.delete(overlay);
        overlay = newDisk(task, lease, overlay);
        if (abort.isDone()) {
          return abortedBeforeBoot(report);
        }
        Outcome outcome =
            bootUnderTcg(task, machine, overlay, configDrive, cdromFiles, files, report);
        return withOutput(task, outcome, lease, overlay, resolved, vmDir, report);
      }
    } catch (ImageRejectedException | ImageFetchException e) {
      return report.outcome(Reason.ImageFailed, 0, e.getMessage());
    } catch (InvalidMachineException e) {
      return report.outcome(Reason.InvalidMachine, 0, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return report.outcome(Reason.Aborted, 0, "interrupted");
    } catch (IOException | RuntimeException e) {
      return report.outcome(Reason.AgentError, 0, String.valueOf(e.getMessage()));
    } finally {
      closeQuietly(cdroms);
      deleteQuietly(vmDir);
    }
  }

  /** The task's writable disk: an overlay on its image, or blank. */
  private static Path newDisk(TaskSpec task, ImageLease lease, Path target) throws IOException {
    return lease == null
        ? Overlay.blank(target, task.media().blankDiskBytes())
        : Overlay.create(lease, target);
  }

  /**
   * Leases each cdrom into {@code leases} (closed by the caller, also on failure) and returns their
   * files: mounted by the node daemon in pods, imported into the cache otherwise.
   */
  private List<Path> acquireCdroms(BootMedia media, List<ImageLease> leases)
      throws IOException, ImageRejectedException {
    List<Path> files = new ArrayList<>();
    for (BootMedia.Cdrom cdrom : media.cdroms()) {
      ImageLease lease = lease(cdrom.source(), cdrom.mounted(), p -> {});
      leases.add(lease);
      if (lease.format() != ImageFormat.ISO) {
        throw new ImageRejectedException(
            "cdrom " + (leases.size() - 1) + " is a " + lease.format() + " image, not an iso");
      }
      files.add(lease.baseDisk());
    }
    return files;
  }

  /** Only fetches and validates the image (image pods). */
  public Outcome fetch(ImageSource image) {
    RunReport report = new RunReport();
    try (ImageLease lease = acquire(image, report)) {
      return report.outcome(
          Reason.Completed, 0, "image " + lease.digest() + " is in the node's cache");
    } catch (ImageRejectedException | ImageFetchException e) {
      return report.outcome(Reason.ImageFailed, 0, e.getMessage());
    } catch (IOException | RuntimeException e) {
      return report.outcome(Reason.AgentError, 0, String.valueOf(e.getMessage()));
    }
  }

  private ImageLease acquire(ImageSource image, RunReport report)
      throws IOException, ImageRejectedException {
    int[] lastPercent = {-1};
    ImageLease lease =
        lease(
            image,
            settings.imageDir(),
            p -> {
              if (p.totalBytes() > 0 && p.percent() / 10 != lastPercent[0] / 10) {
                lastPercent[0] = p.percent();
                diagnostics.accept("fetching image: " + p.percent() + " %");
              }
            });
    boolean cached = settings.imageDir() != null || lease.wasCached();
    report.imageReady(
        new Outcome.ImageInfo(lease.digest(), lease.sizeBytes(), lease.virtualSizeBytes(), cached));
    return lease;
  }

  /**
   * {@code image} as the node daemon mounted it at {@code mounted} (pods), or, with {@code mounted}
   * null, imported into the agent's own cache.
   */
  private ImageLease lease(ImageSource image, Path mounted, Consumer<ImageProgress> progress)
      throws IOException, ImageRejectedException {
    return mounted != null
        ? MountedImage.open(mounted)
        : ImageCache.open(settings.cacheDir(), settings.cacheMaxBytes()).acquire(image, progress);
  }

  private MachineDefinition resolveMachine(TaskSpec task, ImageLease lease)
      throws InvalidMachineException {
    List<MachineDefinition> layers = new ArrayList<>();
    layers.add(MachineJson.fromTask(task.machine(), "machine"));
    layers.add(MachineJson.fromTask(task.imageMachine(), "image.machine"));
    if (lease != null) {
      lease.machine().ifPresent(layers::add);
    }
    if (lease == null || lease.machine().isEmpty()) {
      layers.add(MachineDefinition.STANDALONE_DISK);
    }
    return MachineDefinition.resolve(layers, settings.limits(), new SecureRandom());
  }

  /** The cloud-init config drive that starts the guest agent, or null when the image has one. */
  private Path configDrive(TaskSpec task, ImageLease lease, MachineDefinition machine, Path vmDir)
      throws IOException {
    GuestAgentMode mode = guestAgent(task, lease);
    if (mode != GuestAgentMode.CLOUD_INIT) {
      diagnostics.accept("guest agent: the image's own (" + task.guestAgent() + ")");
      return null;
    }
    diagnostics.accept("guest agent: from a cloud-init config drive (" + task.guestAgent() + ")");
    return CloudInitDrive.write(vmDir, settings.guestAgentBinary(), "vmtask-" + machine.uuid());
  }

  /**
   * Packages the disk of a task that wants it and completed (the guest powered off): the disk
   * flattened, with the machine it ran on minus that VM's identity (uuid, MAC).
   */
  private Outcome withOutput(
      TaskSpec task,
      Outcome outcome,
      ImageLease lease,
      Path overlay,
      MachineDefinition machine,
      Path vmDir,
      RunReport report) {
    if (task.output() == null || outcome.reason() != Reason.Completed) {
      return outcome;
    }
    Path target = task.output().file();
    diagnostics.accept("packaging the disk as " + target);
    long start = System.nanoTime();
    try {
      byte[] machineJson =
          MachineJson.toJson(machine.toBuilder().uuid(null).mac(null).build())
              .toString()
              .getBytes(StandardCharsets.UTF_8);
      ImagePackager.Packaged p = ImagePackager.write(overlay, "qcow2", machineJson, vmDir, target);
      report.output(
          new Outcome.OutputInfo(
              target.toString(),
              p.sizeBytes(),
              p.sha256(),
              p.virtualSizeBytes(),
              guestAgent(task, lease).toString()));
      diagnostics.accept(
          "image packaged: "
              + p.sizeBytes()
              + " bytes, sha256:"
              + p.sha256()
              + " in "
              + (System.nanoTime() - start) / 1_000_000
              + " ms");
      return report.extend(
          outcome,
          "; its disk was packaged as " + target.getFileName() + " (sha256:" + p.sha256() + ")");
    } catch (IOException | RuntimeException e) {
      return report.outcome(
          Reason.OutputFailed,
          0,
          "guest command exited with 0, but its disk could not be packaged: " + e.getMessage());
    }
  }

  /**
   * How the guest agent gets in: a blank disk boots a cdrom built for vmtask, which brings the
   * agent, unless the task says CloudInit.
   */
  private static GuestAgentMode guestAgent(TaskSpec task, ImageLease lease) {
    if (lease == null) {
      return task.guestAgent() == GuestAgentMode.CLOUD_INIT
          ? GuestAgentMode.CLOUD_INIT
          : GuestAgentMode.PREINSTALLED;
    }
    return task.guestAgent().resolve(lease.format());
  }

  /** QMP screendump needs a display device; a machine without one gets a standard VGA. */
  private MachineDefinition withDisplayForScreenshot(TaskSpec task, MachineDefinition machine) {
    if (task.screenshot() == null || !"none".equals(machine.graphics())) {
      return machine;
    }
    diagnostics.accept("graphics none, using VGA: a screenshot needs a display device");
    return machine.toBuilder().graphics("VGA").build();
  }

  private Outcome abortedBeforeBoot(RunReport report) {
    return report.outcome(Reason.Aborted, 0, "aborted (" + abort.join() + ") before boot");
  }

  /** Best effort: the verdict only spares the next VM a failed KVM boot. */
  private void markKvmFailed(AccelerationProbe probe, MachineDefinition machine, String why) {
    try {
      probe.markFailed(machine.cpu(), why);
    } catch (IOException e) {
      diagnostics.accept("could not record the KVM failure for this node: " + e.getMessage());
    }
  }

  private Outcome bootUnderTcg(
      TaskSpec task,
      MachineDefinition machine,
      Path overlay,
      Path configDrive,
      List<Path> cdroms,
      VmFiles files,
      RunReport report)
      throws IOException, InterruptedException {
    try {
      return boot(task, machine, Acceleration.TCG, overlay, configDrive, cdroms, files, report);
    } catch (KvmFailedException e) {
      // a session under TCG does not watch for KVM failures
      throw new IllegalStateException("KVM failure reported under tcg: " + e.getMessage(), e);
    }
  }

  private Outcome boot(
      TaskSpec task,
      MachineDefinition machine,
      Acceleration accel,
      Path overlay,
      Path configDrive,
      List<Path> cdroms,
      VmFiles files,
      RunReport report)
      throws IOException, InterruptedException, KvmFailedException {
    try (MetadataService meta = MetadataService.start(task.command(), guestLog)) {
      List<String> argv =
          QemuCommand.build(
              settings.qemuBinary(),
              machine,
              accel,
              overlay,
              "qcow2",
              new VmNetwork(meta.address(), task.outbound()),
              files,
              configDrive,
              cdroms,
              task.media().blankDisk());
      VirtualMachine vm;
      try {
        vm = VirtualMachine.start(argv, files, diagnostics);
      } catch (KvmStartFailedException e) {
        return kvmFailedAtStart(task, accel, e, report);
      } catch (IOException e) {
        return report.outcome(Reason.QemuCrashed, 0, e.getMessage());
      }
      try (vm) {
        if (interactive != null) {
          interactive.attach(
              new InteractiveVm(vm.serialConsole(), files.vncSocket(), meta.shells()));
        }
        return new GuestSession(
                settings, meta, vm, accel, files, abort, report, task.screenshot(), diagnostics)
            .run(task);
      } finally {
        if (interactive != null) {
          interactive.detach();
        }
      }
    }
  }

  /** QEMU exited before the guest ran, saying KVM failed: as a KVM failure before the fetch. */
  private Outcome kvmFailedAtStart(
      TaskSpec task, Acceleration accel, KvmStartFailedException e, RunReport report)
      throws KvmFailedException {
    if (accel != Acceleration.KVM) {
      return report.outcome(Reason.QemuCrashed, 0, e.getMessage());
    }
    if (KvmFailover.decide(task.acceleration(), false) == KvmFailover.CONTINUE_UNDER_TCG) {
      throw new KvmFailedException(e.qemuSays());
    }
    return report.outcome(
        Reason.KvmFailed,
        0,
        "KVM failed as QEMU started ("
            + e.qemuSays()
            + "); acceleration is "
            + task.acceleration().id()
            + ", so no retry under tcg; "
            + e.getMessage());
  }

  private Path createVmDir() throws IOException {
    Files.createDirectories(settings.scratchDir());
    // Short name: unix socket paths are limited to 107 bytes.
    return Files.createTempDirectory(
        settings.scratchDir(),
        "vm",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  private static void closeQuietly(List<ImageLease> leases) {
    for (ImageLease lease : leases) {
      try {
        lease.close();
      } catch (IOException e) {
        // a lease only pins a cache entry against eviction: nothing is lost
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: scratch is an emptyDir that goes with the pod
    }
  }
}
