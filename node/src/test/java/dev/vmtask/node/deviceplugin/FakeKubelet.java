package dev.vmtask.node.deviceplugin;

import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import dev.vmtask.node.deviceplugin.v1beta1.RegisterRequest;
import dev.vmtask.node.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kubelet's side of registration on a real unix socket: records each Register call and can
 * refuse some. A restart is what a starting kubelet does: delete the plugins' sockets, serve a
 * fresh kubelet.sock.
 */
final class FakeKubelet implements AutoCloseable {
  /** Accepted registrations. */
  final List<RegisterRequest> registrations = new CopyOnWriteArrayList<>();

  /** Every Register call, accepted or refused. */
  final AtomicInteger attempts = new AtomicInteger();

  private final AtomicInteger toRefuse = new AtomicInteger();
  private final Path directory;
  private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
  private Server server;

  FakeKubelet(Path directory) {
    this.directory = directory;
  }

  Path socket() {
    return directory.resolve(DevicePluginServer.KUBELET_SOCKET);
  }

  /** Serves kubelet.sock (replacing any file there). */
  void start() throws IOException {
    Files.deleteIfExists(socket());
    server = UnixSockets.serve(socket(), loop, new Registration());
  }

  /** Stops, deletes every socket in the directory, starts on a fresh kubelet.sock. */
  void restart() throws IOException, InterruptedException {
    stop();
    try (var files = Files.list(directory)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    start();
  }

  /** Stops and starts on a fresh kubelet.sock, leaving the plugins' sockets alone. */
  void restartKeepingPluginSockets() throws IOException, InterruptedException {
    stop();
    start();
  }

  /** The next {@code n} Register calls fail with UNAVAILABLE. */
  void refuseNext(int n) {
    toRefuse.set(n);
  }

  private void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  private final class Registration extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void register(RegisterRequest request, StreamObserver<Empty> response) {
      attempts.incrementAndGet();
      if (toRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        response.onError(Status.UNAVAILABLE.withDescription("not ready").asRuntimeException());
        return;
      }
      registrations.add(request);
      response.onNext(Empty.getDefaultInstance());
      response.onCompleted();
    }
  }
}
