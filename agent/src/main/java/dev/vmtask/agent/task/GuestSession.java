package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.ArtifactCollector;
import dev.vmtask.agent.guest.ArtifactException;
import dev.vmtask.agent.guest.CollectedArtifact;
import dev.vmtask.agent.guest.GuestResult;
import dev.vmtask.agent.guest.MetadataService;
import dev.vmtask.agent.screenshot.DisplayCapture;
import dev.vmtask.agent.screenshot.ScreenshotException;
import dev.vmtask.agent.screenshot.ScreenshotRequest;
import dev.vmtask.agent.screenshot.ScreenshotStore;
import dev.vmtask.agent.screenshot.StoredScreenshot;
import dev.vmtask.agent.vm.Acceleration;
import dev.vmtask.agent.vm.VirtualMachine;
import dev.vmtask.agent.vm.VmFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One running guest: waits for the first of boot, result, QEMU exit, deadline and abort, then
 * collects artifacts, takes the screenshot if the task wants one for that ending, and stops the VM.
 * Each ending maps to one {@link Reason}; a screenshot that fails only adds a note to the message.
 */
final class GuestSession {
  private static final Duration LOG_DRAIN = Duration.ofSeconds(10);
  private static final Duration KVM_REPORT_GRACE = Duration.ofMillis(500);

  /**
   * How long the pod stays ready at least: the kubelet probes every second and must see it ready
   * once, or its turning unready for an inspection would not show.
   */
  private static final Duration READY_AT_LEAST = Duration.ofSeconds(3);

  private final AgentSettings settings;
  private final MetadataService meta;
  private final VirtualMachine vm;
  private final Acceleration accel;
  private final VmFiles files;
  private final CompletableFuture<String> abort;
  private final RunReport report;
  private final Consumer<String> diagnostics;
  private final ScreenshotRequest screenshot;
  private long readySince;

  GuestSession(
      AgentSettings settings,
      MetadataService meta,
      VirtualMachine vm,
      Acceleration accel,
      VmFiles files,
      CompletableFuture<String> abort,
      RunReport report,
      ScreenshotRequest screenshot,
      Consumer<String> diagnostics) {
    this.settings = settings;
    this.meta = meta;
    this.vm = vm;
    this.accel = accel;
    this.files = files;
    this.abort = abort;
    this.report = report;
    this.screenshot = screenshot;
    this.diagnostics = diagnostics;
  }

  /**
   * Throws {@link KvmFailedException} when KVM failed before the guest fetched its command and the
   * task's acceleration is {@code auto}: the VM is stopped and the caller boots again under TCG.
   */
  Outcome run(TaskSpec task) throws InterruptedException, IOException, KvmFailedException {
    CompletableFuture<Integer> exited = vm.exited();
    report.bootStarted();
    if (!first(settings.bootTimeout(), meta.commandFetched(), exited)) {
      // The note goes before the console lines, which may be long enough to be cut off.
      String note = screenshot(Reason.GuestUnresponsive);
      return ended(
          Reason.GuestUnresponsive,
          "the guest did not fetch its command within "
              + settings.bootTimeout().toSeconds()
              + " s"
              + note
              + "; last console lines:\n"
              + vm.consoleTail(),
          false);
    }
    if (!meta.commandFetched().isDone()) {
      return interrupted(task, exited);
    }
    report.commandStarted();
    if (settings.readinessFile() != null) {
      Files.writeString(settings.readinessFile(), "");
      readySince = System.nanoTime();
    }
    diagnostics.accept("guest is running the command");
    if (!first(task.maxRunTime(), meta.result(), exited)) {
      return ended(
          Reason.DeadlineExceeded,
          "maxRunTime of " + task.maxRunTime().toSeconds() + " s exceeded; the VM was killed");
    }
    if (!meta.result().isDone()) {
      return interrupted(task, exited);
    }
    report.commandEnded();
    return finish(task, meta.result().join());
  }

