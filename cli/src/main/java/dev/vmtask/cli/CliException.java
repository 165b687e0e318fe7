package dev.vmtask.cli;

/**
 * A failure the user should read as one line, {@code error: <message>}, with the process exit code
 * to go with it; no stack trace.
 */
final class CliException extends RuntimeException {
  /** Bad usage: unknown command or flag, missing argument. */
  static final int USAGE = 2;

  /** {@code timeout(1)}'s code, so scripts can tell a timeout from a failure. */
  static final int TIMED_OUT = 124;

  private final int exitCode;

  CliException(String message) {
    this(message, 1);
  }

  CliException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  CliException(String message, Throwable cause) {
    super(message, cause);
    this.exitCode = 1;
  }

  static CliException usage(String message) {
    return new CliException(message, USAGE);
  }

  int exitCode() {
    return exitCode;
  }
}
