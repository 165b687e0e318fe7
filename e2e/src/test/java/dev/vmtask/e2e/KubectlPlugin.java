package dev.vmtask.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kubectl vmtask ...} as a user runs it: kubectl finds the plugin the build left in
 * cli/target on PATH, with the kubeconfig and namespace given.
 */
final class KubectlPlugin {
  record Result(int exitCode, String stdout, String stderr) {}

  private final Path kubeconfig;
  private final String namespace;

  KubectlPlugin(Path kubeconfig, String namespace) {
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
  }

  /** Runs to completion (stdin empty); killed after {@code timeout}. */
  Result run(Duration timeout, String... args) {
    Process p = start(args);
    try {
      p.getOutputStream().close();
      var out = p.getInputStream();
      var err = p.getErrorStream();
      var stdout = new java.util.concurrent.CompletableFuture<byte[]>();
      var stderr = new java.util.concurrent.CompletableFuture<byte[]>();
      new Thread(() -> stdout.complete(readAll(out))).start();
      new Thread(() -> stderr.complete(readAll(err))).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "kubectl vmtask " + String.join(" ", args) + " still running after " + timeout);
      }
      return new Result(
          p.exitValue(),
          new String(stdout.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
          new String(stderr.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts it; the caller owns the process. */
  Process start(String... args) {
    // The namespace before everything else: what follows "--" goes to the guest.
    List<String> command =
        new ArrayList<>(List.of(kubectl().toString(), "vmtask", args[0], "-n", namespace));
    command.addAll(List.of(args).subList(1, args.length));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment()
        .put(
            "PATH",
            RepoRoot.get().resolve("cli/target") + File.pathSeparator + System.getenv("PATH"));
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] readAll(java.io.InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** kubectl from PATH, else the one the testbed built. */
  static Path kubectl() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path k = Path.of(dir.isEmpty() ? "." : dir, "kubectl");
      if (Files.isExecutable(k)) {
        return k;
      }
    }
    String cache = System.getenv("VMTASK_CACHE");
    Path testbed =
        (cache == null || cache.isEmpty()
                ? Path.of(System.getProperty("user.home"), ".cache", "vmtask")
                : Path.of(cache))
            .resolve("testbed");
    try (DirectoryStream<Path> versions = Files.newDirectoryStream(testbed)) {
      for (Path v : versions) {
        if (Files.isExecutable(v.resolve("kubectl"))) {
          return v.resolve("kubectl");
        }
      }
    } catch (IOException e) {
      // no testbed build here
    }
    throw new IllegalStateException("no kubectl on PATH or in " + testbed);
  }
}
