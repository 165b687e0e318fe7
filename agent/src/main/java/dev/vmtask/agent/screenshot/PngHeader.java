package dev.vmtask.agent.screenshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The dimensions of a PNG file, read from its IHDR chunk after the file was checked to be a whole
 * PNG: the 8-byte signature, an IHDR chunk with a valid CRC and non-zero dimensions first, and the
 * IEND chunk last (a file cut short while being written has no IEND at its end). The pixels are not
 * decoded: the agent only vouches that QEMU wrote a complete PNG.
 */
public record PngHeader(int width, int height) {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final byte[] IEND = {
    0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82
  };
  private static final int IHDR_DATA_BYTES = 13;
  // signature + IHDR (length, type, data, CRC) + IEND
  private static final int MIN_BYTES = SIGNATURE.length + 4 + 4 + IHDR_DATA_BYTES + 4 + IEND.length;

  /**
   * Checks {@code file} and returns its dimensions.
   *
   * @throws ScreenshotException naming what is wrong: too large, truncated, not a PNG
   */
  public static PngHeader read(Path file, long maxBytes) throws ScreenshotException {
    try {
      long size = Files.size(file);
      if (size > maxBytes) {
        throw new ScreenshotException(
            "the screenshot is " + size + " bytes, more than the limit of " + maxBytes);
      }
      if (size < MIN_BYTES) {
        throw new ScreenshotException(
            "the screenshot is truncated or not a PNG (" + size + " bytes)");
      }
      byte[] head;
      try (InputStream in = Files.newInputStream(file)) {
        head = in.readNBytes(SIGNATURE.length + 4 + 4 + IHDR_DATA_BYTES + 4);
      }
      if (!Arrays.equals(head, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
        throw new ScreenshotException("the screenshot is not a PNG (no PNG signature)");
      }
      PngHeader header = ihdr(ByteBuffer.wrap(head, SIGNATURE.length, head.length - 8));
      if (!Arrays.equals(tail(file, size), IEND)) {
        throw new ScreenshotException("the screenshot is truncated (the PNG does not end in IEND)");
      }
      return header;
    } catch (IOException e) {
      throw new ScreenshotException("cannot read the screenshot: " + e.getMessage(), e);
    }
  }

  private static PngHeader ihdr(ByteBuffer b) throws ScreenshotException {
    int length = b.getInt();
    byte[] typeAndData = new byte[4 + IHDR_DATA_BYTES];
    b.get(typeAndData);
    if (length != IHDR_DATA_BYTES
        || !Arrays.equals(typeAndData, 0, 4, new byte[] {'I', 'H', 'D', 'R'}, 0, 4)) {
      throw new ScreenshotException("the screenshot is not a PNG (no IHDR chunk first)");
    }
    CRC32 crc = new CRC32();
    crc.update(typeAndData);
    if ((int) crc.getValue() != b.getInt()) {
      throw new ScreenshotException("the screenshot is corrupt (IHDR CRC mismatch)");
    }
    ByteBuffer data = ByteBuffer.wrap(typeAndData, 4, IHDR_DATA_BYTES);
    int width = data.getInt();
    int height = data.getInt();
    // The PNG spec limits both to 1..2^31-1; a negative int here is a value above that.
    if (width <= 0 || height <= 0) {
      throw new ScreenshotException(
          "the screenshot has invalid dimensions "
              + Integer.toUnsignedString(width)
              + "x"
              + Integer.toUnsignedString(height));
    }
    return new PngHeader(width, height);
  }

  private static byte[] tail(Path file, long size) throws IOException {
    byte[] last = new byte[IEND.length];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(size - last.length);
      f.readFully(last);
    }
    return last;
  }
}
