package dev.vmtask.agent.task;

import dev.vmtask.agent.guest.GuestCommand;
import dev.vmtask.agent.guest.GuestInput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Measures a command's input files before the VM boots: each must be a regular file within the size
 * limits (those of artifacts); its size and sha256 go to the guest, which checks them.
 */
final class InputFiles {
  /** Why an input cannot be given to the guest. */
  static final class InputFailedException extends Exception {
    InputFailedException(String message) {
      super(message);
    }
  }

  private InputFiles() {}

  static GuestCommand measure(GuestCommand command, long maxFileBytes, long maxTotalBytes)
      throws InputFailedException, IOException {
    List<GuestInput> measured = new ArrayList<>();
    long total = 0;
    for (GuestInput in : command.inputs()) {
      // Followed links: the kubelet projects a ConfigMap key as a link into a data directory.
      if (!Files.isRegularFile(in.source())) {
        throw new InputFailedException(
            "input "
                + in.path()
                + ": "
                + in.source()
                + (Files.exists(in.source())
                    ? " is not a file (a claim's subPath that does not exist is mounted as an"
                        + " empty directory)"
                    : " does not exist"));
      }
      long size = Files.size(in.source());
      if (size > maxFileBytes) {
        throw new InputFailedException(
            "input " + in.path() + ": " + size + " bytes, more than " + maxFileBytes);
      }
      total += size;
      if (total > maxTotalBytes) {
        throw new InputFailedException(
            "the inputs hold more than " + maxTotalBytes + " bytes together");
      }
      measured.add(in.measured(size, sha256(in)));
    }
    return command.withInputs(measured);
  }

  private static String sha256(GuestInput in) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    try (InputStream file = Files.newInputStream(in.source())) {
      byte[] buf = new byte[65536];
      for (int n; (n = file.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
