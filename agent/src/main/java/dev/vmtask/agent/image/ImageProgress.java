package dev.vmtask.agent.image;

/**
 * How far a fetch has come: bytes of the image file read so far, of {@code totalBytes} (-1 if
 * unknown).
 */
public record ImageProgress(long bytes, long totalBytes) {
  /** Percent done, or -1 when the total is unknown. */
  public int percent() {
    return totalBytes <= 0 ? -1 : (int) Math.min(100, bytes * 100 / totalBytes);
  }
}
