package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.ArtifactCollector;
import dev.vmtask.agent.guest.ArtifactException;
import dev.vmtask.agent.guest.GuestResult;
import dev.vmtask.agent.guest.MetadataService;
import dev.vmtask.agent.vm.VirtualMachine;
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
 * collects artifacts and stops the VM. Each ending maps to one {@link Reason}.
 */
final class GuestSession {
  private static final Duration LOG_DRAIN = Duration.ofSeconds(10);

  private final AgentSettings settings;
  private final MetadataService meta;
  private final VirtualMachine vm;
  private final CompletableFuture<String> abort;
  private final RunReport report;
  private final Consumer<String> diagnostics;

  GuestSession(
      AgentSettings settings,
      MetadataService meta,
      VirtualMachine vm,
      CompletableFuture<String> abort,
      RunReport report,
      Consumer<String> diagnostics) {
    this.settings = settings;
    this.meta = meta;
    this.vm = vm;
    this.abort = abort;
    this.report = report;
    this.diagnostics = diagnostics;
  }

  Outcome run(TaskSpec task) throws InterruptedException, IOException {
    CompletableFuture<Integer> exited = vm.exited();
    report.bootStarted();
    if (!first(settings.bootTimeout(), meta.commandFetched(), exited)) {
      return ended(
          Reason.GuestUnresponsive,
          "the guest did not fetch its command within "
              + settings.bootTimeout().toSeconds()
              + " s; last console lines:\n"
              + vm.consoleTail());
    }
    if (!meta.commandFetched().isDone()) {
      return interrupted(exited);
    }
    report.commandStarted();
    if (settings.readinessFile() != null) {
      Files.writeString(settings.readinessFile(), "");
    }
    diagnostics.accept("guest is running the command");
    if (!first(task.maxRunTime(), meta.result(), exited)) {
      return ended(
          Reason.DeadlineExceeded,
          "maxRunTime of " + task.maxRunTime().toSeconds() + " s exceeded; the VM was killed");
    }
    if (!meta.result().isDone()) {
      return interrupted(exited);
    }
    report.commandEnded();
    return finish(task, meta.result().join());
  }

  /** The task ended by QEMU exiting or an abort rather than a guest event. */
  private Outcome interrupted(CompletableFuture<Integer> exited) throws InterruptedException {
    if (abort.isDone()) {
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
                      + " s and was killed"));
    }
    return ended(
        Reason.QemuCrashed,
        "QEMU exited ("
            + describeExit(exited.join())
            + ") before the guest reported a result; last QEMU output:\n"
            + vm.stderrTail());
  }

  private Outcome finish(TaskSpec task, GuestResult result) throws InterruptedException {
    if (!meta.awaitLogsClosed(LOG_DRAIN)) {
      diagnostics.accept("the guest's log stream was still open after its result");
    }
    List<dev.vmtask.agent.guest.CollectedArtifact> artifacts;
    try {
      artifacts =
          new ArtifactCollector(
                  meta.actions(), settings.artifactMaxFileBytes(), settings.artifactMaxTotalBytes())
              .collect(task.artifacts());
    } catch (ArtifactException e) {
      return ended(Reason.ArtifactFailed, e.getMessage());
    }
    report.artifacts(artifacts);
    quit();
    int code = result.exitCode();
    return code == 0
        ? report.outcome(Reason.Completed, 0, "guest command exited with 0")
        : report.outcome(Reason.NonZeroExit, code, "guest command exited with " + code);
  }

  private Outcome ended(Reason reason, String message) {
    quit();
    return report.outcome(reason, 0, message);
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
    try {
      CompletableFuture.anyOf(wanted, exited, abort).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
