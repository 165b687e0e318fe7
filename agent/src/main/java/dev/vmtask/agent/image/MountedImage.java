package dev.vmtask.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An image the node daemon mounted into a pod (the {@code images.vmtask.dev} CSI volume): a cache
 * entry, read-only, or, when the daemon could not provide it, a directory holding only {@code
 * failure.json} with why. A failed fetch is mounted rather than refused so that the pod starts and
 * its agent reports the failure through the task's status like any other outcome.
 */
public final class MountedImage {
  public static final String FAILURE = "failure.json";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MountedImage() {}

  /** A lease on the image mounted at {@code dir}, or the failure recorded there. */
  public static ImageLease open(Path dir) throws ImageRejectedException, IOException {
    Path failure = dir.resolve(FAILURE);
    if (Files.exists(failure)) {
      JsonNode o = MAPPER.readTree(Files.readAllBytes(failure));
      String message = o.path("message").asText("the node daemon could not provide the image");
      if (o.path("rejected").asBoolean()) {
        throw new ImageRejectedException(message);
      }
      throw new ImageFetchException(message, o.path("permanent").asBoolean(), null);
    }
    Path entry = dir.resolve(ImageLayout.ENTRY);
    if (!Files.exists(entry)) {
      throw new IOException(
          "no image is mounted at "
              + dir
              + " (neither "
              + ImageLayout.ENTRY
              + " nor "
              + FAILURE
              + ")");
    }
    // The daemon pins the entry while it is mounted; the lease has nothing to release.
    return new ImageLease(CacheEntry.read(entry), dir, () -> {}, true);
  }

  /**
   * Writes the failure record into {@code dir}.
   *
   * @param rejected the image itself is bad (checksum, format, hostile content)
   * @param permanent retrying the fetch cannot help (e.g. 404, access denied)
   */
  public static void writeFailure(Path dir, String message, boolean rejected, boolean permanent)
      throws IOException {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("message", message);
    o.put("rejected", rejected);
    o.put("permanent", permanent);
    Files.write(dir.resolve(FAILURE), MAPPER.writeValueAsBytes(o));
  }
}
