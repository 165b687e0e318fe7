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
 * overlay CACHE_DIR OUT_DIR N IMAGE_FILE...  N overlays on each image, alternating
 * </pre>
 */
public final class ImportBenchmark {
  private ImportBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "import" ->
          importOnce(URI.create(args[1]), args[2].equals("-") ? null : args[2], Path.of(args[3]));
      case "overlay" ->
          overlays(
              Path.of(args[1]),
              Path.of(args[2]),
              Integer.parseInt(args[3]),
              Arrays.copyOfRange(args, 4, args.length));
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

  /** Alternates between the images so that load on the machine affects them alike. */
  private static void overlays(Path cacheDir, Path outDir, int n, String[] images)
      throws Exception {
    ImageCache cache = ImageCache.open(cacheDir, Long.MAX_VALUE);
    Files.createDirectories(outDir);
    ImageLease[] leases = new ImageLease[images.length];
    double[][] ms = new double[images.length][n];
    try {
      for (int j = 0; j < images.length; j++) {
        leases[j] =
            cache.acquire(ImageSource.ofFile(Path.of(images[j]), null, ImageFormat.AUTO), p -> {});
        Overlay.create(leases[j], outDir.resolve("warmup-" + j + ".qcow2"));
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < images.length; j++) {
          long t = System.nanoTime();
          Overlay.create(leases[j], outDir.resolve("vm-" + j + "-" + i + ".qcow2"));
          ms[j][i] = (System.nanoTime() - t) / 1e6;
        }
      }
      for (int j = 0; j < images.length; j++) {
        Arrays.sort(ms[j]);
        System.out.printf(
            "image=%s virtual=%d overlay_ms_median=%.1f min=%.1f max=%.1f%n",
            images[j], leases[j].virtualSizeBytes(), ms[j][n / 2], ms[j][0], ms[j][n - 1]);
      }
    } finally {
      for (ImageLease l : leases) {
        if (l != null) {
          l.close();
        }
      }
    }
  }
}
