package dev.vmtask.agent.cli;

import dev.vmtask.agent.task.TaskRunner;
import sun.misc.Signal;

/**
 * SIGTERM (pod deletion, kubelet) and SIGINT (Ctrl-C) abort the run instead of killing the JVM, so
 * the guest gets its power-off request and the outcome is still written.
 */
final class Signals {
  private Signals() {}

  static void abortOnTermination(TaskRunner runner) {
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> runner.abort("SIG" + s.getName()));
    }
  }
}
