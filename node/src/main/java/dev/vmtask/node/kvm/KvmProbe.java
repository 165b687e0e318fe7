package dev.vmtask.node.kvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Boots the probe guest (a kernel and a busybox initramfs) and waits for its user-space marker.
 * Under KVM it uses {@code -cpu host}, the CPU task VMs get under KVM: some hosts run a default-CPU
 * guest and abort on {@code -cpu host}, and the verdict must hold for what tasks run. Under TCG the
 * same guest shows that the probe itself works, so a KVM failure is KVM's.
 */
public final class KvmProbe {
  /** The accelerators a probe can run under. */
  public enum Accelerator {
    KVM,
    TCG
  }

  private static final int TAIL_LINES = 5;
  private static final long FAILURE_SETTLE_MILLIS = 200;
  private static final int MAX_FAILURE_LINES = 4;

  private final String qemuBinary;
  private final Path kernel;
  private final Path initrd;
  private final Path kvmDevice;
  private final Duration timeout;

  public KvmProbe(String qemuBinary, Path kernel, Path initrd, Path kvmDevice, Duration timeout) {
    this.qemuBinary = qemuBinary;
    this.kernel = kernel;
    this.initrd = initrd;
    this.kvmDevice = kvmDevice;
    this.timeout = timeout;
  }

  /** The verdict of one probe boot under {@code accelerator}, recorded under {@code key}. */
  public KvmVerdict run(Accelerator accelerator, String key)
      throws IOException, InterruptedException {
    Instant started = Instant.now();
    if (accelerator == Accelerator.KVM) {
      String missing = deviceProblem();
      if (missing != null) {
        return new KvmVerdict(false, missing, key, started, Duration.ZERO);
      }
    }
    for (Path f : List.of(kernel, initrd)) {
      if (!Files.isReadable(f)) {
        throw new IOException("the probe guest's " + f + " is missing from the daemon's image");
      }
    }
    Process qemu =
        new ProcessBuilder(command(accelerator))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    CompletableFuture<String> marker = new CompletableFuture<>();
    CompletableFuture<String> kvmFailure = new CompletableFuture<>();
    Deque<String> tail = new ArrayDeque<>();
    CompletableFuture<Void> outputEnded = new CompletableFuture<>();
    Thread reader =
        new Thread(() -> read(qemu, marker, kvmFailure, outputEnded, tail), "kvm-probe-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String outcome = await(accelerator, qemu, marker, kvmFailure, outputEnded, tail);
      Duration took = Duration.between(started, Instant.now());
      String under = accelerator == Accelerator.KVM ? "KVM" : "TCG";
      if (outcome.startsWith("marker:")) {
        return new KvmVerdict(
            true,
            String.format(
                "a Linux guest reached user space under %s in %.1f s (%s)",
                under, took.toMillis() / 1000.0, outcome.substring("marker:".length()).strip()),
            key,
            started,
            took);
      }
      return new KvmVerdict(false, outcome, key, started, took);
    } finally {
      stop(qemu);
      reader.join(TimeUnit.SECONDS.toMillis(5));
    }
  }

  /**
   * Kills QEMU and anything it started: a child left alive would hold the output pipe open and keep
   * the reader thread waiting for an end of file.
   */
  private static void stop(Process qemu) throws InterruptedException {
    List<ProcessHandle> children = qemu.descendants().toList();
    qemu.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    qemu.waitFor(10, TimeUnit.SECONDS);
  }

  List<String> command(Accelerator accelerator) {
    List<String> a = new ArrayList<>();
    a.add(qemuBinary);
    a.addAll(List.of("-machine", "q35", "-m", "128", "-smp", "1"));
    if (accelerator == Accelerator.KVM) {
      a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
    } else {
      a.addAll(List.of("-accel", "tcg", "-cpu", "max"));
    }
    a.addAll(
        List.of(
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-nic",
            "none",
            "-no-reboot",
            "-kernel",
            kernel.toString(),
            "-initrd",
            initrd.toString(),
            "-append",
            "console=ttyS0 panic=-1 quiet"));
    return a;
  }

  /** Why the device cannot be used at all, or null. */
  private String deviceProblem() {
    if (!Files.exists(kvmDevice)) {
      return kvmDevice
          + " is missing: the kvm_intel or kvm_amd module is not loaded, or the CPU (or the"
          + " hypervisor of this VM) offers no virtualization";
    }
    // Opened for real: access(2) says yes to root even where the container's device cgroup
    // refuses the open, and QEMU opens the device read-write.
    try (RandomAccessFile device = new RandomAccessFile(kvmDevice.toFile(), "rw")) {
      return null;
    } catch (IOException e) {
      return kvmDevice
          + " exists but does not open read-write for the node daemon: "
          + e.getMessage();
    }
  }

  private String await(
      Accelerator accelerator,
      Process qemu,
      CompletableFuture<String> marker,
      CompletableFuture<String> kvmFailure,
      CompletableFuture<Void> outputEnded,
      Deque<String> tail)
      throws InterruptedException {
    CompletableFuture<Object> first =
        CompletableFuture.anyOf(
            marker.thenApply(m -> "marker:" + m), kvmFailure, qemu.onExit().thenApply(p -> "exit"));
    try {
      Object r = first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!"exit".equals(r)) {
        return (String) r;
      }
      // QEMU ended: its last lines may still be on their way to the reader, up to the end of
      // its output
      outputEnded.completeOnTimeout(null, 2, TimeUnit.SECONDS).join();
      if (marker.isDone()) {
        return "marker:" + marker.join();
      }
      if (kvmFailure.isDone()) {
        return kvmFailure.join();
      }
      synchronized (tail) {
        return "QEMU exited with code "
            + qemu.exitValue()
            + " before the guest reached user space: "
            + String.join(" / ", tail.stream().map(ProbeOutput::clean).toList());
      }
    } catch (TimeoutException e) {
      return "the guest did not reach user space within "
          + timeout.toSeconds()
          + (accelerator == Accelerator.KVM
              ? " s (QEMU printed no KVM error: a hung KVM guest)"
              : " s under TCG (QEMU printed nothing more: a hung guest)");
    } catch (java.util.concurrent.ExecutionException e) {
      return "the probe failed: " + e.getCause();
    }
  }

  private static void read(
      Process qemu,
      CompletableFuture<String> marker,
      CompletableFuture<String> kvmFailure,
      CompletableFuture<Void> outputEnded,
      Deque<String> tail) {
    List<String> failure = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
        if (ProbeOutput.isMarker(line)) {
          marker.complete(line.substring(line.indexOf(ProbeOutput.MARKER)));
        } else if (ProbeOutput.isKvmFailure(line)) {
          boolean first;
          synchronized (failure) {
            if (failure.size() < MAX_FAILURE_LINES) { // a reason is one short line
              failure.add(line);
            }
            first = failure.size() == 1;
          }
          // QEMU prints a failure in one to three lines: the verdict takes those that follow the
          // first within a moment, and does not wait for more.
          if (first) {
            CompletableFuture.runAsync(
                () -> completeWith(kvmFailure, failure),
                CompletableFuture.delayedExecutor(FAILURE_SETTLE_MILLIS, TimeUnit.MILLISECONDS));
          }
        }
      }
    } catch (IOException e) {
      // QEMU was killed: the outcome is decided already
    }
    completeWith(kvmFailure, failure);
    outputEnded.complete(null);
  }

  private static void completeWith(CompletableFuture<String> kvmFailure, List<String> failure) {
    synchronized (failure) {
      if (!failure.isEmpty()) {
        kvmFailure.complete(ProbeOutput.failureReason(failure));
      }
    }
  }
}
