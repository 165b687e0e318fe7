package dev.vmtask.agent.guest;

/**
 * A request from the host to the guest tools, handed out by {@code GET /engine/v1/poll}. Types are
 * taskcluster's ({@code get-artifact}, {@code list-folder}, {@code kill-process}) plus {@code
 * shutdown} (power the guest off) and {@code none} (the long poll timed out).
 */
public record GuestAction(String id, String type, String path) {
  public static final GuestAction NONE = new GuestAction("", "none", "");

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
