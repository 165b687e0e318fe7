package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The node's content-addressed image cache, shared by every agent process on the node.
 *
 * <pre>
 * root/sha256/&lt;hex&gt;/   published entries: the image files + entry.json, read-only
 * root/tmp/&lt;key&gt;-&lt;id&gt;/   fetches in progress (deleted if their fetch dies)
 * root/locks/&lt;key&gt;.lock   single-flight: one fetch per key at a time, across processes
 * root/locks/&lt;hex&gt;.use    pins: shared while leased; its mtime is the entry's last use
 * root/urls/&lt;key&gt;.json    ETag and digest of a URL fetched without an expected sha256
 * </pre>
 *
 * The key is the expected sha256, or {@code url-} + the sha256 of the URL when none is given.
 * Without an expected sha256 a cached entry is reused only if the server answers the URL's recorded
 * ETag with 304 Not Modified. Above {@code maxBytes} (allocated bytes of all entries) the least
 * recently used entries that no lease pins are evicted.
 */
public final class ImageCache {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path root;
  private final long maxBytes;
  private final IntakeLimits limits;
  private final RetryPolicy retry;
  private final long freeSpaceFloorBytes;

  /** Bytes promised to fetches in progress in this process (see {@link #reserve}). */
  private long reservedBytes;

  private ImageCache(
      Path root, long maxBytes, IntakeLimits limits, RetryPolicy retry, long freeSpaceFloorBytes) {
    this.root = root;
    this.maxBytes = maxBytes;
    this.limits = limits;
    this.retry = retry;
    this.freeSpaceFloorBytes = freeSpaceFloorBytes;
  }

  public static ImageCache open(Path root, long maxBytes) throws IOException {
    return open(root, maxBytes, IntakeLimits.DEFAULT, RetryPolicy.DEFAULT);
  }

  public static ImageCache open(Path root, long maxBytes, IntakeLimits limits, RetryPolicy retry)
      throws IOException {
    return open(root, maxBytes, 0, limits, retry);
  }

  /**
   * @param freeSpaceFloorBytes free space a fetch must leave on the cache's file system, beyond
   *     what it needs itself
   */
  public static ImageCache open(
      Path root, long maxBytes, long freeSpaceFloorBytes, IntakeLimits limits, RetryPolicy retry)
      throws IOException {
    Path abs = root.toAbsolutePath().normalize();
    for (String sub : List.of("sha256", "tmp", "locks", "urls")) {
      Files.createDirectories(abs.resolve(sub));
    }
    ImageCache cache = new ImageCache(abs, maxBytes, limits, retry, freeSpaceFloorBytes);
    cache.cleanStaleTemporaries();
    return cache;
  }

  public Path root() {
    return root;
  }

  /**
   * The image of {@code src}, fetched and validated unless already cached. Concurrent callers for
   * one image (in any process on the node) fetch it once. The lease pins the entry until closed.
   * {@code progress} is called every 250 ms or so, from the thread that reads the download.
   */
  public ImageLease acquire(ImageSource src, Consumer<ImageProgress> progress)
      throws ImageRejectedException, IOException {
    if (src.sha256() != null) {
      ImageLease hit = pinIfPresent(src.sha256(), true);
      if (hit != null) {
        return hit;
      }
    }
    String key = src.sha256() != null ? src.sha256() : "url-" + sha256Hex(src.url().toString());
    ImageLease lease;
    try (CacheLocks.Held lock =
        CacheLocks.exclusive(root.resolve("locks").resolve(key + ".lock"))) {
      deleteTemporaries(key);
      lease = src.sha256() != null ? pinIfPresent(src.sha256(), true) : null;
      if (lease == null) {
        lease = fetch(src, key, progress);
      }
    }
    if (!lease.wasCached()) {
      evictToBudget();
    }
    return lease;
  }

