package dev.vmtask.agent.cli;

import java.util.function.Consumer;

/**
 * The agent's own messages: stderr, one line each, prefixed so they stand out from guest output.
 */
final class Diagnostics implements Consumer<String> {
  @Override
  public void accept(String line) {
    synchronized (System.err) {
      System.err.println("vmtask-agent: " + line);
    }
  }
}
