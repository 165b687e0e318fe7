package dev.vmtask.agent.image;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.vmtask.agent.machine.MachineJson;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Unpacks a taskcluster image archive from a stream, treating it as hostile: exactly the members
 * disk.img, layer.qcow2 and machine.json, each once, each a regular file (sparse allowed); caps on
 * every file, on the total, on tar header bytes and on the decompression ratio, all enforced while
 * bytes flow. Member names are only compared, never used as paths.
 */
final class TarZstExtractor {
  private static final int BUFFER = 1 << 20;

  private final IntakeLimits limits;

  TarZstExtractor(IntakeLimits limits) {
    this.limits = limits;
  }

  /** What was unpacked into the directory. */
  record Unpacked(long diskSize, long allocatedBytes, byte[] machineJson) {}

  Unpacked extract(InputStream compressed, Path dir) throws IOException {
    MeteredInputStream in = new MeteredInputStream(compressed, n -> {});
    ZstdInputStreamNoFinalizer zstd = new ZstdInputStreamNoFinalizer(in);
    MeteredInputStream out = new MeteredInputStream(zstd, n -> checkRatio(n, in.count()));
    TarReader tar = new TarReader(new BufferedInputStream(out, 64 << 10), limits.maxHeaderBytes());
    Set<String> seen = new HashSet<>();
    long total = 0;
    long allocated = 0;
    long diskSize = -1;
    byte[] machine = null;
    byte[] buffer = new byte[BUFFER];
    TarReader.Member e;
    while ((e = tar.next()) != null) {
      String name = checkMember(e, seen);
      long size = e.realSize();
      if (size < 0 || size > limits.maxFileBytes()) {
        throw new Rejection(
            "member '"
                + name
                + "' is "
                + size
                + " bytes, more than the limit of "
                + limits.maxFileBytes());
      }
      total += size;
      if (total > limits.maxTotalBytes()) {
        throw new Rejection(
            "the archive's files add up to more than the limit of "
                + limits.maxTotalBytes()
                + " bytes");
      }
      if (name.equals(ImageLayout.MACHINE)) {
        if (size > MachineJson.MAX_BYTES || e.segments() != null) {
          throw new Rejection(
              "machine.json is "
                  + size
                  + " bytes, larger than the limit of "
                  + MachineJson.MAX_BYTES);
        }
        machine = tar.data().readNBytes((int) size);
        continue;
      }
      try (SparseFileWriter w =
          new SparseFileWriter(dir.resolve(name), name, limits.maxFileBytes())) {
        if (e.segments() == null) {
          w.copy(tar.data(), size, buffer);
        } else {
          long pos = 0;
          for (long[] segment : e.segments()) {
            w.skip(segment[0] - pos); // a hole: nothing in the archive, nothing on disk
            w.copy(tar.data(), segment[1], buffer);
            pos = segment[0] + segment[1];
          }
        }
        w.finish(size);
        allocated += w.allocatedBytes();
      }
      if (name.equals(ImageLayout.DISK)) {
        diskSize = size;
      }
    }
    for (String member : ImageLayout.ARCHIVE_MEMBERS) {
      if (!seen.contains(member)) {
        throw new Rejection(
            "archive has no '"
                + member
                + "' (it must hold disk.img, layer.qcow2 and machine.json)");
      }
    }
    return new Unpacked(diskSize, allocated, machine);
  }

  private static String checkMember(TarReader.Member e, Set<String> seen) throws Rejection {
    String raw = e.name();
    String name = raw.startsWith("./") ? raw.substring(2) : raw;
    if (name.startsWith("/")) {
      throw new Rejection("member '" + raw + "' has an absolute path");
    }
    for (String part : name.split("/", -1)) {
      if (part.equals("..")) {
        throw new Rejection("member '" + raw + "' escapes the archive with '..'");
      }
    }
    switch (e.type()) {
      case '2' ->
          throw new Rejection("member '" + raw + "' is a symbolic link to '" + e.linkName() + "'");
      case '1' ->
          throw new Rejection("member '" + raw + "' is a hard link to '" + e.linkName() + "'");
      case '3', '4' -> throw new Rejection("member '" + raw + "' is a device node");
      case '6' -> throw new Rejection("member '" + raw + "' is a FIFO");
      case '5' -> throw new Rejection("member '" + raw + "' is a directory");
      default -> {}
    }
    if (!e.isRegular() || name.endsWith("/")) {
      throw new Rejection(
          "member '" + raw + "' has tar type '" + (char) e.type() + "', not a regular file");
    }
    if (!ImageLayout.ARCHIVE_MEMBERS.contains(name)) {
      throw new Rejection(
          "unexpected member '"
              + raw
              + "' (an image archive holds exactly disk.img, layer.qcow2 and machine.json)");
    }
    if (!seen.add(name)) {
      throw new Rejection("member '" + name + "' appears more than once");
    }
    return name;
  }

  private void checkRatio(long decompressed, long compressed) throws Rejection {
    if (decompressed > limits.ratioGraceBytes()
        && decompressed > limits.maxRatio() * Math.max(1, compressed)) {
      throw new Rejection(
          "decompression ratio exceeds "
              + limits.maxRatio()
              + ":1 ("
              + decompressed
              + " bytes from "
              + compressed
              + "); refusing a likely zip bomb");
    }
  }
}
