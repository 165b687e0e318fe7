package dev.vmtask.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * One line for any failure, in the API server's own words where there are some: what follows {@code
 * error: } on stderr.
 */
final class ErrorMessages {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ErrorMessages() {}

  static String of(Throwable t) {
    return of(t, null);
  }

  /** As {@link #of(Throwable)}; {@code server} names the API server the client talks to. */
  static String of(Throwable t, String server) {
    if (t instanceof CliException) {
      return t.getMessage();
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k
          && k.getStatus() != null
          && k.getStatus().getMessage() != null
          && !k.getStatus().getMessage().isBlank()) {
        return k.getStatus().getMessage();
      }
      if (c instanceof ConnectException
          || c instanceof UnknownHostException
          || c instanceof HttpConnectTimeoutException
          || c instanceof SSLException) {
        return "cannot reach the API server"
            + (server == null ? "" : " at " + server)
            + ": "
            + messageOf(c);
      }
    }
    // The most specific message: fabric8 wraps causes in generic ones ("An error has occurred.").
    String message = null;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null && !c.getMessage().isBlank()) {
        message = c.getMessage();
      }
    }
    return message != null ? message : t.toString();
  }

  private static String messageOf(Throwable t) {
    if (t.getMessage() != null) {
      return t.getMessage();
    }
    return t instanceof ConnectException ? "connection refused" : t.getClass().getSimpleName();
  }

  /** The {@code message} of a Kubernetes Status body, or the body itself when it is short text. */
  static String statusMessage(Object body) {
    String text =
        body instanceof byte[] b
            ? new String(b, StandardCharsets.UTF_8)
            : body instanceof String s ? s : null;
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(text);
      if (node != null && node.path("message").isTextual()) {
        return node.path("message").asText();
      }
    } catch (Exception e) {
      // not JSON: use the text as it is
    }
    String line = text.strip();
    return line.length() <= 300 && !line.contains("\n") ? line : null;
  }
}
