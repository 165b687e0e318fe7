package dev.vmtask.agent.image;

import dev.vmtask.agent.machine.InvalidMachineException;
import dev.vmtask.agent.machine.MachineDefinition;
import dev.vmtask.agent.machine.MachineJson;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * Turns the bytes of one image file into validated files in a directory: digest computed while
 * streaming, format detected or checked, archive unpacked or disk written sparsely, then every
 * check of {@link TarZstExtractor} and {@link DiskChecks}. The directory is the caller's to publish
 * or delete.
 */
final class ImageIntake {
  private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};
  private static final int ISO_MAGIC_OFFSET = 32769;
  private static final byte[] ISO_MAGIC =
      "CD001".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final long PROGRESS_INTERVAL_NANOS = 250_000_000L;

  /** A validated image in its directory. */
  record Result(
      String sha256,
      ImageFormat format,
      String baseFile,
      String baseFormat,
      long sizeBytes,
      long virtualSizeBytes,
      long allocatedBytes,
      MachineDefinition machine) {}

  private final IntakeLimits limits;

  ImageIntake(IntakeLimits limits) {
    this.limits = limits;
  }

  Result run(
      InputStream source,
      long announcedLength,
      ImageFormat declared,
      String expectedSha256,
      Path dir,
      Consumer<ImageProgress> progress)
      throws ImageRejectedException, IOException {
    if (announcedLength > limits.maxDownloadBytes()) {
      throw new ImageRejectedException(
          "the image is "
              + announcedLength
              + " bytes, more than the limit of "
              + limits.maxDownloadBytes());
    }
    MessageDigest sha = sha256();
    long[] lastReport = {System.nanoTime()};
    MeteredInputStream metered =
        new MeteredInputStream(
            new DigestInputStream(source, sha),
            n -> {
              if (n > limits.maxDownloadBytes()) {
                throw new Rejection(
                    "the image is more than the limit of " + limits.maxDownloadBytes() + " bytes");
              }
              long now = System.nanoTime();
              if (now - lastReport[0] >= PROGRESS_INTERVAL_NANOS) {
                lastReport[0] = now;
                progress.accept(new ImageProgress(n, announcedLength));
              }
            });
    ReadAheadInputStream ahead = new ReadAheadInputStream(metered, 1 << 20, 4);
    BufferedInputStream in = new BufferedInputStream(ahead, 64 << 10);
    try (ahead) {
      ImageFormat detected = declared == ImageFormat.ISO ? checkIso(in) : detect(in);
      if (declared != ImageFormat.AUTO && declared != detected) {
        throw new ImageRejectedException(
            "the image is declared "
                + declared
                + " but starts like "
                + describe(detected)
                + " (format confusion)");
      }
      ImageFormat format = detected;
      Result r =
          switch (format) {
            case TAR_ZST -> unpackArchive(in, dir);
            case QCOW2 -> writeDisk(in, dir, ImageLayout.QCOW2_DISK, ImageFormat.QCOW2);
            case RAW -> writeDisk(in, dir, ImageLayout.DISK, ImageFormat.RAW);
            case ISO -> writeDisk(in, dir, ImageLayout.CDROM, ImageFormat.ISO);
            case AUTO -> throw new IllegalStateException("format not resolved");
          };
      in.transferTo(java.io.OutputStream.nullOutputStream()); // the digest covers the whole file
      progress.accept(new ImageProgress(metered.count(), announcedLength));
      String actual = HexFormat.of().formatHex(sha.digest());
      if (expectedSha256 != null && !expectedSha256.equals(actual)) {
        throw new ImageRejectedException(
            "sha256 mismatch: expected sha256:" + expectedSha256 + ", got sha256:" + actual);
      }
      Result checked = check(r, dir);
      return new Result(
          actual,
          checked.format,
          checked.baseFile,
          checked.baseFormat,
          metered.count(),
          checked.virtualSizeBytes,
          checked.allocatedBytes,
          checked.machine);
    } catch (SparseFileWriter.LocalWriteException e) {
      throw e;
    } catch (IOException e) {
      IOException known = Rejection.find(e);
      if (known instanceof Rejection rejection) {
        throw rejection.toRejected();
      }
      if (known != null) {
        throw known;
      }
      if (stopped(e)) {
        throw e; // interrupted or timed out: the archive may be fine, a retry may finish it
      }
      throw new ImageRejectedException(
          "the image archive is corrupt or truncated: " + e.getMessage(), e);
    }
  }

  private static boolean stopped(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedIOException) {
        return true;
      }
    }
    return false;
  }

  private static ImageFormat detect(BufferedInputStream in) throws IOException {
    in.mark(8);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (java.util.Arrays.equals(head, ZSTD_MAGIC)) {
      return ImageFormat.TAR_ZST;
    }
    return Qcow2Header.hasMagic(head) ? ImageFormat.QCOW2 : ImageFormat.RAW;
  }

  /**
   * An ISO 9660 image has its first volume descriptor at 32768, with the standard identifier CD001
   * after its type byte: a file declared iso without it is refused, as for the other formats.
   */
  private static ImageFormat checkIso(BufferedInputStream in) throws IOException {
    in.mark(ISO_MAGIC_OFFSET + ISO_MAGIC.length);
    byte[] head = in.readNBytes(ISO_MAGIC_OFFSET + ISO_MAGIC.length);
    in.reset();
    byte[] magic = java.util.Arrays.copyOfRange(head, ISO_MAGIC_OFFSET, head.length);
    if (head.length < ISO_MAGIC_OFFSET + ISO_MAGIC.length
        || !java.util.Arrays.equals(magic, ISO_MAGIC)) {
      throw new Rejection(
          "the image is declared iso but has no ISO 9660 volume descriptor (CD001 at byte "
              + ISO_MAGIC_OFFSET
              + ")");
    }
    return ImageFormat.ISO;
  }

  private static String describe(ImageFormat detected) {
    return switch (detected) {
      case TAR_ZST -> "zstd-compressed data (magic 28 b5 2f fd)";
      case QCOW2 -> "a qcow2 file (magic QFI\\xfb)";
      default -> "neither zstd nor qcow2 (no known magic)";
    };
  }

  private Result unpackArchive(InputStream in, Path dir) throws IOException {
    TarZstExtractor.Unpacked u = new TarZstExtractor(limits).extract(in, dir);
    MachineDefinition machine;
    try {
      machine = MachineJson.parse(u.machineJson());
    } catch (InvalidMachineException e) {
      throw new Rejection(e.getMessage());
    }
    return new Result(
        null,
        ImageFormat.TAR_ZST,
        ImageLayout.LAYER,
        "qcow2",
        0,
        u.diskSize(),
        u.allocatedBytes(),
        machine);
  }

  private Result writeDisk(InputStream in, Path dir, String file, ImageFormat format)
      throws IOException {
    try (SparseFileWriter w =
        new SparseFileWriter(dir.resolve(file), file, limits.maxFileBytes())) {
      long size = w.copy(in, -1, new byte[1 << 20]);
      w.finish(size);
      return new Result(null, format, file, format.id(), 0, size, w.allocatedBytes(), null);
    }
  }

  /** Header checks after the digest matched; fills the virtual size from the qcow2 header. */
  private Result check(Result r, Path dir) throws ImageRejectedException, IOException {
    long virtual = r.virtualSizeBytes();
    switch (r.format()) {
      case TAR_ZST -> {
        DiskChecks.checkRaw(dir.resolve(ImageLayout.DISK), ImageLayout.DISK);
        virtual = DiskChecks.checkLayer(dir.resolve(ImageLayout.LAYER), limits).virtualSize();
      }
      case QCOW2 ->
          virtual =
              DiskChecks.checkStandaloneQcow2(
                      dir.resolve(ImageLayout.QCOW2_DISK), "the qcow2 image", limits)
                  .virtualSize();
      case RAW -> DiskChecks.checkRaw(dir.resolve(ImageLayout.DISK), "the raw image");
      case ISO -> DiskChecks.checkRaw(dir.resolve(ImageLayout.CDROM), "the iso image");
      default -> throw new IllegalStateException();
    }
    if (virtual > limits.maxVirtualBytes()) {
      throw new ImageRejectedException(
          "the disk's virtual size "
              + virtual
              + " is more than the limit of "
              + limits.maxVirtualBytes());
    }
    return new Result(
        r.sha256(),
        r.format(),
        r.baseFile(),
        r.baseFormat(),
        r.sizeBytes(),
        virtual,
        r.allocatedBytes(),
        r.machine());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
