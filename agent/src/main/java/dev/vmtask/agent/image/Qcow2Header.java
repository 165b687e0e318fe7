package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The parts of a qcow2 header that decide whether a file may be opened safely: version, virtual
 * size, backing file and its format, external data file, encryption, snapshots and the incompatible
 * feature bits. Parsed in Java (big-endian, per QEMU's docs/interop/qcow2.txt) so that nothing
 * reads a hostile file before these checks.
 */
record Qcow2Header(
    int version,
    long virtualSize,
    int clusterBits,
    String backingFile,
    String backingFormat,
    String dataFile,
    long incompatibleFeatures,
    int cryptMethod,
    int snapshots) {

  static final int MAGIC = 0x514649fb; // "QFI\xfb"
  static final long DIRTY = 1L;
  static final long CORRUPT = 1L << 1;
  static final long EXTERNAL_DATA_FILE = 1L << 2;
  static final long KNOWN_INCOMPATIBLE = 0x1fL; // dirty, corrupt, data file, compression, ext. L2

  private static final int EXT_END = 0;
  private static final int EXT_BACKING_FORMAT = 0xe2792aca;
  private static final int EXT_DATA_FILE = 0x44415441;
  private static final int MAX_HEADER_BYTES = 2 * 1024 * 1024;

  /** Reads the header of {@code file}, described as {@code name} in messages. */
  static Qcow2Header read(Path file, String name) throws ImageRejectedException, IOException {
    ByteBuffer b;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      b = ByteBuffer.allocate((int) Math.min(size, MAX_HEADER_BYTES));
      while (b.hasRemaining() && ch.read(b, b.position()) > 0) {}
      b.flip();
    }
    if (b.limit() < 72 || b.getInt(0) != MAGIC) {
      throw new ImageRejectedException(name + " is not a qcow2 file (no QFI\\xfb magic)");
    }
    int version = b.getInt(4);
    if (version != 2 && version != 3) {
      throw new ImageRejectedException(name + " has unsupported qcow2 version " + version);
    }
    long backingOffset = b.getLong(8);
    int backingSize = b.getInt(16);
    int clusterBits = b.getInt(20);
    long virtualSize = b.getLong(24);
    int cryptMethod = b.getInt(32);
    int snapshots = b.getInt(60);
    if (clusterBits < 9 || clusterBits > 21) {
      throw new ImageRejectedException(
          name + " has an invalid qcow2 cluster size 2^" + clusterBits);
    }
    long incompatible = 0;
    int headerLength = 72;
    if (version == 3) {
      if (b.limit() < 104) {
        throw new ImageRejectedException(name + " has a truncated qcow2 v3 header");
      }
      incompatible = b.getLong(72);
      headerLength = b.getInt(100);
      if (headerLength < 104 || headerLength > b.limit() || headerLength % 8 != 0) {
        throw new ImageRejectedException(
            name + " has an invalid qcow2 header length " + headerLength);
      }
    }
    String backingFile = null;
    if (backingOffset != 0 || backingSize != 0) {
      if (backingSize <= 0
          || backingSize > 1023
          || backingOffset < headerLength
          || backingOffset + backingSize > b.limit()) {
        throw new ImageRejectedException(name + " has an invalid qcow2 backing file name field");
      }
      backingFile = string(b, (int) backingOffset, backingSize);
    }
    String backingFormat = null;
    String dataFile = null;
    int pos = headerLength;
    int limit = (int) Math.min(b.limit(), 1L << clusterBits);
    while (true) {
      if (pos + 8 > limit) {
        throw new ImageRejectedException(
            name + " has qcow2 header extensions beyond its first cluster");
      }
      int type = b.getInt(pos);
      int length = b.getInt(pos + 4);
      if (type == EXT_END) {
        break;
      }
      if (length < 0 || pos + 8L + length > limit) {
        throw new ImageRejectedException(name + " has a qcow2 header extension out of bounds");
      }
      if (type == EXT_BACKING_FORMAT) {
        backingFormat = string(b, pos + 8, length);
      } else if (type == EXT_DATA_FILE) {
        dataFile = string(b, pos + 8, length);
      }
      pos += 8 + ((length + 7) & ~7);
    }
    return new Qcow2Header(
        version,
        virtualSize,
        clusterBits,
        backingFile,
        backingFormat,
        dataFile,
        incompatible,
        cryptMethod,
        snapshots);
  }

  static boolean hasMagic(byte[] head) {
    return head.length >= 4 && ByteBuffer.wrap(head).getInt(0) == MAGIC;
  }

  private static String string(ByteBuffer b, int offset, int length) {
    byte[] bytes = new byte[length];
    b.get(offset, bytes);
    return new String(bytes, UTF_8);
  }
}
