package dev.vmtask.agent.cli;

import dev.vmtask.agent.image.ImageSource;
import dev.vmtask.agent.interactive.InteractiveServer;
import dev.vmtask.agent.task.AgentSettings;
import dev.vmtask.agent.task.Outcome;
import dev.vmtask.agent.task.Reason;
import dev.vmtask.agent.task.TaskRunner;
import dev.vmtask.agent.task.TaskSpec;
import dev.vmtask.agent.task.TaskSpecException;
import dev.vmtask.agent.task.TerminationMessage;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code vmtask-agent pod} and {@code fetch}: the task from {@code VMTASK_TASK}, the outcome as the
 * termination message and exit code the operator reads (docs/agent-contract.md).
 */
public final class PodCommand {
  private PodCommand() {}

  public static int main(boolean fetchOnly, Map<String, String> env) {
    Diagnostics diag = new Diagnostics();
    Path terminationLog =
        Path.of(env.getOrDefault("VMTASK_TERMINATION_LOG", "/dev/termination-log"));
    Outcome outcome;
    try {
      AgentSettings settings = AgentSettings.fromEnv(env);
      String json = env.getOrDefault("VMTASK_TASK", "");
      InteractiveServer interactive = fetchOnly ? null : interactive(env, diag);
      TaskRunner runner =
          new TaskRunner(settings, new FileOutputStream(FileDescriptor.out), diag, interactive);
      Signals.abortOnTermination(runner);
      if (fetchOnly) {
        ImageSource image = TaskSpec.parseImage(json, env);
        diag.accept("fetching " + image);
        outcome = runner.fetch(image);
      } else {
        TaskSpec task = TaskSpec.parse(json, env);
        diag.accept("running " + task.name());
        outcome = runner.run(task);
      }
    } catch (TaskSpecException | IllegalArgumentException e) {
      outcome =
          new Outcome(
              Reason.AgentError, 0, e.getMessage(), null, null, List.of(), null, zero(), null);
    }
    diag.accept(outcome.reason() + ": " + outcome.message());
    try {
      TerminationMessage.write(outcome, terminationLog);
    } catch (IOException e) {
      diag.accept("cannot write the termination message to " + terminationLog + ": " + e);
    }
    return outcome.exitCode();
  }

  /**
   * The console, display and shells for {@code kubectl vmtask}, on {@code VMTASK_INTERACTIVE_PORT}
   * (default {@value InteractiveServer#DEFAULT_PORT}, 0: off). A task runs without them when the
   * port cannot be had.
   */
  private static InteractiveServer interactive(Map<String, String> env, Diagnostics diag) {
    String value = env.getOrDefault("VMTASK_INTERACTIVE_PORT", "").trim();
    int port;
    try {
      port = value.isEmpty() ? InteractiveServer.DEFAULT_PORT : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      diag.accept("VMTASK_INTERACTIVE_PORT is not a port: " + value + "; no interactive access");
      return null;
    }
    if (port <= 0) {
      return null;
    }
    try {
      return InteractiveServer.start(port, diag);
    } catch (IOException e) {
      diag.accept("no interactive access: cannot listen on 127.0.0.1:" + port + ": " + e);
      return null;
    }
  }

  private static Outcome.Timings zero() {
    return new Outcome.Timings(0, 0, 0, 0);
  }
}
