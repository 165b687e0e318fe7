package dev.vmtask.agent.image;

/**
 * Caps enforced while an untrusted image is fetched and unpacked, before anything is published.
 *
 * @param maxDownloadBytes the fetched file (compressed archive or disk)
 * @param maxFileBytes apparent size of each unpacked file (holes included)
 * @param maxTotalBytes apparent size of all unpacked files together
 * @param maxVirtualBytes virtual size of the disk a VM sees
 * @param maxRatio decompressed/compressed bytes of a tar.zst stream beyond which it is a bomb
 * @param ratioGraceBytes decompressed bytes below which the ratio is not checked
 * @param maxHeaderBytes tar header bytes (names, PAX records, sparse maps) for one member
 */
public record IntakeLimits(
    long maxDownloadBytes,
    long maxFileBytes,
    long maxTotalBytes,
    long maxVirtualBytes,
    long maxRatio,
    long ratioGraceBytes,
    long maxHeaderBytes) {
  private static final long GIB = 1L << 30;

  /** taskcluster's 50 GiB per file and virtual size, 1000:1 over 64 MiB, 4 MiB of tar headers. */
  public static final IntakeLimits DEFAULT =
      new IntakeLimits(50 * GIB, 50 * GIB, 100 * GIB, 50 * GIB, 1000, 64L << 20, 4L << 20);

  public IntakeLimits withMaxFileBytes(long v) {
    return new IntakeLimits(
        maxDownloadBytes,
        v,
        maxTotalBytes,
        maxVirtualBytes,
        maxRatio,
        ratioGraceBytes,
        maxHeaderBytes);
  }

  public IntakeLimits withMaxVirtualBytes(long v) {
    return new IntakeLimits(
        maxDownloadBytes,
        maxFileBytes,
        maxTotalBytes,
        v,
        maxRatio,
        ratioGraceBytes,
        maxHeaderBytes);
  }

  public IntakeLimits withRatio(long ratio, long graceBytes) {
    return new IntakeLimits(
        maxDownloadBytes,
        maxFileBytes,
        maxTotalBytes,
        maxVirtualBytes,
        ratio,
        graceBytes,
        maxHeaderBytes);
  }

  public IntakeLimits withMaxDownloadBytes(long v) {
    return new IntakeLimits(
        v, maxFileBytes, maxTotalBytes, maxVirtualBytes, maxRatio, ratioGraceBytes, maxHeaderBytes);
  }
}
