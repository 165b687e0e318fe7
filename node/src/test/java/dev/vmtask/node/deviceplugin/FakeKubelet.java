package dev.vmtask.node.deviceplugin;

import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import dev.vmtask.node.deviceplugin.v1beta1.RegisterRequest;
import dev.vmtask.node.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's side of registration on a real unix socket: records each Register call. A restart
 * is what a starting kubelet does: delete the plugins' sockets, serve a fresh kubelet.sock.
 */
final class FakeKubelet implements AutoCloseable {
  final List<RegisterRequest> registrations = new CopyOnWriteArrayList<>();
  private final Path directory;
  private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
  private Server server;

  FakeKubelet(Path directory) throws IOException {
    this.directory = directory;
    start();
  }

  void restart() throws IOException, InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    try (var files = Files.list(directory)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    start();
  }

  private void start() throws IOException {
    Path socket = directory.resolve(DevicePluginServer.KUBELET_SOCKET);
    Files.deleteIfExists(socket);
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .addService(
                new RegistrationGrpc.RegistrationImplBase() {
                  @Override
                  public void register(RegisterRequest request, StreamObserver<Empty> response) {
                    registrations.add(request);
                    response.onNext(Empty.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
