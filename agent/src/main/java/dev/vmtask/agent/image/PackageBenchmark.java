package dev.vmtask.agent.image;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Measurement entry point for {@code agent/bench/package-throughput.sh}; prints {@code key=value}
 * lines.
 *
 * <pre>
 * package DISK FORMAT MACHINE_JSON SCRATCH_DIR TARGET    one {@link ImagePackager#write}
 * </pre>
 */
public final class PackageBenchmark {
  private PackageBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 6 || !args[0].equals("package")) {
      throw new IllegalArgumentException(
          "usage: package DISK FORMAT MACHINE_JSON SCRATCH_DIR TARGET");
    }
    byte[] machine = Files.readAllBytes(Path.of(args[3]));
    long start = System.nanoTime();
    ImagePackager.Packaged p =
        ImagePackager.write(Path.of(args[1]), args[2], machine, Path.of(args[4]), Path.of(args[5]));
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "package_seconds=%.3f bytes=%d virtual=%d data=%d sha256=%s%n",
        seconds, p.sizeBytes(), p.virtualSizeBytes(), p.dataBytes(), p.sha256());
  }
}
