package dev.vmtask.cli;

import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code kubectl vmtask}: the log, outcome, serial console, display and shells of
 * VirtualMachineTasks. kubectl runs it as the plugin {@code kubectl-vmtask} on the PATH; {@link
 * #run} also runs it inside another JVM.
 */
public final class VmtaskCli {
  static final String USAGE =
      """
      kubectl vmtask: work with the VMs of VirtualMachineTasks

      Usage: kubectl vmtask COMMAND [flags]

      Commands:
        logs TASK [-f|--follow] [--all]
            The guest command's output in the log of the task's current or last pod.
            -f follows it (waiting for a pod if there is none yet) until the pod's container
            ends; --all keeps the agent's own lines (vmtask-agent: ...).
        wait TASK [--timeout DURATION]
            Waits until the task has Succeeded or Failed, prints how it ended and exits with the
            guest command's exit code (else 0 for Succeeded, 1 for Failed; 124 on timeout).
        console TASK [--timeout DURATION]
            The VM's serial console. Ctrl-] ends the session.
        vnc TASK [--address 127.0.0.1] [--port 5900] [--timeout DURATION]
            Serves the VM's display to local VNC viewers (--port 0: any free port).
        shell TASK [-t|--tty] [-T|--no-tty] [-- COMMAND ARGS...]
            A shell (or COMMAND) in the guest; exits with its exit status. A terminal is used
            when the plugin runs on one, unless -T; -t forces one.
        get [TASK]
            Tasks of the namespace: phase, reason, exit code, attempts, node, age.
        help
            This text.

      Flags for every command:
        -n, --namespace NS     the task's namespace (default: the context's, else default)
        --context CTX          the kubeconfig context to use
        --kubeconfig FILE      the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)

      DURATION: 90s, 10m, 1h30m. The interactive commands reach the agent through the pod's
      port-forward, so they need create on pods/portforward in the task's namespace.
      """;

  private VmtaskCli() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err, System.getenv()));
  }

  /**
   * Runs one command line and returns the exit code; {@code env} stands for the process environment
   * (KUBECONFIG, HOME, TERM, VMTASK_INTERACTIVE_PORT).
   */
  public static int run(
      String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
    try {
      CliArgs parsed = CliArgs.parse(args);
      if (parsed.wantsHelp()) {
        out.print(USAGE);
        out.flush();
        return 0;
      }
      return dispatch(parsed, in, out, err, env);
    } catch (CliException e) {
      err.println("error: " + e.getMessage());
      if (e.exitCode() == CliException.USAGE) {
        err.println("Run 'kubectl vmtask help' for usage.");
      }
      debug(e, err, env);
      return e.exitCode();
    } catch (IOException | RuntimeException e) {
      err.println("error: " + ErrorMessages.of(e));
      debug(e, err, env);
      return 1;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** VMTASK_CLI_DEBUG=1 shows where an error came from. */
  private static void debug(Exception e, PrintStream err, Map<String, String> env) {
    if (env.containsKey("VMTASK_CLI_DEBUG")
        && (e.getCause() != null || !(e instanceof CliException))) {
      e.printStackTrace(err);
    }
  }

  private static int dispatch(
      CliArgs args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env)
      throws IOException {
    String command = args.command();
    switch (command) {
      case "logs" -> args.allowOnly(Set.of("follow", "all"));
      case "wait", "console" -> args.allowOnly(Set.of("timeout"));
      case "vnc" -> args.allowOnly(Set.of("address", "port", "timeout"));
      case "shell" -> args.allowOnly(Set.of("tty", "no-tty", "--"));
      case "get" -> args.allowOnly(Set.of());
      default -> {
        err.println("error: unknown command \"" + command + "\"");
        err.print(USAGE);
        return CliException.USAGE;
      }
    }
    if (command.equals("get")) {
      if (args.arguments().size() > 1) {
        throw CliException.usage("get takes at most one task name");
      }
    } else {
      args.taskName();
    }
    Duration timeout = args.duration("timeout");
    try (Cluster cluster = Cluster.connect(args, env)) {
      try {
        return switch (command) {
          case "logs" -> logs(cluster, args, out);
          case "wait" -> waitFor(cluster, args.taskName(), timeout, out);
          case "console" -> console(cluster, args.taskName(), timeout, in, out, err, env);
          case "vnc" -> vnc(cluster, args, timeout, out, err, env);
          case "shell" -> shell(cluster, args, in, out, err, env);
          default -> get(cluster, args, out, err);
        };
      } catch (KubernetesClientException e) {
        throw new CliException(
            ErrorMessages.of(e, String.valueOf(cluster.client().getMasterUrl())), e);
      }
    }
  }

  private static int logs(Cluster cluster, CliArgs args, PrintStream out) throws IOException {
    new TaskLogs(cluster, out).show(args.taskName(), args.has("follow"), args.has("all"));
    return 0;
  }

  private static int waitFor(Cluster cluster, String name, Duration timeout, PrintStream out) {
    TaskOutcome outcome = new TaskWaiter(cluster).await(name, timeout);
    out.println(outcome.line());
    return outcome.exitCode();
  }

  private static int console(
      Cluster cluster,
      String name,
      Duration timeout,
      InputStream in,
      PrintStream out,
      PrintStream err,
      Map<String, String> env) {
    boolean onTerminal = RawTerminal.isTerminal(in);
    InteractiveChannel.Connection connection =
        InteractiveChannel.open(
            transport(cluster, name, TaskLocator.VM_STARTING, env).get(),
            InteractiveChannel.request(InteractiveChannel.Mode.CONSOLE, null));
    ConsoleSession session = new ConsoleSession(connection, in, out);
    if (!onTerminal) {
      session.run(timeout);
      return 0;
    }
    err.println("Connected to the console of " + name + "; escape with Ctrl-]");
    ConsoleSession.Ending ending;
    try (RawTerminal raw = RawTerminal.enter()) {
      ending = session.run(timeout);
    }
    if (ending == ConsoleSession.Ending.CLOSED) {
      err.println();
      err.println("The console of " + name + " closed.");
    } else {
      err.println();
    }
    return 0;
  }

  private static int vnc(
      Cluster cluster,
      CliArgs args,
      Duration timeout,
      PrintStream out,
      PrintStream err,
      Map<String, String> env) {
    String name = args.taskName();
    String address = args.value("address") == null ? "127.0.0.1" : args.value("address");
    int port = args.port("port", 5900);
    Supplier<Transport> transports = transport(cluster, name, TaskLocator.VM_STARTING, env);
    // Refuse at once when the VM is not there, rather than at the first viewer.
    new TaskLocator(cluster).runningPod(name, TaskLocator.VM_STARTING);
    return new VncProxy(name, transports, out, err).run(address, port, timeout);
  }

  private static int shell(
      Cluster cluster,
      CliArgs args,
      InputStream in,
      PrintStream out,
      PrintStream err,
      Map<String, String> env) {
    String name = args.taskName();
    List<String> command = args.afterDashes() == null ? List.of() : args.afterDashes();
    boolean onTerminal = RawTerminal.isTerminal(in);
    boolean tty = args.tty(onTerminal);
    int[] size = tty ? RawTerminal.size() : new int[] {24, 80};
    String term = env.getOrDefault("TERM", "xterm-256color");
    if (term.isBlank() || term.equals("dumb")) {
      term = "xterm-256color";
    }
    String request =
        InteractiveChannel.request(
            InteractiveChannel.Mode.SHELL,
            ShellSession.request(command, tty, size[0], size[1], term));
    InteractiveChannel.Connection connection =
        InteractiveChannel.open(
            transport(cluster, name, TaskLocator.VM_RUNNING, env).get(), request);
    ShellSession session = new ShellSession(connection, in, out, err);
    if (!(tty && onTerminal)) {
      return session.run();
    }
    RawTerminal.onResize(
        () -> {
          int[] now = RawTerminal.size();
          session.resize(now[0], now[1]);
        });
    try (RawTerminal raw = RawTerminal.enter()) {
      return session.run();
    }
  }

  private static int get(Cluster cluster, CliArgs args, PrintStream out, PrintStream err) {
    List<VirtualMachineTask> tasks;
    if (args.arguments().isEmpty()) {
      tasks =
          cluster
              .client()
              .resources(VirtualMachineTask.class)
              .inNamespace(cluster.namespace())
              .list()
              .getItems()
              .stream()
              .sorted(Comparator.comparing(t -> t.getMetadata().getName()))
              .toList();
      if (tasks.isEmpty()) {
        err.println("No virtualmachinetasks found in " + cluster.namespace() + " namespace.");
        return 0;
      }
    } else {
      tasks = List.of(new TaskLocator(cluster).task(args.arguments().get(0)));
    }
    out.print(TaskTable.render(tasks, Instant.now()));
    return 0;
  }

  /** Port-forwards to the task's running pod, found anew on every call. */
  private static Supplier<Transport> transport(
      Cluster cluster, String name, Set<TaskPhase> phases, Map<String, String> env) {
    int port = InteractiveChannel.port(env);
    TaskLocator locator = new TaskLocator(cluster);
    return () ->
        new PodPortForward(
            cluster.client(), cluster.namespace(), locator.runningPod(name, phases), port);
  }
}
