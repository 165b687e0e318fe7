package dev.vmtask.node.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.vmtask.agent.image.ImageCache;
import dev.vmtask.agent.image.ImageFetchException;
import dev.vmtask.agent.image.ImageLease;
import dev.vmtask.agent.image.ImageProgress;
import dev.vmtask.agent.image.ImageRejectedException;
import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.image.MountedImage;
import dev.vmtask.node.csi.ImageVolumes;
import dev.vmtask.node.csi.VolumeException;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code images.vmtask.dev} volumes: the image, fetched into the node's cache unless there,
 * bind-mounted read-only into the pod.
 *
 * <ul>
 *   <li>One fetch per namespace, image and credentials at a time (a flight). A publish waits for it
 *       up to {@code publishWait}, then tells the kubelet to come back with the progress so far,
 *       well before the kubelet's own two-minute timeout; the fetch goes on meanwhile, and the
 *       kubelet's next try joins it.
 *   <li>An image another namespace fetched with credentials is served only once this namespace
 *       fetched the same bytes itself ({@link ImageAccess}, {@link ImageSharing}); the bytes are
 *       not stored twice.
 *   <li>A fetch that fails mounts a directory holding only {@code failure.json} ({@link
 *       MountedImage}): the pod starts, and its agent reports the failure on the task.
 *   <li>Each mounted entry is pinned by a lease, so eviction never removes it. {@code mounts/<hash
 *       of the target>} records each mount; a restarted daemon pins again what is still mounted and
 *       forgets the rest.
 * </ul>
 */
