package dev.vmtask.agent.cloudinit;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Writes a minimal ISO 9660 image: one volume, files in the root directory only, no extensions. It
 * is all a config drive needs, and it spares the agent image an ISO tool. Linux reads such names
 * lower-cased, with the {@code .;1} version suffix dropped (isofs {@code map=normal}), so {@code
 * user-data} is found as {@code user-data}.
 */
public final class IsoImageWriter {
  static final int SECTOR = 2048;
  private static final int SYSTEM_AREA_SECTORS = 16;
  private static final int PVD_SECTOR = 16;
  private static final int L_PATH_TABLE_SECTOR = 18;
  private static final int M_PATH_TABLE_SECTOR = 19;
  private static final int ROOT_SECTOR = 20;
  private static final int FIRST_FILE_SECTOR = 21;
  private static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,30}");
  private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9_]{1,32}");
  // A fixed recording date keeps the image a function of its content alone.
  private static final byte[] DIR_DATE = {100, 1, 1, 0, 0, 0, 0};

  private record Entry(String name, Path source, long size) {}

  private final String volumeId;
  private final List<Entry> files = new ArrayList<>();

  /**
   * @param volumeId the volume label, e.g. {@code cidata}; letters, digits and '_' only
   */
  public IsoImageWriter(String volumeId) {
    if (!VOLUME_ID.matcher(volumeId).matches()) {
      throw new IllegalArgumentException("invalid volume id '" + volumeId + "'");
    }
    this.volumeId = volumeId;
  }

  /** Adds {@code source} as {@code name} (lowercase letters, digits, '-' and '_'). */
  public IsoImageWriter add(String name, Path source) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid file name '" + name + "'");
    }
    if (files.stream().anyMatch(f -> f.name.equals(name))) {
      throw new IllegalArgumentException("duplicate file name '" + name + "'");
    }
    long size = Files.size(source);
    if (size > 0xffff_ffffL) {
      throw new IllegalArgumentException(name + " is too large for one ISO 9660 extent");
    }
    files.add(new Entry(name, source, size));
    return this;
  }

  public void write(Path target) throws IOException {
    List<Entry> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(e -> isoName(e.name)));
    long[] extents = new long[sorted.size()];
    long next = FIRST_FILE_SECTOR;
    for (int i = 0; i < sorted.size(); i++) {
      extents[i] = next;
      next += sectors(sorted.get(i).size);
    }
    long totalSectors = next;
    try (OutputStream out = Files.newOutputStream(target)) {
      out.write(new byte[SYSTEM_AREA_SECTORS * SECTOR]);
      out.write(primaryVolumeDescriptor(totalSectors));
      out.write(terminator());
      out.write(pathTable(ByteOrder.LITTLE_ENDIAN));
      out.write(pathTable(ByteOrder.BIG_ENDIAN));
      out.write(rootDirectory(sorted, extents));
      byte[] buf = new byte[64 * 1024];
      for (Entry e : sorted) {
        long copied = 0;
        try (InputStream in = Files.newInputStream(e.source)) {
          for (int n; copied < e.size && (n = in.read(buf)) > 0; ) {
            int take = (int) Math.min(n, e.size - copied);
            out.write(buf, 0, take);
            copied += take;
          }
        }
        if (copied != e.size) {
          throw new IOException(e.source + " shrank while it was written");
        }
        out.write(new byte[(int) (sectors(e.size) * SECTOR - e.size)]);
      }
    }
  }

  private static long sectors(long bytes) {
    return (bytes + SECTOR - 1) / SECTOR;
  }

  private static String isoName(String name) {
    return name.toUpperCase(Locale.ROOT) + ".;1";
  }

  private byte[] primaryVolumeDescriptor(long totalSectors) {
    ByteBuffer b = sector();
    b.put(0, (byte) 1);
    b.put(1, "CD001".getBytes(US_ASCII));
    b.put(6, (byte) 1);
    text(b, 8, 32, "LINUX");
    text(b, 40, 32, volumeId);
    bothEndian32(b, 80, totalSectors);
    bothEndian16(b, 120, 1); // volume set size
    bothEndian16(b, 124, 1); // volume sequence number
    bothEndian16(b, 128, SECTOR);
    bothEndian32(b, 132, 10); // path table size: the root's entry only
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(140, L_PATH_TABLE_SECTOR);
    b.order(ByteOrder.BIG_ENDIAN).putInt(148, M_PATH_TABLE_SECTOR);
    b.put(156, directoryRecord(new byte[] {0}, ROOT_SECTOR, SECTOR, true));
    text(b, 190, 128, "");
    text(b, 318, 128, "");
    text(b, 446, 128, "");
    text(b, 574, 128, "VMTASK");
    text(b, 702, 37 * 3, "");
    for (int offset = 813; offset < 881; offset += 17) {
      text(b, offset, 16, "0000000000000000"); // dates not specified
      b.put(offset + 16, (byte) 0);
    }
    b.put(881, (byte) 1); // file structure version
    return b.array();
  }

  private static byte[] terminator() {
    ByteBuffer b = sector();
    b.put(0, (byte) 255);
    b.put(1, "CD001".getBytes(US_ASCII));
    b.put(6, (byte) 1);
    return b.array();
  }

  private static byte[] pathTable(ByteOrder order) {
    ByteBuffer b = sector().order(order);
    b.put(0, (byte) 1); // length of the directory identifier
    b.putInt(2, ROOT_SECTOR);
    b.putShort(6, (short) 1); // the root is its own parent
    return b.array();
  }

  private static byte[] rootDirectory(List<Entry> sorted, long[] extents) {
    ByteBuffer b = sector();
    int pos = 0;
    pos = put(b, pos, directoryRecord(new byte[] {0}, ROOT_SECTOR, SECTOR, true));
    pos = put(b, pos, directoryRecord(new byte[] {1}, ROOT_SECTOR, SECTOR, true));
    for (int i = 0; i < sorted.size(); i++) {
      byte[] id = isoName(sorted.get(i).name).getBytes(US_ASCII);
      byte[] record = directoryRecord(id, extents[i], sorted.get(i).size, false);
      if (pos + record.length > SECTOR) {
        throw new IllegalStateException("too many files for a one-sector root directory");
      }
      pos = put(b, pos, record);
    }
    return b.array();
  }

  private static int put(ByteBuffer b, int pos, byte[] record) {
    b.put(pos, record);
    return pos + record.length;
  }

  private static byte[] directoryRecord(byte[] id, long extent, long size, boolean directory) {
    int length = 33 + id.length + (id.length % 2 == 0 ? 1 : 0);
    ByteBuffer b = ByteBuffer.allocate(length);
    b.put(0, (byte) length);
    bothEndian32(b, 2, extent);
    bothEndian32(b, 10, size);
    b.put(18, DIR_DATE);
    b.put(25, (byte) (directory ? 2 : 0));
    bothEndian16(b, 28, 1);
    b.put(32, (byte) id.length);
    b.put(33, id);
    return b.array();
  }

  private static ByteBuffer sector() {
    return ByteBuffer.allocate(SECTOR);
  }

  private static void text(ByteBuffer b, int offset, int length, String s) {
    byte[] padded = new byte[length];
    java.util.Arrays.fill(padded, (byte) ' ');
    byte[] raw = s.getBytes(US_ASCII);
    System.arraycopy(raw, 0, padded, 0, Math.min(raw.length, length));
    b.put(offset, padded);
  }

  private static void bothEndian32(ByteBuffer b, int offset, long value) {
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(offset, (int) value);
    b.order(ByteOrder.BIG_ENDIAN).putInt(offset + 4, (int) value);
  }

  private static void bothEndian16(ByteBuffer b, int offset, int value) {
    b.order(ByteOrder.LITTLE_ENDIAN).putShort(offset, (short) value);
    b.order(ByteOrder.BIG_ENDIAN).putShort(offset + 2, (short) value);
  }
}
