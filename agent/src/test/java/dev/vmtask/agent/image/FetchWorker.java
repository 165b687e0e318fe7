package dev.vmtask.agent.image;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** A separate process that fetches one image into a shared cache: {@code cacheRoot url sha256}. */
public final class FetchWorker {
  private FetchWorker() {}

  public static void main(String[] args) throws Exception {
    ImageCache cache = ImageCache.open(Path.of(args[0]), 1L << 40);
    ImageSource src = new ImageSource(URI.create(args[1]), args[2], ImageFormat.AUTO, Map.of());
    try (ImageLease lease = cache.acquire(src, p -> {})) {
      System.out.println(lease.digest() + " " + lease.baseDisk() + " cached=" + lease.wasCached());
    }
  }
}
