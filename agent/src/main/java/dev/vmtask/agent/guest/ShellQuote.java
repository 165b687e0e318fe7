package dev.vmtask.agent.guest;

/** Single-quoting for POSIX sh: the only character that needs care inside '...' is ' itself. */
final class ShellQuote {
  private ShellQuote() {}

  static String quote(String s) {
    if (s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a shell word cannot contain a NUL character");
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