  private ImageLease fetch(ImageSource src, String key, Consumer<ImageProgress> progress)
      throws ImageRejectedException, IOException {
    Path urlRecord = root.resolve("urls").resolve(key + ".json");
    JsonNode known = src.sha256() == null && Files.exists(urlRecord) ? readJson(urlRecord) : null;
    String ifNoneMatch = known != null ? known.path("etag").asText(null) : null;
    Path tmp = root.resolve("tmp").resolve(key + "-" + UUID.randomUUID());
    Files.createDirectory(tmp);
    String etag = null;
    try {
      ImageIntake.Result result;
      if (src.isFile()) {
        Path file = Path.of(src.url());
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          throw new ImageRejectedException("the image " + file + " is not a regular file");
        }
        try (InputStream in = Files.newInputStream(file);
            Reservation r = reserve(Files.size(file))) {
          result = intake(in, Files.size(file), src, tmp, progress);
        }
      } else {
        try (HttpImageStream in =
            HttpImageStream.open(src.url(), src.headers(), retry, ifNoneMatch)) {
          if (in.notModified()) {
            ImageLease hit = pinIfPresent(known.path("sha256").asText(), true);
            if (hit != null) {
              return hit;
            }
            // Entry evicted since: fetch again, unconditionally.
            Files.deleteIfExists(urlRecord);
            return fetch(src, key, progress);
          }
          etag = in.etag();
          try (Reservation r = reserve(in.length())) {
            result = intake(in, in.length(), src, tmp, progress);
          }
        }
      }
      CacheEntry entry = CacheEntry.of(result, Instant.now());
      Path published = publish(tmp, entry);
      if (src.sha256() == null && etag != null) {
        writeUrlRecord(urlRecord, etag, entry.sha256());
      }
      return pin(entry.sha256(), published, false);
    } finally {
      deleteTree(tmp);
    }
  }

  /** Space promised to one fetch; released when its entry is published or abandoned. */
  private final class Reservation implements AutoCloseable {
    private final long bytes;

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    @Override
    public void close() {
      synchronized (ImageCache.this) {
        reservedBytes -= bytes;
      }
    }
  }

  /**
   * Reserves room for a download of {@code length} bytes (the unpacked image needs at least as
   * much) before anything is written: evicts unused entries until the budget holds the entries,
   * every reservation and this one, and checks that the file system keeps its free-space floor.
   * Fails before fetching rather than half way. An unknown length (no Content-Length) reserves
   * nothing; the intake limits bound it.
   */
  private synchronized Reservation reserve(long length) throws IOException {
    long bytes = Math.max(0, length);
    if (bytes == 0) {
      return new Reservation(0);
    }
    long kept = new LruEviction(root, Math.max(0, maxBytes - reservedBytes - bytes)).run();
    if (kept + reservedBytes + bytes > maxBytes) {
      throw new IOException(
          "the image cache budget of "
              + maxBytes
              + " bytes cannot hold this "
              + bytes
              + "-byte image: "
              + kept
              + " bytes are images in use and "
              + reservedBytes
              + " bytes are reserved by other fetches");
    }
    long usable = Files.getFileStore(root).getUsableSpace() - reservedBytes;
    if (usable - bytes < freeSpaceFloorBytes) {
      throw new IOException(
          "not enough space in the image cache "
              + root
              + ": the image is "
              + bytes
              + " bytes, "
              + Math.max(0, usable)
              + " bytes are free and "
              + freeSpaceFloorBytes
              + " must stay free");
    }
    reservedBytes += bytes;
    return new Reservation(bytes);
  }

  private ImageIntake.Result intake(
      InputStream in, long length, ImageSource src, Path tmp, Consumer<ImageProgress> progress)
      throws ImageRejectedException, IOException {
    return new ImageIntake(limits).run(in, length, src.format(), src.sha256(), tmp, progress);
  }

  /** Makes the entry durable and read-only, then renames it into place atomically. */
  private Path publish(Path tmp, CacheEntry entry) throws IOException {
    entry.write(tmp.resolve(ImageLayout.ENTRY));
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
      for (Path f : files) {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
          ch.force(true);
        }
        f.toFile().setReadOnly();
      }
    }
    fsyncDirectory(tmp);
    Path target = root.resolve("sha256").resolve(entry.sha256());
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileSystemException e) {
      if (!Files.exists(target.resolve(ImageLayout.ENTRY))) {
        throw e;
      }
      // Published meanwhile under another key (same content): keep the existing entry.
    }
    fsyncDirectory(target.getParent());
    return target;
  }

  /**
   * Checks that {@code src} (its URL, with its headers) serves the bytes of the entry {@code hex},
   * storing nothing: how a second tenant proves it may use an image another tenant fetched.
   *
   * @throws ImageRejectedException when the URL serves other bytes
   * @throws ImageFetchException when it cannot be fetched (e.g. no access)
   */
  public void proveAccess(ImageSource src, String hex, Consumer<ImageProgress> progress)
      throws ImageRejectedException, IOException {
    if (src.isFile()) {
      throw new ImageRejectedException("a file: URL proves no access to an image");
    }
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (HttpImageStream in = HttpImageStream.open(src.url(), src.headers(), retry, null)) {
      byte[] buf = new byte[1 << 16];
      long total = 0;
      long lastReport = System.nanoTime();
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
        total += n;
        if (total > limits.maxDownloadBytes()) {
          throw new ImageRejectedException(
              ImageSource.redact(src.url())
                  + " serves more than "
                  + limits.maxDownloadBytes()
                  + " bytes, not the image sha256:"
                  + hex);
        }
        if (System.nanoTime() - lastReport > 250_000_000L) {
          progress.accept(new ImageProgress(total, in.length()));
          lastReport = System.nanoTime();
        }
      }
    }
    String served = HexFormat.of().formatHex(digest.digest());
    if (!served.equals(hex)) {
      throw new ImageRejectedException(
          ImageSource.redact(src.url())
              + " serves sha256:"
              + served
              + ", not the image sha256:"
              + hex);
    }
  }

  /** A lease on the published entry {@code hex} (64 hex digits), if there is one. */
  public java.util.Optional<ImageLease> lease(String hex) throws IOException {
    return java.util.Optional.ofNullable(pinIfPresent(hex, true));
  }

  /** A lease on the entry {@code hex} if it is published, else null. */
  private ImageLease pinIfPresent(String hex, boolean cached) throws IOException {
    Path dir = root.resolve("sha256").resolve(hex);
    CacheLocks.Held pin = CacheLocks.shared(useFile(hex));
    try {
      if (!Files.exists(dir.resolve(ImageLayout.ENTRY))) {
        pin.close();
        return null;
      }
      return new ImageLease(CacheEntry.read(dir.resolve(ImageLayout.ENTRY)), dir, pin, cached);
    } catch (IOException | RuntimeException e) {
      pin.close();
      throw e;
    }
  }

  private ImageLease pin(String hex, Path dir, boolean cached) throws IOException {
    ImageLease lease = pinIfPresent(hex, cached);
    if (lease == null) {
      throw new IOException("cache entry " + dir + " vanished right after it was published");
    }
    return lease;
  }

  /** The published entries, least recently used first. */
  public List<CacheEntry> entries() throws IOException {
    List<CacheEntry> out = new ArrayList<>();
    for (Path dir : LruEviction.entryDirsByLastUse(root)) {
      try {
        out.add(CacheEntry.read(dir.resolve(ImageLayout.ENTRY)));
      } catch (NoSuchFileException e) {
        // evicted meanwhile
      }
    }
    return out;
  }

  /** Evicts least recently used, unpinned entries until the cache fits {@code maxBytes}. */
  public void evictToBudget() throws IOException {
    new LruEviction(root, maxBytes).run();
  }

  private Path useFile(String hex) {
    return useFile(root, hex);
  }

  static Path useFile(Path root, String hex) {
    return root.resolve("locks").resolve(hex + ".use");
  }

  /** Deletes temporaries of fetches that died: their key lock is free. */
  private void cleanStaleTemporaries() throws IOException {
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root.resolve("tmp"))) {
      s.forEach(stale::add);
    }
    for (Path p : stale) {
      String name = p.getFileName().toString();
      if (name.startsWith("evict-")) {
        try (CacheLocks.Held l =
            CacheLocks.tryExclusive(root.resolve("locks").resolve("evict.lock"))) {
          if (l != null) {
            deleteTree(p);
          }
        }
        continue;
      }
      // "<key>-<36-character UUID>"
      String key = name.length() > 37 ? name.substring(0, name.length() - 37) : name;
      try (CacheLocks.Held l =
          CacheLocks.tryExclusive(root.resolve("locks").resolve(key + ".lock"))) {
        if (l != null) {
          deleteTree(p);
        }
      }
    }
  }

  /** Under the key's lock: whatever is in tmp for this key is left over from a dead fetch. */
  private void deleteTemporaries(String key) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root.resolve("tmp"), key + "-*")) {
      for (Path p : s) {
        deleteTree(p);
      }
    }
  }

  private static void writeUrlRecord(Path file, String etag, String hex) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    Files.write(tmp, MAPPER.writeValueAsBytes(Map.of("etag", etag, "sha256", hex)));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static JsonNode readJson(Path file) {
    try {
      return MAPPER.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      return null;
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Deletes {@code p} and everything below it, read-only directories included. */
  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      p.toFile().setWritable(true, true);
      try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
        for (Path c : s) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }

  static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
