package dev.vmtask.cli;

import java.io.Console;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * The terminal the plugin runs on: whether there is one, its size, and raw mode (every key goes to
 * the VM as typed, Ctrl-C included) for the length of a session. stty does the work, with its stdin
 * on {@code /dev/tty} since a child process cannot see the JVM's.
 */
final class RawTerminal implements AutoCloseable {
  private static final File TTY = new File("/dev/tty");

  private final String saved;
  private final Thread restoreOnExit;
  private boolean restored;

  private RawTerminal(String saved) {
    this.saved = saved;
    // Ctrl-C cannot reach the JVM in raw mode, but a kill can: leave the terminal usable.
    this.restoreOnExit = new Thread(this::restore, "restore-terminal");
    Runtime.getRuntime().addShutdownHook(restoreOnExit);
  }

  /**
   * Whether {@code in} is the process's stdin and that is a terminal (with stdout): System.console
   * is non-null only then before Java 22, and from 22 on says so with isTerminal.
   */
  static boolean isTerminal(InputStream in) {
    if (in != System.in) {
      return false;
    }
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  /** Puts the terminal in raw mode until {@link #close()}. */
  static RawTerminal enter() {
    String saved;
    try {
      saved = stty("-g").trim();
      stty("raw", "-echo");
    } catch (IOException e) {
      throw new CliException("cannot put the terminal in raw mode: " + e.getMessage(), e);
    }
    return new RawTerminal(saved);
  }

  /** Rows and columns of the terminal, or 24x80 when it cannot tell. */
  static int[] size() {
    try {
      String[] words = stty("size").trim().split("\\s+");
      int rows = Integer.parseInt(words[0]);
      int cols = Integer.parseInt(words[1]);
      if (rows > 0 && cols > 0) {
        return new int[] {rows, cols};
      }
    } catch (IOException | RuntimeException e) {
      // no terminal size to be had: the usual default
    }
    return new int[] {24, 80};
  }

  /**
   * Runs {@code action} whenever the terminal is resized (SIGWINCH); silently nothing where the JVM
   * offers no such signal.
   */
  static void onResize(Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), signal -> action.run());
    } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
      // no SIGWINCH here: the session keeps its first size
    }
  }

  private static String stty(String... args) throws IOException {
    String[] command = new String[args.length + 1];
    command[0] = "stty";
    System.arraycopy(args, 0, command, 1, args.length);
    Process p =
        new ProcessBuilder(command)
            .redirectInput(TTY)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running stty", e);
    }
    return out;
  }

  private synchronized void restore() {
    if (restored) {
      return;
    }
    restored = true;
    try {
      stty(saved);
    } catch (IOException e) {
      // the terminal is gone or stty failed: nothing better to do on the way out
    }
  }

  @Override
  public void close() {
    restore();
    try {
      Runtime.getRuntime().removeShutdownHook(restoreOnExit);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs restore, which is done
    }
  }
}
