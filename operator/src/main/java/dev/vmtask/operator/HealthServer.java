package dev.vmtask.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code /healthz} (the process serves), {@code /readyz} (the operator started and every informer
 * is healthy, from JOSDK's runtime info) and {@code /metrics} (Prometheus text).
 */
public final class HealthServer implements AutoCloseable {
  private final HttpServer server;

  public HealthServer(int port, Operator operator, PrometheusMeterRegistry registry)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "vmtask-health");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/healthz", x -> reply(x, 200, "ok\n", "text/plain"));
    server.createContext(
        "/readyz",
        x -> {
          String problem = readinessProblem(operator);
          reply(
              x,
              problem == null ? 200 : 503,
              problem == null ? "ok\n" : "not ready: " + problem + "\n",
              "text/plain");
        });
    server.createContext(
        "/metrics",
        x -> reply(x, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
  }

  /** Null when ready, else why not. */
  private static String readinessProblem(Operator operator) {
    var info = operator.getRuntimeInfo();
    if (!info.isStarted()) {
      return "operator not started (or not the leader)";
    }
    try {
      return info.allEventSourcesAreHealthy() ? null : "unhealthy " + info.unhealthyEventSources();
    } catch (RuntimeException e) { // controllers still starting
      return e.toString();
    }
  }

  public HealthServer start() {
    server.start();
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange exchange, int code, String body, String type)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(code, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
