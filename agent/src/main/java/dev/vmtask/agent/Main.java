package dev.vmtask.agent;

import dev.vmtask.agent.cli.PodCommand;
import dev.vmtask.agent.cli.RunCommand;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** {@code vmtask-agent pod | fetch | run}: see docs/agent-contract.md and agent/README.md. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    int code =
        switch (args.length == 0 ? "" : args[0]) {
          case "run" -> RunCommand.main(rest, env);
          case "pod" -> PodCommand.main(false, env);
          case "fetch" -> PodCommand.main(true, env);
          default -> {
            System.err.println(
                "usage: vmtask-agent pod | fetch | run [options] IMAGE -- COMMAND...");
            yield 2;
          }
        };
    System.out.flush();
    // halt, not exit: no shutdown hook or stray thread may change the code after the outcome.
    Runtime.getRuntime().halt(code);
  }
}
