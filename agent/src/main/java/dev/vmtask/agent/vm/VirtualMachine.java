package dev.vmtask.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One QEMU process: started paused, driven over QMP, and never left running. Its serial console
 * (stdout) and stderr are forwarded line by line to the agent's diagnostics, and their last lines
 * are kept for failure messages. Its stderr and QMP {@code STOP} events also feed a {@link
 * KvmFailureDetector}.
 */
public final class VirtualMachine implements AutoCloseable {
  private static final int TAIL_LINES = 20;
  private static final Duration QMP_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SCREENDUMP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(10);

  private final Process process;
  private final VmFiles files;
  private final Tail console = new Tail();
  private final SerialConsole serial;
  private final Tail stderr = new Tail();
  private final Thread consoleReader;
  private final Thread stderrReader;
  private final KvmFailureDetector kvm = new KvmFailureDetector();
  private QmpClient qmp;

  private VirtualMachine(Process process, VmFiles files, Consumer<String> diagnostics) {
    this.process = process;
    this.files = files;
    this.serial = new SerialConsole(process.getOutputStream());
    this.consoleReader =
        pump(
            new ConsoleTee(process.getInputStream(), serial),
            console,
            line -> diagnostics.accept("console: " + line));
    this.stderrReader =
        pump(
            process.getErrorStream(),
            stderr,
            line -> {
              kvm.stderrLine(line);
              diagnostics.accept("qemu: " + line);
            });
  }

