package dev.vmtask.agent.guest;

import java.io.InputStream;

/** The guest's answer to an action: its error header (if any), content type and body stream. */
public record GuestReply(String error, String contentType, InputStream body) {
  /** taskcluster's marker for a path that does not exist in the guest. */
  public static final String FILE_NOT_FOUND = "file-not-found";

  public boolean notFound() {
    return FILE_NOT_FOUND.equals(error);
  }
}
