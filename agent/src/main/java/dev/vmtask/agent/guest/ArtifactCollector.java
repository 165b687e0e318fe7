package dev.vmtask.agent.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmtask.agent.result.ResultFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies artifacts out of the guest through get-artifact / list-folder actions. The guest is not
 * trusted: sizes are capped while streaming (per file and in total), a directory's listing must
 * stay under the requested path, and every name is checked before it touches the destination.
 */
public final class ArtifactCollector {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_LISTING_BYTES = 10 * 1024 * 1024;

  private final GuestActions actions;
  private final long maxFileBytes;
  private final long maxTotalBytes;
  private long totalBytes;

  public ArtifactCollector(GuestActions actions, long maxFileBytes, long maxTotalBytes) {
    this.actions = actions;
    this.maxFileBytes = maxFileBytes;
    this.maxTotalBytes = maxTotalBytes;
  }

  public List<CollectedArtifact> collect(List<ArtifactRequest> requests)
      throws ArtifactException, InterruptedException {
    List<CollectedArtifact> out = new ArrayList<>();
    for (ArtifactRequest r : requests) {
      String root = checkGuestPath(r.name(), r.guestPath());
      if (r.directory()) {
        for (String file : listFolder(r, root)) {
          out.add(fetch(r, file, relativeName(r, root, file)));
        }
      } else {
        String base = root.substring(root.lastIndexOf('/') + 1);
        out.add(fetch(r, root, checkName(r, base)));
      }
    }
    return out;
  }

  private List<String> listFolder(ArtifactRequest r, String root)
      throws ArtifactException, InterruptedException {
    JsonNode listing;
    try {
      listing =
          actions.request(
              "list-folder",
              root,
              reply -> {
                if (reply.contentType() == null
                    || !reply.contentType().startsWith("application/json")) {
                  throw new IOException("list-folder reply is not application/json");
                }
                byte[] body = reply.body().readNBytes(MAX_LISTING_BYTES + 1);
                if (body.length > MAX_LISTING_BYTES) {
                  throw new IOException("list-folder reply is larger than 10 MiB");
                }
                return JSON.readTree(body);
              });
    } catch (IOException e) {
      throw new ArtifactException("artifact " + r.name() + ": " + e.getMessage(), e);
    }
    if (listing == null || listing.path("notFound").asBoolean(false)) {
      throw new ArtifactException(
          "artifact " + r.name() + ": directory " + root + " not found in the guest");
    }
    List<String> files = new ArrayList<>();
    for (JsonNode f : listing.path("files")) {
      if (!f.isTextual()) {
        throw new ArtifactException("artifact " + r.name() + ": malformed list-folder reply");
      }
      files.add(f.asText());
    }
    files.sort(null);
    return files;
  }

  private CollectedArtifact fetch(ArtifactRequest r, String guestFile, String relative)
      throws ArtifactException, InterruptedException {
    Path dest = r.destination().toAbsolutePath().normalize();
    Path target = dest.resolve(relative).normalize();
    if (!target.startsWith(dest) || target.equals(dest)) {
      throw new ArtifactException("artifact " + r.name() + ": unsafe name " + relative);
    }
    try {
      ResultFile.Stored stored =
          actions.request("get-artifact", guestFile, reply -> store(guestFile, reply, target));
      return new CollectedArtifact(
          r.name(), stored.sizeBytes(), stored.sha256(), dest.relativize(target).toString());
    } catch (IOException e) {
      throw new ArtifactException("artifact " + r.name() + ": " + e.getMessage(), e);
    }
  }

  private ResultFile.Stored store(String guestFile, GuestReply reply, Path target)
      throws IOException {
    if (reply.notFound()) {
      throw new IOException(guestFile + " not found in the guest");
    }
    if (reply.error() != null) {
      throw new IOException("the guest could not read " + guestFile + ": " + reply.error());
    }
    ResultFile.Stored stored;
    try (InputStream in = reply.body()) {
      stored =
          ResultFile.write(
              in,
              target,
              size -> {
                if (size > maxFileBytes) {
                  throw new IOException(
                      guestFile + " is larger than the limit of " + maxFileBytes + " bytes");
                }
                if (totalBytes + size > maxTotalBytes) {
                  throw new IOException(
                      "artifacts are larger than the total limit of " + maxTotalBytes + " bytes");
                }
              },
              written -> {});
    }
    totalBytes += stored.sizeBytes();
    return stored;
  }

  /** An absolute, normalized guest path (no "." or ".." components, no NUL or newline). */
  private static String checkGuestPath(String name, String path) throws ArtifactException {
    if (path == null || !path.startsWith("/") || path.length() < 2) {
      throw new ArtifactException("artifact " + name + ": path must be absolute, got " + path);
    }
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    for (String part : p.substring(1).split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..") || hasControl(part)) {
        throw new ArtifactException("artifact " + name + ": path is not normalized: " + path);
      }
    }
    return p;
  }

  private static String relativeName(ArtifactRequest r, String root, String file)
      throws ArtifactException {
    if (!file.startsWith(root + "/")) {
      throw new ArtifactException(
          "artifact " + r.name() + ": the guest listed " + file + ", outside " + root);
    }
    String rel = file.substring(root.length() + 1);
    StringBuilder clean = new StringBuilder();
    for (String part : rel.split("/", -1)) {
      clean.append(clean.length() == 0 ? "" : "/").append(checkName(r, part));
    }
    return clean.toString();
  }

  private static String checkName(ArtifactRequest r, String part) throws ArtifactException {
    if (part.isEmpty() || part.equals(".") || part.equals("..") || hasControl(part)) {
      throw new ArtifactException("artifact " + r.name() + ": unsafe file name '" + part + "'");
    }
    return part;
  }

  private static boolean hasControl(String s) {
    return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
  }
}
