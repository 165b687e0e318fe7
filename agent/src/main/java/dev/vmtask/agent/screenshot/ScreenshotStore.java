package dev.vmtask.agent.screenshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Copies a PNG that QEMU wrote into the screenshot's destination. The copy goes to a {@code .part}
 * sibling first (the destination is usually another filesystem, a volume) and is renamed over
 * {@value ScreenshotRequest#FILE_NAME} only once it is whole and checked, so the destination never
 * holds half a screenshot; a symlink planted at the name is replaced, not followed.
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
    Path target = request.file();
    Path part = target.resolveSibling(".vmtask-" + UUID.randomUUID() + ".part");
    try {
      Files.createDirectories(request.destination());
      try {
        String sha256 = copy(png, part);
        // The stored bytes are the ones checked: the source could change between two reads.
        PngHeader header = PngHeader.read(part, maxBytes);
        long size = Files.size(part);
        Files.move(
            part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new StoredScreenshot(
            size, sha256, ScreenshotRequest.FILE_NAME, header.width(), header.height());
      } finally {
        Files.deleteIfExists(part);
      }
    } catch (IOException e) {
      throw new ScreenshotException(
          "cannot store the screenshot in " + request.destination() + ": " + describe(e), e);
    }
  }

  private String copy(Path from, Path to) throws IOException, ScreenshotException {
    MessageDigest sha = sha256();
    long size = 0;
    byte[] buf = new byte[65536];
    try (InputStream in = Files.newInputStream(from);
        OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        size += n;
        if (size > maxBytes) {
          throw new ScreenshotException("the screenshot grew beyond " + maxBytes + " bytes");
        }
        sha.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
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

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
