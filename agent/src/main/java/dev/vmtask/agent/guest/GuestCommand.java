package dev.vmtask.agent.guest;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the guest runs: the argv, the environment it adds to its own, and the input files it copies
 * in first.
 */
public record GuestCommand(List<String> argv, Map<String, String> env, List<GuestInput> inputs) {
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public GuestCommand {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("the command is empty");
    }
    for (String name : env.keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "environment variable name '" + name + "' must match " + ENV_NAME.pattern());
      }
    }
    argv = List.copyOf(argv);
    env = new TreeMap<>(env); // sorted: stable output for the guest
    inputs = List.copyOf(inputs);
  }

  public GuestCommand(List<String> argv, Map<String, String> env) {
    this(argv, env, List.of());
  }

  public GuestCommand withInputs(List<GuestInput> measured) {
    return new GuestCommand(argv, env, measured);
  }

  /** A POSIX sh fragment: exports the env and sets "$@" to the argv. */
  public String toShell() {
    StringBuilder s = new StringBuilder();
    env.forEach(
        (k, v) ->
            s.append("export ").append(k).append('=').append(ShellQuote.quote(v)).append('\n'));
    s.append("set --");
    for (String arg : argv) {
      s.append(' ').append(ShellQuote.quote(arg));
    }
    return s.append('\n').toString();
  }
}
