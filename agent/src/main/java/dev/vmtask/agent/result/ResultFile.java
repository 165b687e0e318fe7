package dev.vmtask.agent.result;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * How the agent stores a file of the task's results (an artifact, a screenshot) in a destination
 * volume: written to a {@code .part} sibling while its sha256 is computed and its size bounded,
 * checked whole, then renamed over its name. The destination never holds half a file, and a symlink
 * planted at the name is replaced, not followed.
 */
public final class ResultFile {
  private ResultFile() {}

  /** The stored file's size and sha256 (hex). */
  public record Stored(long sizeBytes, String sha256) {}

  /** Refuses the file once {@code size} bytes have been written. */
  @FunctionalInterface
  public interface SizeLimit<E extends Exception> {
    void check(long size) throws E;
  }

  /** Inspects the whole written file before it is published. */
  @FunctionalInterface
  public interface Check<E extends Exception> {
    void accept(Path written) throws E;
  }

  /** Writes {@code in} to {@code target}, creating its directory. */
  public static <E extends Exception> Stored write(
      InputStream in, Path target, SizeLimit<E> limit, Check<E> check) throws IOException, E {
    Files.createDirectories(target.getParent());
    Path part = target.resolveSibling(".vmtask-" + UUID.randomUUID() + ".part");
    try {
      Stored stored = copy(in, part, limit);
      check.accept(part);
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return stored;
    } finally {
      Files.deleteIfExists(part);
    }
  }

  private static <E extends Exception> Stored copy(InputStream in, Path part, SizeLimit<E> limit)
      throws IOException, E {
    MessageDigest sha = sha256();
    long size = 0;
    byte[] buf = new byte[65536];
    try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        size += n;
        limit.check(size);
        sha.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    return new Stored(size, HexFormat.of().formatHex(sha.digest()));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
