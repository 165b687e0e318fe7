package dev.vmtask.agent.image;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Measurement entry points for {@code agent/bench/import-throughput.sh}; prints {@code key=value}
 * lines.
 *
 * <pre>
 * import  URL SHA256|- CACHE_DIR          cold import into an empty cache
 * overlay IMAGE_FILE CACHE_DIR OUT_DIR N  N overlays on one cached image
 * </pre>
 */
public final class ImportBenchmark {
  private ImportBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "import" ->
          importOnce(URI.create(args[1]), args[2].equals("-") ? null : args[2], Path.of(args[3]));
      case "overlay" ->
          overlays(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4]));
      default -> throw new IllegalArgumentException("usage: import|overlay ...");
    }
  }

  private static void importOnce(URI url, String sha, Path cacheDir) throws Exception {
    ImageCache cache = ImageCache.open(cacheDir, Long.MAX_VALUE);
    long start = System.nanoTime();
    try (ImageLease lease =
        cache.acquire(new ImageSource(url, sha, ImageFormat.AUTO, Map.of()), p -> {})) {
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "import_seconds=%.3f bytes=%d virtual=%d allocated=%d cached=%s%n",
          seconds,
          lease.sizeBytes(),
          lease.virtualSizeBytes(),
          lease.entry().allocatedBytes(),
          lease.wasCached());
    }
  }

  private static void overlays(Path image, Path cacheDir, Path outDir, int n) throws Exception {
    ImageCache cache = ImageCache.open(cacheDir, Long.MAX_VALUE);
    Files.createDirectories(outDir);
    try (ImageLease lease =
        cache.acquire(ImageSource.ofFile(image, null, ImageFormat.AUTO), p -> {})) {
      Overlay.create(lease, outDir.resolve("warmup.qcow2"));
      double[] ms = new double[n];
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        Overlay.create(lease, outDir.resolve("vm-" + i + ".qcow2"));
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
      Arrays.sort(ms);
      System.out.printf(
          "overlay_ms_median=%.1f min=%.1f max=%.1f virtual=%d%n",
          ms[n / 2], ms[0], ms[n - 1], lease.virtualSizeBytes());
    }
  }
}
