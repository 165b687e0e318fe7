package dev.vmtask.agent.image;

import java.util.Locale;

/** How an image file is laid out. {@link #AUTO} is resolved from the file's first bytes. */
public enum ImageFormat {
  /** taskcluster's archive: zstd-compressed tar of disk.img, layer.qcow2 and machine.json. */
  TAR_ZST("tar.zst"),
  /** A standalone qcow2 disk without a backing file. */
  QCOW2("qcow2"),
  /** A raw disk. */
  RAW("raw"),
  /**
   * An ISO 9660 image, attached read-only as a cdrom; only ever declared, never detected (a hybrid
   * ISO is also a raw disk).
   */
  ISO("iso"),
  /** zstd magic means tar.zst, {@code QFI\xfb} means qcow2, anything else raw. */
  AUTO("auto");

  private final String id;

  ImageFormat(String id) {
    this.id = id;
  }

  /**
   * The name used in task JSON and entry.json: {@code tar.zst}, {@code qcow2}, {@code raw}, {@code
   * iso}, {@code auto}.
   */
  public String id() {
    return id;
  }

  public static ImageFormat parse(String id) {
    if (id == null) {
      return AUTO;
    }
    for (ImageFormat f : values()) {
      if (f.id.equals(id.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown image format '" + id + "' (expected tar.zst, qcow2, raw, iso or auto)");
  }

  @Override
  public String toString() {
    return id;
  }
}
