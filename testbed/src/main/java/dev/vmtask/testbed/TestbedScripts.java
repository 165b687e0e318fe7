package dev.vmtask.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the testbed's shell scripts ({@code testbed/*.sh} in the repository) from Java, with a
 * timeout, and turns a failure into an exception carrying the script's output.
 */
public final class TestbedScripts {
  /** A cold {@code up} builds Kubernetes from source first, which takes about half an hour. */
  public static final Duration UP_TIMEOUT = Duration.ofMinutes(60);

  public static final Duration BUILD_IMAGE_TIMEOUT = Duration.ofMinutes(30);

  private final Path testbedDir;

  public TestbedScripts(Path testbedDir) {
    this.testbedDir = testbedDir;
  }

  /** Finds {@code testbed/} by walking up from the working directory. */
  public static TestbedScripts locate() {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("testbed/testbed.sh"))) {
        return new TestbedScripts(dir.resolve("testbed"));
      }
    }
    throw new IllegalStateException(
        "no testbed/testbed.sh in "
            + start
            + " or any parent; run the tests inside the repository");
  }

  /** Starts the testbed (a no-op when it is already up); returns the script's output. */
  public String up(Mode mode) {
    List<String> args = new ArrayList<>(List.of("testbed.sh", "up"));
    if (mode == Mode.CONTROL_PLANE) {
      args.add("--control-plane-only");
    }
    return run(UP_TIMEOUT, args);
  }

  /**
   * Adds nodes to the running full testbed until it has {@code nodes}: each further node is a
   * containerd and a kubelet of its own on this host (testbed.sh up --nodes N).
   */
  public String upNodes(int nodes) {
    return run(UP_TIMEOUT, List.of("testbed.sh", "up", "--nodes", Integer.toString(nodes)));
  }

  /** Removes further node {@code node} (2 or more) and what it left on the host. */
  public String nodeDown(int node) {
    return run(Duration.ofMinutes(3), List.of("testbed.sh", "node-down", Integer.toString(node)));
  }

  /** Stops node {@code node}'s kubelet: its pods keep running, the node stops answering. */
  public String stopKubelet(int node) {
    return run(
        Duration.ofMinutes(1), List.of("testbed.sh", "stop-kubelet", Integer.toString(node)));
  }

  /** Starts node {@code node}'s kubelet again. */
  public String startKubelet(int node) {
    return run(
        Duration.ofMinutes(3), List.of("testbed.sh", "start-kubelet", Integer.toString(node)));
  }

  /** The testbed's admin kubeconfig file. */
  public Path kubeconfig() {
    return Path.of(run(Duration.ofSeconds(30), List.of("testbed.sh", "kubeconfig")).strip());
  }

  /** The testbed kubelet's {@code --root-dir}, where CSI drivers register and mount. */
  public Path kubeletDir() {
    return Path.of(run(Duration.ofSeconds(30), List.of("testbed.sh", "kubelet-dir")).strip());
  }

  /** Stops the kubelet and starts it again, as an upgrade would; pods keep running. */
  public String restartKubelet() {
    return run(Duration.ofMinutes(3), List.of("testbed.sh", "restart-kubelet"));
  }

  /**
   * Builds an image from a Containerfile and imports it into the testbed's containerd, so pods can
   * run it with {@code imagePullPolicy: IfNotPresent}.
   */
  public String buildImage(Path containerfile, Path context, String name) {
    return run(
        BUILD_IMAGE_TIMEOUT,
        List.of("build-image.sh", containerfile.toString(), context.toString(), name));
  }

  private String run(Duration timeout, List<String> command) {
    List<String> argv = new ArrayList<>(command);
    argv.set(0, testbedDir.resolve(command.get(0)).toString());
    Process process;
    try {
      process =
          new ProcessBuilder(argv)
              .directory(testbedDir.toFile())
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", argv), e);
    }
    OutputCollector output = new OutputCollector(process.getInputStream());
    output.start();
    try {
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        throw new TestbedException(
            String.join(" ", command) + " did not finish within " + timeout, output.text());
      }
      output.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new TestbedException(String.join(" ", command) + " was interrupted", output.text());
    }
    if (process.exitValue() != 0) {
      throw new TestbedException(
          String.join(" ", command) + " failed with exit code " + process.exitValue(),
          output.text());
    }
    return output.text();
  }

  /** Drains a process's output so it can never block on a full pipe. */
  private static final class OutputCollector extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    OutputCollector(InputStream in) {
      super("testbed-script-output");
      setDaemon(true);
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          synchronized (bytes) {
            bytes.write(buffer, 0, n);
          }
        }
      } catch (IOException e) {
        // The process is gone; what was read is all there is.
      }
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
