package dev.vmtask.agent.guest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Shell sessions in the guest (taskcluster's interactive shell). A {@code shell} action asks the
 * guest tools to start one; they answer by opening two streams, {@code GET
 * /engine/v1/shell/input?id=} (frames to the guest, as the response body) and {@code POST
 * /engine/v1/shell/output?id=} (frames from the guest, as the request body), which this pairs into
 * one {@link Session}. Frames pass through unread: the guest tools and the client each check them.
 */
public final class GuestShells {
  /** Each session holds two of the metadata service's threads. */
  public static final int MAX_SESSIONS = 4;

  static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);

  private final GuestActions actions;
  private final Duration openTimeout;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Semaphore slots = new Semaphore(MAX_SESSIONS);

  GuestShells(GuestActions actions, Duration openTimeout) {
    this.actions = actions;
    this.openTimeout = openTimeout;
  }

  /**
   * Starts a session running {@code request} (command, tty, rows, cols, term: checked by the
   * caller) and returns once the guest opened both streams.
   */
  public Session open(ObjectNode request) throws IOException, InterruptedException {
    if (!slots.tryAcquire()) {
      throw new GuestActionException(
          "at most " + MAX_SESSIONS + " shell sessions may be open at once");
    }
    Session s = new Session(UUID.randomUUID().toString());
    sessions.put(s.id, s);
    boolean opened = false;
    try {
      actions.hand(new GuestAction(s.id, "shell", "", request));
      CompletableFuture.allOf(s.input, s.output).get(openTimeout.toMillis(), TimeUnit.MILLISECONDS);
      opened = true;
      return s;
    } catch (TimeoutException e) {
      throw new GuestActionException(
          "the guest took the shell action but did not open its streams within "
              + openTimeout.toSeconds()
              + " s (do its guest tools support shells?)");
    } catch (ExecutionException | RuntimeException e) {
      throw new GuestActionException("shell failed: " + e.getMessage(), e);
    } finally {
      if (!opened) {
        s.close();
      }
    }
  }

  /** The session {@code id} names, if it is waiting for its streams or open. */
  Session find(String id) {
    return id == null ? null : sessions.get(id);
  }

  /** One shell session: frames to and from the guest, until either side closes. */
  public final class Session implements Closeable {
    private final String id;
    private final CompletableFuture<OutputStream> input = new CompletableFuture<>();
    private final CompletableFuture<InputStream> output = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private Session(String id) {
      this.id = id;
    }

    /** Frames to the guest; flush after each, the guest reads them as they come. */
    public OutputStream toGuest() {
      return input.join();
    }

    /** Frames from the guest; the stream ends when the guest ends the session. */
    public InputStream fromGuest() {
      return output.join();
    }

    /** Serves the guest's input stream until the session closes; false if it already had one. */
    boolean serveInput(OutputStream responseBody) throws InterruptedException {
      return serve(input, responseBody);
    }

    /** Serves the guest's output stream until the session closes; false if it already had one. */
    boolean serveOutput(InputStream requestBody) throws InterruptedException {
      return serve(output, requestBody);
    }

    private <T> boolean serve(CompletableFuture<T> slot, T stream) throws InterruptedException {
      if (closed.isDone() || !slot.complete(stream)) {
        return false;
      }
      try {
        closed.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("closing a session cannot fail", e);
      }
      return true;
    }

    /** Ends the session: both streams end, and the guest tools hang up the command. */
    @Override
    public void close() {
      if (closed.complete(null)) {
        sessions.remove(id);
        slots.release();
      }
    }
  }
}
