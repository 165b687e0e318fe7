package dev.vmtask.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of {@code kubectl vmtask}: kubectl hands a plugin its arguments verbatim, so the
 * connection flags ({@code -n/--namespace}, {@code --context}, {@code --kubeconfig}) are parsed
 * here, anywhere on the line, next to the command, its arguments and flags, and what follows {@code
 * --} (the shell's command, taken as is).
 */
final class CliArgs {
  private static final Map<String, String> SHORT =
      Map.of("-n", "namespace", "-f", "follow", "-t", "tty", "-T", "no-tty", "-h", "help");
  private static final Set<String> WITH_VALUE =
      Set.of("namespace", "context", "kubeconfig", "timeout", "address", "port");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  private final String namespace;
  private final String context;
  private final String kubeconfig;
  private final String command;
  private final List<String> arguments;
  private final Map<String, String> flags;
  private final List<String> afterDashes;

  private CliArgs(
      String namespace,
      String context,
      String kubeconfig,
      String command,
      List<String> arguments,
      Map<String, String> flags,
      List<String> afterDashes) {
    this.namespace = namespace;
    this.context = context;
    this.kubeconfig = kubeconfig;
    this.command = command;
    this.arguments = arguments;
    this.flags = flags;
    this.afterDashes = afterDashes;
  }

  /** Parses {@code args}; a flag without its value is a usage error. */
  static CliArgs parse(String... args) {
    String namespace = null;
    String context = null;
    String kubeconfig = null;
    String command = null;
    List<String> arguments = new ArrayList<>();
    Map<String, String> flags = new LinkedHashMap<>();
    List<String> afterDashes = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        afterDashes = List.of(args).subList(i + 1, args.length);
        break;
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        if (command == null) {
          command = arg;
        } else {
          arguments.add(arg);
        }
        continue;
      }
      String name;
      String value = null;
      if (arg.startsWith("--")) {
        name = arg.substring(2);
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        }
      } else {
        name = SHORT.get(arg);
        if (name == null) {
          throw CliException.usage("unknown flag " + arg);
        }
      }
      if (WITH_VALUE.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw CliException.usage("flag " + arg + " needs a value");
          }
          value = args[++i];
        }
      } else if (value != null) {
        throw CliException.usage("flag --" + name + " takes no value");
      } else {
        value = "";
      }
      switch (name) {
        case "namespace" -> namespace = value;
        case "context" -> context = value;
        case "kubeconfig" -> kubeconfig = value;
        default -> flags.put(name, value);
      }
    }
    return new CliArgs(
        namespace, context, kubeconfig, command, List.copyOf(arguments), flags, afterDashes);
  }

  /** From {@code -n/--namespace}, or null: then the kubeconfig context's namespace applies. */
  String namespace() {
    return namespace;
  }

  String context() {
    return context;
  }

  String kubeconfig() {
    return kubeconfig;
  }

  /** The first word that is not a flag, or null. */
  String command() {
    return command;
  }

  /** The words after the command that are not flags. */
  List<String> arguments() {
    return arguments;
  }

  /** What follows {@code --}, or null when there is no {@code --}. */
  List<String> afterDashes() {
    return afterDashes;
  }

  boolean has(String flag) {
    return flags.containsKey(flag);
  }

  /** A flag's value, or null when it is absent. */
  String value(String flag) {
    return flags.get(flag);
  }

  boolean wantsHelp() {
    return command == null || command.equals("help") || has("help");
  }

  /** Refuses flags the command does not know, so a typo is not silently ignored. */
  void allowOnly(Set<String> known) {
    for (String flag : flags.keySet()) {
      if (!known.contains(flag)) {
        throw CliException.usage("unknown flag --" + flag + " for " + command);
      }
    }
    if (afterDashes != null && !known.contains("--")) {
      throw CliException.usage(command + " takes no arguments after --");
    }
  }

  /** The one task name the command needs. */
  String taskName() {
    if (arguments.isEmpty()) {
      throw CliException.usage(
          command + " needs the name of a task: kubectl vmtask " + command + " TASK");
    }
    if (arguments.size() > 1) {
      throw CliException.usage(command + " takes one task name, got " + arguments);
    }
    return arguments.get(0);
  }

  /**
   * {@code --timeout} and the like: 90s, 10m, 1h30m, 500ms; a bare number is seconds. Null when
   * absent.
   */
  Duration duration(String flag) {
    String v = value(flag);
    return v == null ? null : parseDuration(flag, v);
  }

  static Duration parseDuration(String flag, String v) {
    if (v.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    Matcher m = DURATION_PART.matcher(v);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      end = m.end();
    }
    if (end == 0 || end != v.length()) {
      throw CliException.usage("--" + flag + " " + v + " is not a duration like 90s, 10m or 1h30m");
    }
    return total;
  }

  /** A duration as {@link #parseDuration} reads it: 1h30m, 90s becomes 1m30s, 500ms. */
  static String format(Duration d) {
    StringBuilder s = new StringBuilder();
    if (d.toHours() > 0) {
      s.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      s.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      s.append(d.toSecondsPart()).append('s');
    }
    if (d.toMillisPart() > 0) {
      s.append(d.toMillisPart()).append("ms");
    }
    return s.isEmpty() ? "0s" : s.toString();
  }

  /** A port number flag, {@code fallback} when absent. */
  int port(String flag, int fallback) {
    String v = value(flag);
    if (v == null) {
      return fallback;
    }
    try {
      int port = Integer.parseInt(v);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw CliException.usage("--" + flag + " " + v + " is not a port number (0-65535)");
  }

  /**
   * Whether the shell gets a terminal: {@code -t} forces one, {@code -T} refuses one, else one when
   * the plugin itself runs on a terminal.
   */
  boolean tty(boolean onTerminal) {
    if (has("tty") && has("no-tty")) {
      throw CliException.usage("--tty and --no-tty contradict each other");
    }
    if (has("tty")) {
      return true;
    }
    if (has("no-tty")) {
      return false;
    }
    return onTerminal;
  }
}