public final class ImageVolumeService implements ImageVolumes, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageVolumeService.class);

  /** How long a failed fetch's outcome waits for the kubelet's retry of a timed-out publish. */
  static final Duration FAILURE_RETENTION = Duration.ofMinutes(3);

  private final ImageCache cache;
  private final ImageAccess access;
  private final BindMounts mounts;
  private final Duration publishWait;
  private final Path mountRecords;
  private final Path failures;
  private volatile boolean closing;

  private final ExecutorService fetchers =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "image-fetch");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Flight> flights = new ConcurrentHashMap<>();
  private final Map<Path, ImageLease> leases = new ConcurrentHashMap<>();

  /** A fetch in progress or just failed, and what it has read so far. */
  private record Flight(
      CompletableFuture<String> result, AtomicReference<ImageProgress> progress, long started) {}

  ImageVolumeService(ImageCache cache, String sharing, BindMounts mounts, Duration publishWait)
      throws IOException {
    this.cache = cache;
    this.access = new ImageAccess(cache.root(), ImageSharing.parse(sharing));
    this.mounts = mounts;
    this.publishWait = publishWait;
    this.mountRecords = Files.createDirectories(cache.root().resolve("mounts"));
    this.failures = Files.createDirectories(cache.root().resolve("failures"));
  }

  /** With the real {@code mount}: for the daemon. */
  public static ImageVolumeService open(ImageCache cache, String sharing, Duration publishWait)
      throws IOException {
    return new ImageVolumeService(cache, sharing, new BindMounts(), publishWait);
  }

  @Override
  public void publish(
      String volumeId, Path targetPath, Map<String, String> attributes, Map<String, String> secrets)
      throws VolumeException {
    Path target = targetPath.toAbsolutePath().normalize();
    try {
      if (mounts.isMountPoint(target)) {
        return; // the kubelet repeats publishes
      }
    } catch (IOException e) {
      throw new VolumeException(Status.Code.INTERNAL, "cannot read the node's mounts: " + e);
    }
    VolumeRequest request = VolumeRequest.parse(attributes, secrets);
    Flight flight = flights.computeIfAbsent(request.flightKey(), k -> start(k, request));
    String hex;
    try {
      hex = flight.result().get(publishWait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new VolumeException(Status.Code.UNAVAILABLE, "fetching the image: " + progress(flight));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VolumeException(Status.Code.ABORTED, "interrupted");
    } catch (ExecutionException e) {
      flights.remove(request.flightKey(), flight); // delivered: the next pod tries afresh
      if (closing) {
        // The daemon is stopping and cut the fetch short: its successor takes the kubelet's retry.
        throw new VolumeException(Status.Code.UNAVAILABLE, "the node daemon is stopping");
      }
      mountFailure(volumeId, target, request, e.getCause());
      return;
    }
    mountEntry(volumeId, target, request, hex);
  }

  private Flight start(String key, VolumeRequest request) {
    AtomicReference<ImageProgress> progress = new AtomicReference<>();
    CompletableFuture<String> result = new CompletableFuture<>();
    Flight flight = new Flight(result, progress, System.nanoTime());
    fetchers.execute(
        () -> {
          try {
            result.complete(fetch(request, progress));
            flights.remove(key, flight); // the cache has it now
          } catch (Throwable t) {
            result.completeExceptionally(t);
            // Kept for the kubelet's retry of the publish that waited for it, but not forever.
            CompletableFuture.delayedExecutor(FAILURE_RETENTION.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> flights.remove(key, flight));
          }
        });
    return flight;
  }

  /** Fetches, or proves access to, the image; returns its digest (hex). */
  private String fetch(VolumeRequest request, AtomicReference<ImageProgress> progress)
      throws IOException, ImageRejectedException {
    ImageSource src = request.source();
    try (ImageLease lease = cache.acquire(src, progress::set)) {
      String hex = lease.entry().sha256();
      boolean anonymous = src.headers().isEmpty();
      if (!lease.wasCached()) {
        access.grant(hex, request.namespace(), anonymous);
        LOG.info("fetched image sha256:{} for namespace {}", hex, request.namespace());
      } else if (!access.allows(hex, request.namespace())) {
        LOG.info(
            "namespace {} proves it can fetch image sha256:{} itself", request.namespace(), hex);
        try {
          cache.proveAccess(src, hex, progress::set);
        } catch (ImageFetchException e) {
          throw new ImageFetchException(
              "namespace "
                  + request.namespace()
                  + " may not use image sha256:"
                  + hex
                  + " from this node's cache: it was fetched with another namespace's"
                  + " credentials, and "
                  + ImageSource.redact(src.url())
                  + " does not serve it to this namespace ("
                  + e.getMessage()
                  + ")",
              true,
              e);
        }
        access.grant(hex, request.namespace(), anonymous);
      }
      return hex;
    }
  }

  private void mountEntry(String volumeId, Path target, VolumeRequest request, String hex)
      throws VolumeException {
    Optional<ImageLease> lease;
    try {
      lease = cache.lease(hex);
    } catch (IOException e) {
      throw new VolumeException(Status.Code.INTERNAL, "cannot pin image sha256:" + hex + ": " + e);
    }
    if (lease.isEmpty()) {
      throw new VolumeException(
          Status.Code.UNAVAILABLE, "image sha256:" + hex + " was evicted before it was mounted");
    }
    try {
      Files.createDirectories(target);
      writeRecord(target, "entry " + hex);
      mounts.bindReadOnly(lease.get().baseDisk().getParent(), target);
      leases.put(target, lease.get());
      LOG.info(
          "mounted image sha256:{} for pod {}/{} ({})",
          hex,
          request.namespace(),
          request.pod(),
          volumeId);
    } catch (IOException e) {
      closeQuietly(lease.get());
      deleteRecord(target);
      throw new VolumeException(Status.Code.INTERNAL, "cannot mount the image: " + e.getMessage());
    }
  }

  private void mountFailure(String volumeId, Path target, VolumeRequest request, Throwable cause)
      throws VolumeException {
    boolean rejected = cause instanceof ImageRejectedException;
    boolean permanent = rejected || (cause instanceof ImageFetchException f && f.permanent());
    String message =
        cause instanceof ImageRejectedException || cause instanceof ImageFetchException
            ? cause.getMessage()
            : "the node daemon could not fetch the image: " + cause;
    LOG.warn("image for pod {}/{}: {}", request.namespace(), request.pod(), message);
    Path dir = failures.resolve(UUID.randomUUID().toString());
    try {
      Files.createDirectories(dir);
      MountedImage.writeFailure(dir, message, rejected, permanent);
      Files.createDirectories(target);
      writeRecord(target, "failure " + dir.getFileName());
      mounts.bindReadOnly(dir, target);
    } catch (IOException e) {
      deleteRecord(target);
      deleteTree(dir);
      throw new VolumeException(Status.Code.INTERNAL, message + "; and mounting that failed: " + e);
    }
  }

  @Override
  public void unpublish(String volumeId, Path targetPath) throws VolumeException {
    Path target = targetPath.toAbsolutePath().normalize();
    try {
      if (mounts.isMountPoint(target)) {
        mounts.unmount(target);
      }
      Files.deleteIfExists(target);
    } catch (IOException e) {
      throw new VolumeException(Status.Code.INTERNAL, "cannot unmount " + target + ": " + e);
    }
    ImageLease lease = leases.remove(target);
    if (lease != null) {
      closeQuietly(lease);
    }
    String record = readRecord(target);
    if (record != null && record.startsWith("failure ")) {
      deleteTree(failures.resolve(record.substring("failure ".length())));
    }
    deleteRecord(target);
  }

  /**
   * After a restart: pins the entries still mounted, forgets mounts that are gone. Runs before the
   * CSI socket is served, so nothing is evicted from under a running pod.
   */
  public void recover() throws IOException {
    try (DirectoryStream<Path> records = Files.newDirectoryStream(mountRecords)) {
      for (Path file : records) {
        String[] lines = Files.readString(file, UTF_8).split("\n", 2);
        Path target = Path.of(lines[0]);
        String what = lines.length > 1 ? lines[1].strip() : "";
        if (!mounts.isMountPoint(target)) {
          if (what.startsWith("failure ")) {
            deleteTree(failures.resolve(what.substring("failure ".length())));
          }
          Files.deleteIfExists(file);
          continue;
        }
        if (what.startsWith("entry ")) {
          String hex = what.substring("entry ".length());
          Optional<ImageLease> lease = cache.lease(hex);
          if (lease.isPresent()) {
            leases.put(target, lease.get());
          } else {
            LOG.warn("{} is mounted but its image sha256:{} is gone from the cache", target, hex);
          }
        }
      }
    }
    LOG.info("{} image volume(s) mounted", leases.size());
  }

  /** How many entries mounted volumes pin: for tests and the log. */
  int pinned() {
    return leases.size();
  }

  private static String progress(Flight flight) {
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - flight.started());
    ImageProgress p = flight.progress().get();
    if (p == null) {
      return "connecting, " + seconds + " s so far";
    }
    String mib = (p.bytes() >> 20) + " MiB";
    return (p.totalBytes() > 0 ? p.percent() + " % (" + mib + ")" : mib)
        + " after "
        + seconds
        + " s";
  }

  private void writeRecord(Path target, String what) throws IOException {
    Path file = recordFile(target);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, target + "\n" + what + "\n", UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private String readRecord(Path target) {
    try {
      String[] lines = Files.readString(recordFile(target), UTF_8).split("\n", 2);
      return lines.length > 1 ? lines[1].strip() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private void deleteRecord(Path target) {
    try {
      Files.deleteIfExists(recordFile(target));
    } catch (IOException e) {
      LOG.warn("cannot delete the mount record of {}: {}", target, e.toString());
    }
  }

  private Path recordFile(Path target) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(target.toString().getBytes(UTF_8));
      return mountRecords.resolve(HexFormat.of().formatHex(d));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      ImageCache.deleteTree(dir);
    } catch (IOException e) {
      // retried with the next restart's recovery
    }
  }

  private static void closeQuietly(ImageLease lease) {
    try {
      lease.close();
    } catch (IOException e) {
      LOG.warn("cannot release a lease: {}", e.toString());
    }
  }

  @Override
  public void close() {
    closing = true;
    fetchers.shutdownNow();
  }
}