  /** The task ended by QEMU exiting, KVM failing or an abort rather than a guest event. */
  private Outcome interrupted(TaskSpec task, CompletableFuture<Integer> exited)
      throws InterruptedException, KvmFailedException {
    if (abort.isDone()) {
      String note = screenshot(Reason.Aborted);
      boolean clean = vm.stop(settings.stopGrace());
      return ended(
          Reason.Aborted,
          "aborted ("
              + abort.join()
              + "); "
              + (clean
                  ? "the guest powered off"
                  : "the guest did not power off within "
                      + settings.stopGrace().toSeconds()
                      + " s and was killed")
              + note,
          false);
    }
    if (kvmFailed(exited)) {
      return kvmFailure(task, exited);
    }
    String note = "";
    if (screenshot != null) {
      String why = "no screenshot: QEMU had exited, its display with it";
      diagnostics.accept(why);
      note = "; " + why;
    }
    return ended(
        Reason.QemuCrashed,
        "QEMU exited ("
            + describeExit(exited.join())
            + ") before the guest reported a result"
            + note
            + "; last QEMU output:\n"
            + vm.stderrTail(),
        false);
  }

  /**
   * True when KVM failed under this VM. A QEMU that exited may have said why on stderr just before:
   * its reader is drained first, so an abort on a KVM error is not taken for a plain crash.
   */
  private boolean kvmFailed(CompletableFuture<Integer> exited) {
    if (accel != Acceleration.KVM) {
      return false;
    }
    if (exited.isDone()) {
      vm.stderrTail();
    }
    return vm.kvm().failed().isDone();
  }

