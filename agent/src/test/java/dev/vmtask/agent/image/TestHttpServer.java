package dev.vmtask.agent.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server (JDK httpserver) serving byte arrays with Range, ETag and If-None-Match
 * support, plus scripted faults per request: a status, or a body cut off after some bytes.
 */
final class TestHttpServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("^bytes=(\\d+)-$");

  /** What to do with the next request for a path. */
  sealed interface Fault {}

  record Status(int code) implements Fault {}

  record BreakAfter(long bytes) implements Fault {}

  record Redirect(String location) implements Fault {}

  private final HttpServer server;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, Queue<Fault>> faults = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();
  final List<Map<String, List<String>>> requestHeaders = new CopyOnWriteArrayList<>();
  volatile boolean rangeSupported = true;
  volatile long bytesPerSecond = 0;

  /** Bytes per write (each flushed), so clients see short reads. */
  volatile int chunkBytes = 64 * 1024;

  TestHttpServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  void serve(String path, byte[] data) {
    files.put(path, data);
  }

  void fault(String path, Fault... f) {
    faults.computeIfAbsent(path, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(f));
  }

  int gets(String path) {
    AtomicInteger n = gets.get(path);
    return n == null ? 0 : n.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    gets.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    requestHeaders.add(Map.copyOf(ex.getRequestHeaders()));
    try (ex) {
      Queue<Fault> q = faults.get(path);
      Fault fault = q == null ? null : q.poll();
      if (fault instanceof Status s) {
        byte[] body = ("scripted " + s.code()).getBytes();
        ex.sendResponseHeaders(s.code(), body.length);
        ex.getResponseBody().write(body);
        return;
      }
      if (fault instanceof Redirect r) {
        ex.getResponseHeaders().add("Location", r.location());
        ex.sendResponseHeaders(302, -1);
        return;
      }
      byte[] data = files.get(path);
      if (data == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      String etag = "\"" + Integer.toHexString(java.util.Arrays.hashCode(data)) + "\"";
      ex.getResponseHeaders().add("ETag", etag);
      if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
        ex.sendResponseHeaders(304, -1);
        return;
      }
      long start = 0;
      String range = ex.getRequestHeaders().getFirst("Range");
      String ifRange = ex.getRequestHeaders().getFirst("If-Range");
      if (rangeSupported && range != null && (ifRange == null || ifRange.equals(etag))) {
        Matcher m = RANGE.matcher(range);
        if (m.matches()) {
          start = Long.parseLong(m.group(1));
        }
      }
      long length = data.length - start;
      if (start > 0) {
        ex.getResponseHeaders()
            .add("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        ex.sendResponseHeaders(206, length);
      } else {
        ex.sendResponseHeaders(200, length);
      }
      long limit = fault instanceof BreakAfter b ? b.bytes() : length;
      OutputStream out = ex.getResponseBody();
      int chunk = chunkBytes;
      for (long off = 0; off < Math.min(limit, length); off += chunk) {
        int n = (int) Math.min(chunk, Math.min(limit, length) - off);
        out.write(data, (int) (start + off), n);
        if (chunk < 64 * 1024) {
          out.flush();
        }
        if (bytesPerSecond > 0) {
          sleep(n * 1000L / bytesPerSecond);
        }
      }
      if (limit < length) {
        out.flush();
        // Cut the connection with the body incomplete.
        throw new IOException("scripted break after " + limit + " bytes");
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
