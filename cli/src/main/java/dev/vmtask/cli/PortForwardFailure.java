package dev.vmtask.cli;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import java.util.Collection;

/**
 * Turns what the client collected on a failed port-forward into one sentence. The API server
 * answers the websocket upgrade of {@code pods/portforward}: a refusal (403 without {@code create}
 * on {@code pods/portforward}) reaches fabric8 as a {@link WebSocketHandshakeException} carrying
 * the HTTP code; the kubelet reports a port nobody listens on as a message on the error channel.
 */
final class PortForwardFailure {
  /** How fabric8 prefixes a message of the port-forward's error channel. */
  static final String REMOTE_ERROR = "Received an error from the remote socket";

  private PortForwardFailure() {}

  /** The sentence for {@code throwables}, or null when there are none. */
  static String describe(
      String namespace, String pod, int port, Collection<? extends Throwable> throwables) {
    String target = "pod " + namespace + "/" + pod;
    String fallback = null;
    for (Throwable t : throwables) {
      int code = httpCode(t);
      if (code > 0) {
        String detail = serverMessage(t);
        String suffix = detail == null ? "" : ": " + detail;
        return switch (code) {
          case 403 ->
              "not allowed to port-forward to "
                  + target
                  + " (needs create on pods/portforward)"
                  + (detail == null ? ": HTTP 403 Forbidden" : suffix);
          case 401 ->
              "the API server did not accept the credentials (HTTP 401) for a port-forward to "
                  + target
                  + suffix;
          case 404 -> target + " not found (HTTP 404 on its port-forward)" + suffix;
          default ->
              "the API server refused the port-forward to "
                  + target
                  + " (HTTP "
                  + code
                  + ")"
                  + suffix;
        };
      }
      String message = innermostMessage(t);
      if (message != null && message.startsWith(REMOTE_ERROR)) {
        return "cannot reach the agent's interactive port "
            + port
            + " in "
            + target
            + ": "
            + message.substring(REMOTE_ERROR.length()).trim();
      }
      if (fallback == null) {
        fallback = "port-forward to " + target + " failed: " + message;
      }
    }
    return fallback;
  }

  /** The HTTP code of a refused upgrade or request anywhere in the cause chain, else 0. */
  static int httpCode(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof WebSocketHandshakeException w && w.getResponse() != null) {
        return w.getResponse().code();
      }
      if (c instanceof java.net.http.WebSocketHandshakeException w && w.getResponse() != null) {
        return w.getResponse().statusCode();
      }
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode();
      }
    }
    return 0;
  }

  /**
   * The API server's own words, when they travelled along: the Status message of a client
   * exception, or of the upgrade response's body where the HTTP client kept it.
   */
  static String serverMessage(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k
          && k.getStatus() != null
          && k.getStatus().getMessage() != null
          && !k.getStatus().getMessage().isBlank()) {
        return k.getStatus().getMessage();
      }
      if (c instanceof java.net.http.WebSocketHandshakeException w && w.getResponse() != null) {
        String message = ErrorMessages.statusMessage(w.getResponse().body());
        if (message != null) {
          return message;
        }
      }
    }
    return null;
  }

  private static String innermostMessage(Throwable t) {
    String message = t.toString();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        message = c.getMessage();
        if (message.startsWith(REMOTE_ERROR)) {
          return message;
        }
      }
    }
    return message;
  }
}
