package dev.vmtask.agent.guest;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request from the host to the guest tools, handed out by {@code GET /engine/v1/poll}. Types are
 * taskcluster's ({@code get-artifact}, {@code list-folder}, {@code kill-process}) plus {@code
 * shutdown} (power the guest off), {@code shell} (open a {@link GuestShells shell session}; its
 * request is in {@code shell}, null for the other types) and {@code none} (the long poll timed
 * out).
 */
public record GuestAction(String id, String type, String path, ObjectNode shell) {
  public static final GuestAction NONE = new GuestAction("", "none", "", null);

  GuestAction(String id, String type, String path) {
    this(id, type, path, null);
  }

  String toShell() {
    return "id="
        + ShellQuote.quote(id)
        + "\ntype="
        + ShellQuote.quote(type)
        + "\npath="
        + ShellQuote.quote(path)
        + "\n";
  }
}
