package dev.vmtask.agent.cli;

import dev.vmtask.agent.task.AgentSettings;
import dev.vmtask.agent.task.Outcome;
import dev.vmtask.agent.task.Reason;
import dev.vmtask.agent.task.TaskRunner;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code vmtask-agent run}: one VM run without Kubernetes; guest output on stdout. */
public final class RunCommand {
  private RunCommand() {}

  public static int main(List<String> args, Map<String, String> env) {
    Diagnostics diag = new Diagnostics();
    RunOptions options;
    try {
      options = RunOptions.parse(args, env);
    } catch (UsageException e) {
      diag.accept(e.getMessage());
      System.err.println(RunOptions.USAGE);
      return Outcome.FAILURE_EXIT_CODE;
    }
    Path scratch;
    try {
      scratch = Files.createTempDirectory("vmtask");
    } catch (IOException e) {
      diag.accept("cannot create a scratch directory: " + e.getMessage());
      return Outcome.FAILURE_EXIT_CODE;
    }
    AgentSettings base = AgentSettings.fromEnv(env);
    AgentSettings settings =
        new AgentSettings(
            options.cacheDir(),
            base.cacheMaxBytes(),
            scratch,
            base.limits(),
            base.qemuBinary(),
            base.kvmDevice(),
            options.bootTimeout(),
            base.stopGrace(),
            base.artifactMaxFileBytes(),
            base.artifactMaxTotalBytes(),
            null,
            base.guestAgentBinary(),
            null);
    TaskRunner runner = new TaskRunner(settings, new FileOutputStream(FileDescriptor.out), diag);
    Signals.abortOnTermination(runner);
    Outcome o = runner.run(options.task());
    try {
      Files.deleteIfExists(scratch);
    } catch (IOException e) {
      // temp dir; the OS cleans it
    }
    if (o.reason() != Reason.Completed && o.reason() != Reason.NonZeroExit) {
      diag.accept(o.reason() + ": " + o.message());
    }
    o.artifacts()
        .forEach(
            a ->
                diag.accept(
                    "artifact "
                        + a.name()
                        + ": "
                        + a.path()
                        + " "
                        + a.sizeBytes()
                        + " bytes sha256:"
                        + a.sha256()));
    if (o.output() != null) {
      diag.accept(
          "image "
              + o.output().path()
              + " "
              + o.output().sizeBytes()
              + " bytes sha256:"
              + o.output().sha256());
    }
    diag.accept("timings " + o.timings() + ", acceleration " + o.acceleration());
    return o.exitCode();
  }
}
