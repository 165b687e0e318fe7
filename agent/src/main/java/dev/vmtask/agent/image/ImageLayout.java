package dev.vmtask.agent.image;

import java.util.List;

/** File names inside an archive and inside a cache entry. */
final class ImageLayout {
  static final String DISK = "disk.img";
  static final String LAYER = "layer.qcow2";
  static final String MACHINE = "machine.json";

  /** The disk of a standalone qcow2 image in a cache entry. */
  static final String QCOW2_DISK = "disk.qcow2";

  /** The file of an ISO image in a cache entry. */
  static final String CDROM = "cdrom.iso";

  static final String ENTRY = "entry.json";
  static final List<String> ARCHIVE_MEMBERS = List.of(DISK, LAYER, MACHINE);

  private ImageLayout() {}
}
