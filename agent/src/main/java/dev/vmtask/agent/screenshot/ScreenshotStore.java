package dev.vmtask.agent.screenshot;

import dev.vmtask.agent.result.ResultFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Copies a PNG that QEMU wrote into the screenshot's destination (usually another filesystem, a
 * volume) as a {@link ResultFile}: {@value ScreenshotRequest#FILE_NAME} appears only once it is
 * whole and checked to be a PNG.
 */
public final class ScreenshotStore {
  /** A 4K display compressed by libpng is a few MiB; anything far above is not a screenshot. */
  public static final long MAX_BYTES = 64L * 1024 * 1024;

  private final long maxBytes;

  public ScreenshotStore(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public StoredScreenshot store(Path png, ScreenshotRequest request) throws ScreenshotException {
    PngHeader.read(png, maxBytes); // fail before copying anything that is not a PNG
    PngHeader[] header = new PngHeader[1];
    try (InputStream in = Files.newInputStream(png)) {
      ResultFile.Stored stored =
          ResultFile.write(
              in,
              request.file(),
              size -> {
                if (size > maxBytes) {
                  throw new ScreenshotException(
                      "the screenshot grew beyond " + maxBytes + " bytes");
                }
              },
              // The stored bytes are the ones checked: the source could change between two reads.
              written -> header[0] = PngHeader.read(written, maxBytes));
      return new StoredScreenshot(
          stored.sizeBytes(),
          stored.sha256(),
          ScreenshotRequest.FILE_NAME,
          header[0].width(),
          header[0].height());
    } catch (IOException e) {
      throw new ScreenshotException(
          "cannot store the screenshot in " + request.destination() + ": " + describe(e), e);
    }
  }

  /** NIO's file exceptions often say only the path; the kind of failure is in their class. */
  private static String describe(IOException e) {
    String kind =
        e instanceof NoSuchFileException
            ? "no such file or directory"
            : e instanceof AccessDeniedException
                ? "permission denied"
                : e instanceof FileSystemException f && f.getReason() == null
                    ? e.getClass().getSimpleName()
                    : null;
    return kind == null ? e.getMessage() : e.getMessage() + ": " + kind;
  }
}
