package dev.vmtask.agent.guest;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hands actions to the guest's long poll and routes its replies back to the requester
 * (taskcluster's asyncRequest): the guest must take an action within {@code handoff} and start
 * replying within {@code replyStart}; the transfer itself is bounded by the caller's handler.
 */
public final class GuestActions {
  /** Reads a reply; runs on the HTTP thread that receives it. */
  @FunctionalInterface
  public interface ReplyHandler<T> {
    T handle(GuestReply reply) throws IOException;
  }

  private final class Pending<T> {
    final GuestAction action;
    final ReplyHandler<T> handler;
    final CompletableFuture<Void> taken = new CompletableFuture<>();
    final CompletableFuture<Void> started = new CompletableFuture<>();
    final CompletableFuture<T> done = new CompletableFuture<>();

    Pending(GuestAction action, ReplyHandler<T> handler) {
      this.action = action;
      this.handler = handler;
    }

    void handle(GuestReply reply) throws IOException {
      started.complete(null);
      try {
        done.complete(handler.handle(reply));
      } catch (IOException | RuntimeException e) {
        done.completeExceptionally(e);
        throw e;
      }
    }
  }

  private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final Map<String, Pending<?>> awaitingReply = new ConcurrentHashMap<>();
  private final Duration handoff;
  private final Duration replyStart;

  public GuestActions(Duration handoff, Duration replyStart) {
    this.handoff = handoff;
    this.replyStart = replyStart;
  }

  /** Sends an action and waits for the guest's reply, as read by {@code handler}. */
  public <T> T request(String type, String path, ReplyHandler<T> handler)
      throws IOException, InterruptedException {
    Pending<T> p =
        new Pending<>(new GuestAction(UUID.randomUUID().toString(), type, path), handler);
    awaitingReply.put(p.action.id(), p);
    queue.add(p);
    try {
      await(p.taken, handoff, "the guest did not poll for the " + type + " action");
      await(p.started, replyStart, "the guest did not answer the " + type + " action");
      return p.done.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new GuestActionException(type + " failed: " + cause.getMessage(), cause);
    } finally {
      queue.remove(p);
      awaitingReply.remove(p.action.id());
    }
  }

  /**
   * Hands {@code action} to the guest's poll and waits only until it is taken: actions such as
   * {@code shell} are answered on endpoints of their own, not with a reply.
   */
  void hand(GuestAction action) throws GuestActionException, InterruptedException {
    Pending<Void> p =
        new Pending<>(
            action,
            r -> {
              throw new IOException(action.type() + " actions take no reply");
            });
    queue.add(p);
    try {
      await(p.taken, handoff, "the guest did not poll for the " + action.type() + " action");
    } catch (ExecutionException e) {
      throw new IllegalStateException("taking an action cannot fail", e);
    } finally {
      queue.remove(p);
    }
  }

  private static void await(CompletableFuture<Void> f, Duration timeout, String message)
      throws GuestActionException, InterruptedException, ExecutionException {
    try {
      f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new GuestActionException(message + " within " + timeout.toSeconds() + " s");
    }
  }

  /** The long poll: the next action, or {@link GuestAction#NONE} after {@code timeout}. */
  GuestAction poll(Duration timeout) throws InterruptedException {
    Pending<?> p = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (p == null) {
      return GuestAction.NONE;
    }
    p.taken.complete(null);
    return p.action;
  }

  /**
   * Routes a reply to its action. Returns false for an unknown (or already answered) id.
   *
   * @throws IOException if the handler rejected the reply (the requester sees the same error)
   */
  boolean reply(String id, GuestReply reply) throws IOException {
    Pending<?> p = id == null ? null : awaitingReply.remove(id);
    if (p == null) {
      return false;
    }
    p.handle(reply);
    return true;
  }
}
