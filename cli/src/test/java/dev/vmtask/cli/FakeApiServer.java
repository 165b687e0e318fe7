package dev.vmtask.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An API server for tests that answers fixed JSON by path (404 Status otherwise), and a kubeconfig
 * that points at it. Enough for reads and for a refused port-forward upgrade.
 */
final class FakeApiServer implements AutoCloseable {
  private record Answer(int code, String body) {}

  private final HttpServer server;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();

  FakeApiServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * Answers requests for {@code path}; a path ending in {@code ?watch} answers only watches (query
   * watch=true), others everything else.
   */
  FakeApiServer answer(String path, int code, String body) {
    answers.put(path, new Answer(code, body));
    return this;
  }

  static String status(int code, String reason, String message) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\""
        + message.replace("\"", "\\\"")
        + "\",\"reason\":\""
        + reason
        + "\",\"code\":"
        + code
        + "}";
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A kubeconfig whose current context "fake" has namespace ns1; context "other" has ns2. */
  Path kubeconfig(Path dir) throws IOException {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: %s
        users:
        - name: fake
          user:
            token: fake-token
        contexts:
        - name: fake
          context:
            cluster: fake
            user: fake
            namespace: ns1
        - name: other
          context:
            cluster: fake
            user: fake
            namespace: ns2
        current-context: fake
        """
            .formatted(url());
    Path file = dir.resolve("kubeconfig");
    Files.writeString(file, yaml);
    return file;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String query = exchange.getRequestURI().getQuery();
    String path =
        exchange.getRequestURI().getPath()
            + (query != null && query.contains("watch=true") ? "?watch" : "");
    requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
    Answer answer =
        answers.getOrDefault(path, new Answer(404, status(404, "NotFound", path + " not found")));
    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(answer.code(), body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
