package dev.vmtask.agent.task;

import dev.vmtask.agent.image.ImageSource;
import java.nio.file.Path;
import java.util.List;

/**
 * What a task boots besides, or instead of, its image: a blank disk of {@code blankDiskBytes} (0:
 * the image's disk) and up to two read-only cdroms, which boot first when the disk is blank.
 */
public record BootMedia(long blankDiskBytes, List<Cdrom> cdroms) {
  public static final BootMedia NONE = new BootMedia(0, List.of());
  public static final int MAX_CDROMS = 2;

  public BootMedia {
    cdroms = List.copyOf(cdroms);
    if (blankDiskBytes < 0) {
      throw new IllegalArgumentException("a blank disk needs a positive size");
    }
    if (cdroms.size() > MAX_CDROMS) {
      throw new IllegalArgumentException("at most " + MAX_CDROMS + " cdroms, got " + cdroms.size());
    }
  }

  public boolean blankDisk() {
    return blankDiskBytes > 0;
  }

  /**
   * An ISO image; {@code mounted} is the directory where the node daemon mounted it (in pods), or
   * null to import {@code source} into the agent's cache.
   */
  public record Cdrom(ImageSource source, Path mounted) {}
}
