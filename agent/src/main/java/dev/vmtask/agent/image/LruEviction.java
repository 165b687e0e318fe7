package dev.vmtask.agent.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Brings the cache within its byte budget: entries go least recently used first (the mtime of their
 * {@code .use} pin file), measured by the allocated bytes recorded in {@code entry.json}; an entry
 * pinned by any lease, in any process, is skipped. One evictor at a time per node.
 */
final class LruEviction {
  private final Path root;
  private final long maxBytes;

  LruEviction(Path root, long maxBytes) {
    this.root = root;
    this.maxBytes = maxBytes;
  }

  /** Evicts what it can; returns the allocated bytes of the entries left. */
  long run() throws IOException {
    try (CacheLocks.Held evicting =
        CacheLocks.exclusive(root.resolve("locks").resolve("evict.lock"))) {
      List<Path> dirs = entryDirsByLastUse(root);
      long total = 0;
      for (Path dir : dirs) {
        total += allocated(dir);
      }
      for (Path dir : dirs) {
        if (total <= maxBytes) {
          break;
        }
        String hex = dir.getFileName().toString();
        try (CacheLocks.Held exclusive = CacheLocks.tryExclusive(ImageCache.useFile(root, hex))) {
          if (exclusive == null) {
            continue; // in use
          }
          long size = allocated(dir);
          // Renamed away under the pin's exclusive lock: a lease sees a whole entry or none.
          Path doomed = root.resolve("tmp").resolve("evict-" + hex + "-" + UUID.randomUUID());
          Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
          total -= size;
          ImageCache.deleteTree(doomed);
        }
      }
      return total;
    }
  }

  /** The published entry directories, least recently used first. */
  static List<Path> entryDirsByLastUse(Path root) throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root.resolve("sha256"))) {
      s.forEach(dirs::add);
    }
    Map<Path, Long> lastUse = new HashMap<>();
    for (Path d : dirs) {
      Path use = ImageCache.useFile(root, d.getFileName().toString());
      Path ref = Files.exists(use) ? use : d;
      try {
        lastUse.put(d, Files.getLastModifiedTime(ref).toMillis());
      } catch (NoSuchFileException e) {
        lastUse.put(d, 0L);
      }
    }
    dirs.sort(Comparator.comparing(lastUse::get));
    return dirs;
  }

  private static long allocated(Path dir) {
    try {
      return CacheEntry.read(dir.resolve(ImageLayout.ENTRY)).allocatedBytes();
    } catch (IOException e) {
      return 0;
    }
  }
}