  /**
   * Starts QEMU (which must be given {@code -S}), connects QMP and lets the guest run. On any
   * failure QEMU is killed before the exception leaves; a {@link KvmStartFailedException} when QEMU
   * said KVM failed.
   */
  public static VirtualMachine start(
      List<String> command, VmFiles files, Consumer<String> diagnostics)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(withParentDeathSignal(command));
    // QEMU needs no variables from the agent (e.g. image download headers).
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME") && !k.equals("TMPDIR"));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    VirtualMachine vm = new VirtualMachine(pb.start(), files, diagnostics);
    try {
      vm.qmp = QmpClient.connect(files.qmpSocket(), QMP_CONNECT_TIMEOUT, vm.process::isAlive);
      vm.qmp.onEvent(vm::onQmpEvent);
      vm.qmp.execute("cont");
      return vm;
    } catch (IOException e) {
      vm.close();
      String message =
          "QEMU did not start: " + e.getMessage() + "; last QEMU output:\n" + vm.stderrTail();
      if (vm.kvm.failed().isDone()) {
        throw new KvmStartFailedException(message, vm.kvm.cause(), e);
      }
      throw new IOException(message, e);
    } catch (InterruptedException | RuntimeException e) {
      vm.close();
      throw e;
    }
  }

  /**
   * QEMU must not outlive the agent, even when the agent is killed with SIGKILL (then no Java code
   * runs). {@code setpriv --pdeathsig KILL} (util-linux) makes the kernel kill QEMU when the thread
   * that started it ends; that thread is the one that runs the session until QEMU is gone.
   */
  private static List<String> withParentDeathSignal(List<String> command) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "setpriv"))) {
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
        wrapped.addAll(command);
        return wrapped;
      }
    }
    return command;
  }

  public long pid() {
    return process.pid();
  }

  public QmpClient qmp() {
    return qmp;
  }

  /** What QEMU said about KVM failing under this VM (nothing under TCG). */
  public KvmFailureDetector kvm() {
    return kvm;
  }

  /**
   * The agent never pauses the VM, so a {@code STOP} means QEMU did: ask why. Not on the QMP reader
   * thread, which must stay free to read the reply.
   */
  private void onQmpEvent(JsonNode event) {
    if ("STOP".equals(event.path("event").asText())) {
      Thread t =
          new Thread(
              () -> {
                try {
                  kvm.status(
                      qmp.execute("query-status", Map.of(), STATUS_TIMEOUT)
                          .path("status")
                          .asText());
                } catch (IOException e) {
                  // QEMU is going away; its exit is noticed on its own
                }
              },
              "qmp-status");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Completes with QEMU's exit status when the process ends. */
  public CompletableFuture<Integer> exited() {
    return process.onExit().thenApply(Process::exitValue);
  }

  public boolean isRunning() {
    return process.isAlive();
  }

  /**
   * Asks the guest to power off (ACPI power button) and waits up to {@code grace}; kills QEMU if it
   * is still running then. Returns true when the guest stopped by itself.
   */
  public boolean stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) {
      return true;
    }
    try {
      qmp.execute("system_powerdown");
    } catch (IOException e) {
      // QMP gone: the process is ending or broken; the kill below settles it.
    }
    boolean clean = process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    close();
    return clean;
  }

  /**
   * Has QEMU write a PNG of the display to {@code file} (QMP {@code screendump}; QEMU 7.1 and later
   * write PNG themselves when built with libpng). Needs a display device.
   */
  public void screendumpPng(Path file) throws IOException {
    try {
      qmp.execute(
          "screendump", Map.of("filename", file.toString(), "format", "png"), SCREENDUMP_TIMEOUT);
    } catch (QmpException e) {
      String m = String.valueOf(e.getMessage());
      // QEMU before 7.1: "Parameter 'format' is unexpected"; without libpng: "Enable PNG support
      // with libpng for screendump".
      if (m.contains("'format'") || m.contains("libpng")) {
        throw new QmpException(
            "this QEMU cannot write PNG screenshots (it needs QEMU 7.1 or later built with"
                + " libpng): "
                + m,
            e);
      }
      throw e;
    }
  }

  /** The last lines QEMU wrote to stderr. */
  public String stderrTail() {
    awaitReaders();
    return stderr.text();
  }

  /** The serial console as raw bytes, for interactive viewers. */
  public SerialConsole serialConsole() {
    return serial;
  }

  /** The last lines of the guest's serial console. */
  public String consoleTail() {
    return console.text();
  }

  /** Kills QEMU (SIGKILL) and waits for it; also any process the pid file names. */
  @Override
  public void close() {
    if (qmp != null) {
      try {
        qmp.close();
      } catch (IOException e) {
        // closing a dead socket
      }
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    killByPidFile();
  }

  private void killByPidFile() {
    try {
      String pid = Files.readString(files.pidFile()).trim();
      ProcessHandle.of(Long.parseLong(pid))
          .filter(h -> h.info().command().map(c -> c.contains("qemu")).orElse(false))
          .ifPresent(ProcessHandle::destroyForcibly);
    } catch (IOException | NumberFormatException e) {
      // no pid file: QEMU never got that far
    }
  }

  private void awaitReaders() {
    try {
      if (!process.isAlive()) {
        stderrReader.join(2000);
        consoleReader.join(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread pump(InputStream in, Tail tail, Consumer<String> sink) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  String clean = line.replace("\r", "");
                  tail.add(clean);
                  sink.accept(clean);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "qemu-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Hands what QEMU writes to its console to the {@link SerialConsole} as it is read. */
  private static final class ConsoleTee extends FilterInputStream {
    private final SerialConsole serial;

    ConsoleTee(InputStream in, SerialConsole serial) {
      super(in);
      this.serial = serial;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b < 0) {
        serial.ended();
      } else {
        serial.received(new byte[] {(byte) b}, 0, 1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        serial.ended();
        throw e;
      }
      if (n < 0) {
        serial.ended();
      } else {
        serial.received(b, off, n);
      }
      return n;
    }
  }

  /** The last {@value #TAIL_LINES} lines of a stream. */
  private static final class Tail {
    private final Deque<String> lines = new ArrayDeque<>();

    synchronized void add(String line) {
      if (lines.size() == TAIL_LINES) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }

    synchronized String text() {
      return String.join("\n", lines);
    }
  }
}
