package dev.vmtask.agent.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The body of an HTTP(S) image download as one stream that survives broken transfers: a failed
 * connect, a retryable status (408, 429, 5xx) or a body cut short is retried with backoff, and a
 * transfer already under way is resumed with {@code Range} (checked against {@code Content-Range},
 * guarded by {@code If-Range}). Redirects are followed by hand so that the caller's headers
 * (credentials) are never sent to another origin, and https never drops to http.
 */
final class HttpImageStream extends InputStream {
  private static final Pattern CONTENT_RANGE = Pattern.compile("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$");
  private static final int MAX_REDIRECTS = 5;
  private static final int CONNECT_TIMEOUT_MS = 30_000;
  private static final int READ_TIMEOUT_MS = 60_000;

  private final URI url;
  private final Map<String, String> headers;
  private final RetryPolicy policy;
  private HttpURLConnection connection;
  private InputStream body;
  private long position;
  private long length = -1;
  private String etag;
  private String lastModified;
  private boolean notModified;
  private int failures;
  private IOException lastFailure;

  private HttpImageStream(URI url, Map<String, String> headers, RetryPolicy policy) {
    this.url = url;
    this.headers = headers;
    this.policy = policy;
  }

  /**
   * Starts the download. With {@code ifNoneMatch} set, a {@code 304} answer makes {@link
   * #notModified()} true and the stream empty.
   */
  static HttpImageStream open(
      URI url, Map<String, String> headers, RetryPolicy policy, String ifNoneMatch)
      throws ImageFetchException {
    HttpImageStream s = new HttpImageStream(url, headers, policy);
    s.connectWithRetries(ifNoneMatch);
    return s;
  }

  /** Content length in bytes, or -1 if the server did not say. */
  long length() {
    return length;
  }

  String etag() {
    return etag;
  }

  boolean notModified() {
    return notModified;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (true) {
      if (body == null) {
        if (notModified) {
          return -1;
        }
        connectWithRetries(null);
      }
      try {
        int n = body.read(b, off, len);
        if (n > 0) {
          position += n;
          failures = 0;
          return n;
        }
        if (n < 0 && (length < 0 || position >= length)) {
          return -1;
        }
        if (n < 0) {
          throw new IOException("connection closed at byte " + position + " of " + length);
        }
        return n;
      } catch (IOException e) {
        disconnect();
        recordFailure(e);
      }
    }
  }

  @Override
  public void close() {
    disconnect();
  }

  private void disconnect() {
    if (connection != null) {
      connection.disconnect();
    }
    connection = null;
    body = null;
  }

  private void recordFailure(IOException e) throws ImageFetchException {
    lastFailure = e;
    failures++;
    if (failures >= policy.maxAttempts()) {
      throw new ImageFetchException(
          "fetching "
              + ImageSource.redact(url)
              + " failed after "
              + failures
              + " attempts: "
              + e.getMessage(),
          false,
          e);
    }
    try {
      Thread.sleep(
          policy.delayBefore(failures + 1, ThreadLocalRandom.current().nextDouble()).toMillis());
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new ImageFetchException(
          "fetching " + ImageSource.redact(url) + " interrupted", true, ie);
    }
  }

  private void connectWithRetries(String ifNoneMatch) throws ImageFetchException {
    while (true) {
      try {
        connect(ifNoneMatch);
        return;
      } catch (ImageFetchException e) {
        throw e;
      } catch (IOException e) {
        disconnect();
        recordFailure(e);
      }
    }
  }

  private void connect(String ifNoneMatch) throws IOException {
    URI target = url;
    for (int hop = 0; ; hop++) {
      HttpURLConnection c = (HttpURLConnection) target.toURL().openConnection();
      c.setInstanceFollowRedirects(false);
      c.setConnectTimeout(CONNECT_TIMEOUT_MS);
      c.setReadTimeout(READ_TIMEOUT_MS);
      c.setRequestProperty("Accept-Encoding", "identity");
      if (sameOrigin(target, url)) {
        headers.forEach(c::setRequestProperty);
      }
      if (position > 0) {
        c.setRequestProperty("Range", "bytes=" + position + "-");
        String validator = etag != null ? etag : lastModified;
        if (validator != null) {
          c.setRequestProperty("If-Range", validator);
        }
      } else if (ifNoneMatch != null) {
        c.setRequestProperty("If-None-Match", ifNoneMatch);
      }
      connection = c;
      int status = c.getResponseCode();
      if (status >= 300 && status < 400 && status != 304) {
        String location = c.getHeaderField("Location");
        disconnect();
        if (location == null || hop >= MAX_REDIRECTS) {
          throw permanent(status, "redirect without Location or more than " + MAX_REDIRECTS);
        }
        URI next = target.resolve(location);
        if ("https".equalsIgnoreCase(target.getScheme())
            && !"https".equalsIgnoreCase(next.getScheme())) {
          throw permanent(status, "redirect from https to " + next.getScheme() + " refused");
        }
        target = next;
        continue;
      }
      accept(c, status);
      return;
    }
  }

  private void accept(HttpURLConnection c, int status) throws IOException {
    if (status == 304 && position == 0) {
      notModified = true;
      disconnect();
      return;
    }
    if (status == 408 || status == 429 || status >= 500) {
      String detail = errorBody(c);
      throw new IOException("HTTP " + status + detail);
    }
    if (status >= 400 || (status != 200 && status != 206)) {
      throw permanent(status, errorBody(c));
    }
    if (status == 206) {
      checkContentRange(c.getHeaderField("Content-Range"));
    } else {
      long announced = c.getContentLengthLong();
      if (position > 0 && length >= 0 && announced >= 0 && announced != length) {
        throw new ImageFetchException(
            "the image at " + ImageSource.redact(url) + " changed during the download",
            false,
            null);
      }
      if (announced >= 0) {
        length = announced;
      }
    }
    if (position == 0) {
      etag = c.getHeaderField("ETag");
      lastModified = c.getHeaderField("Last-Modified");
    }
    body = c.getInputStream();
    if (status == 200 && position > 0) {
      // The server ignored Range: drop what was already delivered (and digested).
      body.skipNBytes(position);
    }
  }

  private void checkContentRange(String header) throws IOException {
    Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.trim());
    if (m == null || !m.matches()) {
      throw new IOException("206 response with an unusable Content-Range: " + header);
    }
    long start = Long.parseLong(m.group(1));
    long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
    if (start != position || (length >= 0 && total >= 0 && total != length)) {
      throw new IOException(
          "206 response for the wrong range: " + header + " (wanted from byte " + position + ")");
    }
    if (length < 0) {
      length = total;
    }
  }

  private ImageFetchException permanent(int status, String detail) {
    return new ImageFetchException(
        "fetching " + ImageSource.redact(url) + " failed: HTTP " + status + detail, true, null);
  }

  /** At most 200 printable characters of an error body (taskcluster read 8 KiB). */
  private static String errorBody(HttpURLConnection c) {
    try (InputStream err = c.getErrorStream()) {
      if (err == null) {
        return "";
      }
      String text =
          new String(err.readNBytes(8192), UTF_8).replaceAll("[^\\x20-\\x7e]+", " ").trim();
      return text.isEmpty()
          ? ""
          : ": " + (text.length() > 200 ? text.substring(0, 200) + "…" : text);
    } catch (IOException e) {
      return "";
    }
  }

  private static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(a.getScheme(), b.getScheme())
        && Objects.equals(a.getHost(), b.getHost())
        && a.getPort() == b.getPort();
  }

  IOException lastFailure() {
    return lastFailure;
  }
}
