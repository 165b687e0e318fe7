package dev.vmtask.agent.image;

import dev.vmtask.agent.machine.MachineDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cached image in use. While open, the entry is pinned: eviction skips it. Close it when the VM
 * that uses it (and its overlay) is gone.
 */
public final class ImageLease implements AutoCloseable {
  private final CacheEntry entry;
  private final Path dir;
  private final CacheLocks.Held pin;
  private final boolean cached;

  ImageLease(CacheEntry entry, Path dir, CacheLocks.Held pin, boolean cached) {
    this.entry = entry;
    this.dir = dir;
    this.pin = pin;
    this.cached = cached;
  }

  /** {@code sha256:<hex>} of the fetched file. */
  public String digest() {
    return "sha256:" + entry.sha256();
  }

  /** The file a per-VM overlay is backed by: layer.qcow2 for tar.zst, else the disk itself. */
  public Path baseDisk() {
    return dir.resolve(entry.baseFile());
  }

  /** {@code qcow2} or {@code raw}. */
  public String baseFormat() {
    return entry.baseFormat();
  }

  /** The machine.json of a tar.zst image. */
  public Optional<MachineDefinition> machine() {
    return entry.machine();
  }

  public ImageFormat format() {
    return entry.format();
  }

  /** Size of the fetched file (the archive, or the disk). */
  public long sizeBytes() {
    return entry.sizeBytes();
  }

  public long virtualSizeBytes() {
    return entry.virtualSizeBytes();
  }

  /** True when no fetch was needed. */
  public boolean wasCached() {
    return cached;
  }

  public CacheEntry entry() {
    return entry;
  }

  @Override
  public void close() throws IOException {
    pin.close();
  }
}
