package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The checks that keep QEMU from following a hostile disk out of the cache: backing files, external
 * data files, and raw disks that are really another format (format confusion). All are made on the
 * bytes in Java before QEMU or qemu-img opens the file.
 */
final class DiskChecks {
  /** Magic bytes at offset 0 of image formats QEMU would recognise if it ever probed. */
  private static final Map<String, byte[]> FOREIGN_MAGICS =
      Map.of(
          "qcow2", new byte[] {'Q', 'F', 'I', (byte) 0xfb},
          "QED", new byte[] {'Q', 'E', 'D', 0},
          "VMDK", "KDMV".getBytes(US_ASCII),
          "VMDK descriptor", "# Disk DescriptorFile".getBytes(US_ASCII),
          "VHDX", "vhdxfile".getBytes(US_ASCII),
          "VHD", "conectix".getBytes(US_ASCII),
          "LUKS", new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe},
          "VDI", "<<< ".getBytes(US_ASCII));

  private DiskChecks() {}

  /** A raw disk must not start like another image format. */
  static void checkRaw(Path file, String name) throws ImageRejectedException, IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(64);
    }
    for (Map.Entry<String, byte[]> e : FOREIGN_MAGICS.entrySet()) {
      byte[] magic = e.getValue();
      if (head.length >= magic.length
          && Arrays.equals(head, 0, magic.length, magic, 0, magic.length)) {
        throw new ImageRejectedException(
            name
                + " is declared raw but starts with the "
                + e.getKey()
                + " magic (format confusion)");
      }
    }
  }

  /** taskcluster's layer: a qcow2 whose backing file is exactly {@code disk.img}, format raw. */
  static Qcow2Header checkLayer(Path file, IntakeLimits limits)
      throws ImageRejectedException, IOException {
    String name = ImageLayout.LAYER;
    Qcow2Header h = checkCommon(file, name, limits);
    if (!ImageLayout.DISK.equals(h.backingFile())) {
      throw new ImageRejectedException(
          name
              + " must have the backing file 'disk.img', not "
              + (h.backingFile() == null ? "none" : "'" + h.backingFile() + "'"));
    }
    if (!"raw".equals(h.backingFormat())) {
      throw new ImageRejectedException(
          name
              + " must declare its backing format raw, not "
              + (h.backingFormat() == null
                  ? "leave it to probing"
                  : "'" + h.backingFormat() + "'"));
    }
    return h;
  }

  /** A standalone qcow2 image: no backing file at all. */
  static Qcow2Header checkStandaloneQcow2(Path file, String name, IntakeLimits limits)
      throws ImageRejectedException, IOException {
    Qcow2Header h = checkCommon(file, name, limits);
    if (h.backingFile() != null) {
      throw new ImageRejectedException(
          name
              + " has the backing file '"
              + h.backingFile()
              + "'; a qcow2 image must be standalone");
    }
    return h;
  }

  private static Qcow2Header checkCommon(Path file, String name, IntakeLimits limits)
      throws ImageRejectedException, IOException {
    Qcow2Header h = Qcow2Header.read(file, name);
    if ((h.incompatibleFeatures() & Qcow2Header.EXTERNAL_DATA_FILE) != 0 || h.dataFile() != null) {
      throw new ImageRejectedException(
          name
              + " uses an external data file"
              + (h.dataFile() == null ? "" : " '" + h.dataFile() + "'")
              + "; not permitted");
    }
    if ((h.incompatibleFeatures() & Qcow2Header.DIRTY) != 0) {
      throw new ImageRejectedException(name + " is marked dirty (not cleanly closed)");
    }
    if ((h.incompatibleFeatures() & Qcow2Header.CORRUPT) != 0) {
      throw new ImageRejectedException(name + " is marked corrupt");
    }
    if ((h.incompatibleFeatures() & ~Qcow2Header.KNOWN_INCOMPATIBLE) != 0) {
      throw new ImageRejectedException(
          name
              + " has unknown incompatible qcow2 features 0x"
              + Long.toHexString(h.incompatibleFeatures()));
    }
    if (h.cryptMethod() != 0) {
      throw new ImageRejectedException(name + " is encrypted; not supported");
    }
    if (h.snapshots() != 0) {
      throw new ImageRejectedException(
          name + " holds " + h.snapshots() + " internal snapshots; not permitted");
    }
    if (h.virtualSize() < 0 || h.virtualSize() > limits.maxVirtualBytes()) {
      throw new ImageRejectedException(
          name
              + " has a virtual size of "
              + h.virtualSize()
              + " bytes, more than the limit of "
              + limits.maxVirtualBytes());
    }
    return h;
  }
}
