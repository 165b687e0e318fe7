package dev.vmtask.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves VM image files to the cluster's pods over HTTP from the test JVM, counting the requests
 * per file. It listens on every interface; pods reach it at the node's address through the CNI
 * bridge.
 */
final class ImageServer implements AutoCloseable {
  private final HttpServer server;
  private final String host;
  private final Map<String, Path> files = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> authorizations = new ConcurrentHashMap<>();
  private final Map<String, Integer> bytesPerSecond = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

  private ImageServer(HttpServer server, String host) {
    this.server = server;
    this.host = host;
  }

  /** Starts a server whose URLs name {@code host}, the address pods use to reach this machine. */
  static ImageServer start(String host) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 16);
      ImageServer images = new ImageServer(server, host);
      server.createContext("/", images::handle);
      server.setExecutor(Executors.newFixedThreadPool(4));
      server.start();
      return images;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the image server", e);
    }
  }

  /** Serves {@code file} at {@code /<name>} and returns its URL. */
  String serve(String name, Path file) {
    files.put("/" + name, file);
    requests.putIfAbsent("/" + name, new AtomicInteger());
    return url(name);
  }

  /**
   * Serves {@code file} at {@code /<name>} only to requests whose {@code Authorization} header is
   * one of {@code accepted}; others get 403.
   */
  String serveWithAuthorization(String name, Path file, Set<String> accepted) {
    authorizations.put("/" + name, Set.copyOf(accepted));
    return serve(name, file);
  }

  /** Serves {@code file} at {@code /<name>} at about {@code rate} bytes a second. */
  String serveSlowly(String name, Path file, int rate) {
    bytesPerSecond.put("/" + name, rate);
    return serve(name, file);
  }

  /** How many requests to {@code /<name>} were refused for their Authorization header. */
  int refused(String name) {
    AtomicInteger count = refused.get("/" + name);
    return count == null ? 0 : count.get();
  }

  String url(String name) {
    return "http://" + host + ":" + server.getAddress().getPort() + "/" + name;
  }

  /** How many GET requests reached {@code /<name>} so far. */
  int requests(String name) {
    AtomicInteger count = requests.get("/" + name);
    return count == null ? 0 : count.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Path file = files.get(path);
      if (file == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(Files.size(file)));
        exchange.sendResponseHeaders(exchange.getRequestMethod().equals("HEAD") ? 200 : 405, -1);
        return;
      }
      Set<String> accepted = authorizations.get(path);
      if (accepted != null
          && !accepted.contains(exchange.getRequestHeaders().getFirst("Authorization"))) {
        refused.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        exchange.sendResponseHeaders(403, -1);
        return;
      }
      requests.get(path).incrementAndGet();
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, Files.size(file));
      try (OutputStream body = exchange.getResponseBody()) {
        Integer rate = bytesPerSecond.get(path);
        if (rate == null) {
          Files.copy(file, body);
        } else {
          copySlowly(file, body, rate);
        }
      }
    }
  }

  private static void copySlowly(Path file, OutputStream body, int rate) throws IOException {
    byte[] chunk = new byte[Math.max(1, rate / 10)];
    try (var in = Files.newInputStream(file)) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        body.write(chunk, 0, n);
        body.flush();
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
