package dev.vmtask.agent.image;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;
import org.apache.commons.compress.archivers.tar.TarConstants;

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
    MeteredInputStream out = new MeteredInputStream(zstd, n -> {});
    out.check(n -> checkRatio(n, in.count()));
    TarArchiveInputStream tar = new TarArchiveInputStream(new FullReads(out));
    Set<String> seen = new HashSet<>();
    long total = 0;
    long allocated = 0;
    long diskSize = -1;
    byte[] machine = null;
    byte[] buffer = new byte[BUFFER];
    while (true) {
      long headerStart = out.count();
      out.check(
          n -> {
            checkRatio(n, in.count());
            if (n - headerStart > limits.maxHeaderBytes()) {
              throw new Rejection(
                  "tar headers of one member exceed " + limits.maxHeaderBytes() + " bytes");
            }
          });
      TarArchiveEntry e = tar.getNextEntry();
      out.check(n -> checkRatio(n, in.count()));
      if (e == null) {
        break;
      }
      String name = checkMember(e, seen);
      if (e.isStarSparse()) {
        throw new Rejection("member '" + name + "' uses star's sparse format; use GNU tar -S");
      }
      long size = e.getRealSize();
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
        if (size > dev.vmtask.agent.machine.MachineJson.MAX_BYTES) {
          throw new Rejection(
              "machine.json is "
                  + size
                  + " bytes, larger than the limit of "
                  + dev.vmtask.agent.machine.MachineJson.MAX_BYTES);
        }
        machine = tar.readNBytes((int) size);
        if (machine.length != size) {
          throw new Rejection("archive is truncated inside machine.json");
        }
        continue;
      }
      try (SparseFileWriter w =
          new SparseFileWriter(dir.resolve(name), name, limits.maxFileBytes())) {
        if (e.isSparse()) {
          copySparse(tar, e, w, buffer);
        } else {
          w.copy(tar, size, buffer);
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

  /** Data segments are copied; holes are skipped in both the tar stream and the file. */
  private static void copySparse(
      TarArchiveInputStream tar, TarArchiveEntry e, SparseFileWriter w, byte[] buffer)
      throws IOException {
    List<TarArchiveStructSparse> segments = e.getOrderedSparseHeaders();
    long pos = 0;
    for (TarArchiveStructSparse s : segments) {
      long hole = s.getOffset() - pos;
      skipFully(tar, hole);
      w.skip(hole);
      w.copy(tar, s.getNumbytes(), buffer);
      pos = s.getOffset() + s.getNumbytes();
    }
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long k = in.skip(left);
      if (k <= 0) {
        throw new Rejection("archive is truncated inside a sparse member");
      }
      left -= k;
    }
  }

  private String checkMember(TarArchiveEntry e, Set<String> seen) throws Rejection {
    String raw = e.getName();
    String name = raw.startsWith("./") ? raw.substring(2) : raw;
    if (name.startsWith("/")) {
      throw new Rejection("member '" + raw + "' has an absolute path");
    }
    for (String part : name.split("/", -1)) {
      if (part.equals("..")) {
        throw new Rejection("member '" + raw + "' escapes the archive with '..'");
      }
    }
    byte type = e.getLinkFlag();
    if (e.isSymbolicLink()) {
      throw new Rejection("member '" + raw + "' is a symbolic link to '" + e.getLinkName() + "'");
    }
    if (e.isLink()) {
      throw new Rejection("member '" + raw + "' is a hard link to '" + e.getLinkName() + "'");
    }
    if (e.isCharacterDevice() || e.isBlockDevice()) {
      throw new Rejection("member '" + raw + "' is a device node");
    }
    if (e.isFIFO()) {
      throw new Rejection("member '" + raw + "' is a FIFO");
    }
    if (e.isDirectory()) {
      throw new Rejection("member '" + raw + "' is a directory");
    }
    if (type != TarConstants.LF_NORMAL
        && type != TarConstants.LF_OLDNORM
        && type != TarConstants.LF_CONTIG
        && type != TarConstants.LF_GNUTYPE_SPARSE) {
      throw new Rejection(
          "member '" + raw + "' has tar type '" + (char) type + "', not a regular file");
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

  /**
   * Reads as many bytes as asked for unless the stream ends. commons-compress takes a short read
   * inside a sparse member's data segment for the segment's end and moves on to the next hole,
   * which corrupts the file; zstd over a network stream returns short reads all the time.
   */
  private static final class FullReads extends java.io.FilterInputStream {
    FullReads(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.readNBytes(b, off, len);
      return n == 0 && len > 0 ? -1 : n;
    }
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