  private Outcome kvmFailure(TaskSpec task, CompletableFuture<Integer> exited)
      throws InterruptedException, KvmFailedException {
    // QEMU writes its report as several lines ("KVM internal error", "emulation failure", the
    // registers) and then pauses the VM or aborts: let it finish before quoting it.
    try {
      exited.get(KVM_REPORT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // still running (paused): what it said so far is enough
    }
    boolean fetched = meta.commandFetched().isDone();
    if (KvmFailover.decide(task.acceleration(), fetched) == KvmFailover.CONTINUE_UNDER_TCG) {
      // Nothing to show or keep: the task starts over under TCG.
      vm.close();
      vm.stderrTail(); // QEMU is gone: this waits until its last lines were read
      throw new KvmFailedException(vm.kvm().cause());
    }
    // QEMU pauses a VM that KVM stopped, so its display is usually still there.
    String note =
        vm.isRunning() || screenshot == null
            ? screenshot(Reason.KvmFailed)
            : "; no screenshot: QEMU had exited, its display with it";
    quit();
    String qemuOutput = vm.stderrTail(); // QEMU is gone: its last lines were read
    return report.outcome(
        Reason.KvmFailed,
        0,
        "KVM failed under the guest ("
            + vm.kvm().cause()
            + ")"
            + (fetched
                ? " after it fetched its command, which is not run twice"
                : "; acceleration is " + task.acceleration().id() + ", so no retry under tcg")
            + note
            + "; last QEMU output:\n"
            + qemuOutput);
  }

  private Outcome finish(TaskSpec task, GuestResult result) throws InterruptedException {
    if (!meta.awaitLogsClosed(LOG_DRAIN)) {
      diagnostics.accept("the guest's log stream was still open after its result");
    }
    if (result.inputFailure() != null) {
      return ended(
          Reason.InputFailed,
          "the command did not run: the guest could not write input " + result.inputFailure());
    }
    List<CollectedArtifact> artifacts;
    try {
      artifacts =
          new ArtifactCollector(
                  meta.actions(), settings.artifactMaxFileBytes(), settings.artifactMaxTotalBytes())
              .collect(task.artifacts());
    } catch (ArtifactException e) {
      return ended(Reason.ArtifactFailed, e.getMessage());
    }
    report.artifacts(artifacts);
    int code = result.exitCode();
    Reason reason = code == 0 ? Reason.Completed : Reason.NonZeroExit;
    String note = screenshot(reason);
    if (code != 0 && !task.keepFailedVm().isZero()) {
      note += keepForInspection(task.keepFailedVm());
    }
    if (code == 0 && task.output() != null) {
      return poweredOffForOutput(note);
    }
    quit();
    return report.outcome(reason, code, "guest command exited with " + code + note);
  }

  /**
   * The disk becomes an image only after the guest flushed and unmounted its file systems: it is
   * asked to power off (ACPI), and one that does not within the grace publishes nothing.
   */
  private Outcome poweredOffForOutput(String note) throws InterruptedException {
    diagnostics.accept("powering the guest off to package its disk");
    if (!vm.stop(settings.stopGrace())) {
      return report.outcome(
          Reason.OutputFailed,
          0,
          "guest command exited with 0, but the guest did not power off within "
              + settings.stopGrace().toSeconds()
              + " s (ACPI power button), so its disk was not packaged"
              + note);
    }
    return report.outcome(Reason.Completed, 0, "guest command exited with 0" + note);
  }

  /**
   * Keeps the VM of a failed command up so its user can look inside (kubectl vmtask shell), until
   * {@code keep} has passed, the guest powers off or the task is stopped. The readiness file goes
   * first: the pod turning unready while its agent runs is how the operator sees the inspection.
   */
  private String keepForInspection(Duration keep) throws InterruptedException {
    try {
      if (settings.readinessFile() != null) {
        long ready = Duration.ofNanos(System.nanoTime() - readySince).toMillis();
        Thread.sleep(Math.max(0, READY_AT_LEAST.toMillis() - ready));
        Files.deleteIfExists(settings.readinessFile());
      }
    } catch (IOException e) {
      diagnostics.accept("could not remove the readiness file: " + e.getMessage());
    }
    diagnostics.accept(
        "the command failed; the VM is kept for inspection for up to " + keep.toSeconds() + " s");
    first(keep, new CompletableFuture<Void>(), vm.exited());
    String until =
        abort.isDone()
            ? "until the task was stopped"
            : vm.isRunning() ? "for " + keep.toSeconds() + " s" : "until the guest powered off";
    diagnostics.accept("inspection ended " + until);
    return "; the VM was kept for inspection " + until;
  }

  /** Takes the screenshot the task wants for {@code reason}, then stops the VM. */
  private Outcome ended(Reason reason, String message) {
    return ended(reason, message, true);
  }

  /** {@code screenshotFirst} false: the VM is already stopped, or the screenshot was taken. */
  private Outcome ended(Reason reason, String message, boolean screenshotFirst) {
    String note = screenshotFirst ? screenshot(reason) : "";
    quit();
    return report.outcome(reason, 0, message + note);
  }

  /**
   * Stores the screenshot if the task wants one for {@code reason}. Returns "" or, when it failed,
   * the note for the outcome's message: a screenshot never changes how the task ended.
   */
  private String screenshot(Reason reason) {
    if (screenshot == null || !screenshot.wanted(reason)) {
      return "";
    }
    long start = System.nanoTime();
    try {
      StoredScreenshot s =
          new DisplayCapture(vm, files.screendump(), new ScreenshotStore(ScreenshotStore.MAX_BYTES))
              .take(screenshot);
      report.screenshot(s);
      diagnostics.accept(
          "screenshot stored: "
              + screenshot.file()
              + " ("
              + s.width()
              + "x"
              + s.height()
              + ", "
              + s.sizeBytes()
              + " bytes, sha256:"
              + s.sha256()
              + ") in "
              + (System.nanoTime() - start) / 1_000_000
              + " ms");
      return "";
    } catch (ScreenshotException e) {
      diagnostics.accept("no screenshot: " + e.getMessage());
      return "; no screenshot: " + e.getMessage();
    }
  }

  private void quit() {
    if (vm.isRunning()) {
      try {
        vm.qmp().execute("quit");
      } catch (IOException e) {
        // the kill in close() settles it
      }
    }
    vm.close();
  }

  /**
   * Waits until {@code wanted} completes, QEMU exits or an abort arrives; false on timeout. The
   * caller tells the three apart by which future is done.
   */
  private boolean first(
      Duration timeout, CompletableFuture<?> wanted, CompletableFuture<Integer> exited)
      throws InterruptedException {
    // Under TCG the detector is not watched: its signs are KVM's alone.
    CompletableFuture<?> kvmFailed =
        accel == Acceleration.KVM ? vm.kvm().failed() : new CompletableFuture<>();
    try {
      CompletableFuture.anyOf(wanted, exited, abort, kvmFailed)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  private static String describeExit(int status) {
    return status > 128 ? "killed by signal " + (status - 128) : "status " + status;
  }
}
