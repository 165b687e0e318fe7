package dev.vmtask.agent.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The guest's view of the host: taskcluster's {@code /engine/v1/*} metadata service (execute, log,
 * success/failed, poll, reply, ping), served on a loopback port that QEMU's {@code guestfwd}
 * connects to 169.254.169.254:80.
 *
 * <p>Extensions: {@code ?format=sh} on execute and poll (the same data as POSIX sh assignments, for
 * guests without a JSON parser), the {@code X-Vmtask-Exit-Code} header on success/failed and the
 * {@code X-Vmtask-Time} header on execute.
 */
public final class MetadataService implements AutoCloseable {
  public static final String EXIT_CODE_HEADER = "X-Vmtask-Exit-Code";

  /** On a failed result: why an input file could not be written (the command did not run). */
  public static final String INPUT_FAILED_HEADER = "X-Vmtask-Input-Failed";

  /** The host's clock (RFC 3339, UTC) on the execute reply: the guest agent sets its clock. */
  public static final String TIME_HEADER = "X-Vmtask-Time";

  static final Duration POLL_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  // Log streams and long polls each hold a thread; the bound keeps a hostile guest from growing
  // the agent without limit (extra connections wait in the accept queue).
  private static final int THREADS = 16;

  private final GuestCommand command;
  private final OutputStream log;
  private final GuestActions actions;
  private final GuestShells shells;
  private final Duration pollTimeout;
  private final CompletableFuture<Void> commandFetched = new CompletableFuture<>();
  private final CompletableFuture<GuestResult> result = new CompletableFuture<>();
  private final AtomicInteger openLogStreams = new AtomicInteger();
  private final ExecutorService executor;
  private final HttpServer server;

  private MetadataService(
      GuestCommand command, OutputStream log, GuestActions actions, Duration pollTimeout)
      throws IOException {
    this.command = command;
    this.log = log;
    this.actions = actions;
    this.shells = new GuestShells(actions, GuestShells.OPEN_TIMEOUT);
    this.pollTimeout = pollTimeout;
    this.executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "metadata-http");
              t.setDaemon(true);
              return t;
            });
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts serving {@code command} on an ephemeral loopback port; the guest's log goes to log. */
  public static MetadataService start(GuestCommand command, OutputStream log) throws IOException {
    return start(command, log, new GuestActions(POLL_TIMEOUT, POLL_TIMEOUT), POLL_TIMEOUT);
  }

  static MetadataService start(
      GuestCommand command, OutputStream log, GuestActions actions, Duration pollTimeout)
      throws IOException {
    return new MetadataService(command, log, actions, pollTimeout);
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Completes when the guest has fetched its command (the task is running). */
  public CompletableFuture<Void> commandFetched() {
    return commandFetched;
  }

  /** Completes when the guest reports the command's result. */
  public CompletableFuture<GuestResult> result() {
    return result;
  }

  public GuestActions actions() {
    return actions;
  }

  public GuestShells shells() {
    return shells;
  }

  /** Waits until no log stream is open (the guest sends its result after its log, but checks). */
  public boolean awaitLogsClosed(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (openLogStreams) {
      while (openLogStreams.get() > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        openLogStreams.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/engine/v1/ping" -> onlyMethod(ex, "GET", () -> send(ex, 200, "text/plain", ""));
        case "/engine/v1/execute" -> onlyMethod(ex, "GET", () -> execute(ex));
        case "/engine/v1/input" -> onlyMethod(ex, "GET", () -> input(ex));
        case "/engine/v1/log" -> onlyMethod(ex, "POST", () -> log(ex));
        case "/engine/v1/success" -> onlyMethod(ex, "PUT", () -> resolve(ex, true));
        case "/engine/v1/failed" -> onlyMethod(ex, "PUT", () -> resolve(ex, false));
        case "/engine/v1/poll" -> onlyMethod(ex, "GET", () -> poll(ex));
        case "/engine/v1/reply" -> onlyMethod(ex, "POST", () -> reply(ex));
        case "/engine/v1/shell/input" -> onlyMethod(ex, "GET", () -> shellInput(ex));
        case "/engine/v1/shell/output" -> onlyMethod(ex, "POST", () -> shellOutput(ex));
        default ->
            error(ex, 404, "NoSuchEndPoint", "no endpoint " + method + " " + path + " exists");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private interface Handler {
    void run() throws IOException, InterruptedException;
  }

  private static void onlyMethod(HttpExchange ex, String method, Handler h)
      throws IOException, InterruptedException {
    if (!ex.getRequestMethod().equals(method)) {
      error(ex, 405, "MethodNotAllowed", "only " + method + " is allowed here");
      return;
    }
    h.run();
  }

  private void execute(HttpExchange ex) throws IOException {
    String body;
    String type;
    if (wantsShell(ex) && !command.inputs().isEmpty()) {
      error(ex, 400, "InvalidRequest", "input files need the JSON form (the vmtask guest agent)");
      return;
    }
    if (wantsShell(ex)) {
      body = command.toShell();
      type = "text/x-shellscript";
    } else {
      ObjectNode o = JSON.createObjectNode();
      command.argv().forEach(o.putArray("command")::add);
      ObjectNode env = o.putObject("env");
      command.env().forEach(env::put);
      if (!command.inputs().isEmpty()) {
        var inputs = o.putArray("inputs");
        for (GuestInput in : command.inputs()) {
          inputs
              .addObject()
              .put("name", in.name())
              .put("path", in.path())
              .put("size", in.size())
              .put("sha256", in.sha256())
              .put("mode", in.mode());
        }
      }
      body = JSON.writeValueAsString(o);
      type = "application/json";
    }
    // Before the reply: whoever sees the guest's request answered also sees the task running.
    commandFetched.complete(null);
    ex.getResponseHeaders().set(TIME_HEADER, Instant.now().toString());
    send(ex, 200, type, body);
  }

  private void input(HttpExchange ex) throws IOException {
    String name = queryParameter(ex, "name");
    GuestInput in =
        command.inputs().stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
    if (in == null) {
      error(ex, 404, "ResourceNotFound", "no input is named " + name);
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    ex.sendResponseHeaders(200, in.size() == 0 ? -1 : in.size());
    if (in.size() > 0) {
      try (OutputStream out = ex.getResponseBody();
          InputStream file = java.nio.file.Files.newInputStream(in.source())) {
        // At most the measured size: the guest checks size and digest, and so sees any change.
        byte[] buf = new byte[65536];
        long left = in.size();
        for (int n; left > 0 && (n = file.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
          out.write(buf, 0, n);
          left -= n;
        }
      }
    }
  }

  private void log(HttpExchange ex) throws IOException {
    openLogStreams.incrementAndGet();
    try (InputStream in = ex.getRequestBody()) {
      byte[] buf = new byte[16384];
      for (int n; (n = in.read(buf)) > 0; ) {
        synchronized (log) {
          log.write(buf, 0, n);
          log.flush();
        }
      }
    } finally {
      synchronized (openLogStreams) {
        openLogStreams.decrementAndGet();
        openLogStreams.notifyAll();
      }
    }
    send(ex, 200, "text/plain", "");
  }

  private void resolve(HttpExchange ex, boolean success) throws IOException {
    String header = ex.getRequestHeaders().getFirst(EXIT_CODE_HEADER);
    int code = success ? 0 : 1;
    if (header != null) {
      try {
        code = Integer.parseInt(header.trim());
      } catch (NumberFormatException e) {
        code = -1;
      }
      if (code < 0 || code > 255 || (code == 0) != success) {
        error(
            ex,
            400,
            "InvalidPayload",
            EXIT_CODE_HEADER + ": " + header + " is not a " + (success ? "success" : "failure"));
        return;
      }
    }
    String inputFailure = ex.getRequestHeaders().getFirst(INPUT_FAILED_HEADER);
    if (inputFailure != null && success) {
      error(ex, 400, "InvalidPayload", INPUT_FAILED_HEADER + " comes only with a failure");
      return;
    }
    GuestResult r =
        new GuestResult(
            code,
            inputFailure == null
                ? null
                : inputFailure.substring(0, Math.min(1000, inputFailure.length())));
    if (!result.complete(r) && result.join().success() != success) {
      error(ex, 409, "ResourceConflict", "the result was already reported as " + result.join());
      return;
    }
    send(ex, 200, "text/plain", "");
  }

  private void poll(HttpExchange ex) throws IOException, InterruptedException {
    GuestAction a = actions.poll(pollTimeout);
    if (wantsShell(ex)) {
      send(ex, 200, "text/x-shellscript", a.toShell());
    } else {
      ObjectNode o = JSON.createObjectNode().put("id", a.id()).put("type", a.type());
      o.put("path", a.path());
      if (a.shell() != null) {
        o.set("shell", a.shell());
      }
      send(ex, 200, "application/json", JSON.writeValueAsString(o));
    }
  }

  private void reply(HttpExchange ex) throws IOException {
    String id = queryParameter(ex, "id");
    GuestReply r =
        new GuestReply(
            ex.getRequestHeaders().getFirst("X-Taskcluster-Worker-Error"),
            ex.getRequestHeaders().getFirst("Content-Type"),
            ex.getRequestBody());
    boolean known;
    try {
      known = actions.reply(id, r);
    } catch (IOException e) {
      error(ex, 400, "InvalidPayload", e.getMessage());
      return;
    }
    if (!known) {
      error(ex, 400, "UnknownActionId", "no pending action has id " + id);
      return;
    }
    send(ex, 200, "text/plain", "");
  }

  private void shellInput(HttpExchange ex) throws IOException, InterruptedException {
    GuestShells.Session s = shells.find(queryParameter(ex, "id"));
    if (s == null) {
      error(ex, 400, "UnknownActionId", "no shell session has that id");
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      s.serveInput(out);
    }
  }

  private void shellOutput(HttpExchange ex) throws IOException, InterruptedException {
    GuestShells.Session s = shells.find(queryParameter(ex, "id"));
    if (s == null) {
      error(ex, 400, "UnknownActionId", "no shell session has that id");
      return;
    }
    if (!s.serveOutput(ex.getRequestBody())) {
      error(ex, 409, "ResourceConflict", "the session's output stream is already open");
      return;
    }
    send(ex, 200, "text/plain", "");
  }

  private static boolean wantsShell(HttpExchange ex) {
    return "sh".equals(queryParameter(ex, "format"));
  }

  private static String queryParameter(HttpExchange ex, String name) {
    String q = ex.getRequestURI().getQuery();
    if (q == null) {
      return null;
    }
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return pair.substring(eq + 1);
      }
    }
    return null;
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    String body =
        JSON.writeValueAsString(JSON.createObjectNode().put("code", code).put("message", message));
    send(ex, status, "application/json", body);
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
