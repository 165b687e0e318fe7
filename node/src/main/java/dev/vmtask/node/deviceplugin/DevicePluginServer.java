package dev.vmtask.node.deviceplugin;

import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginOptions;
import dev.vmtask.node.deviceplugin.v1beta1.RegisterRequest;
import dev.vmtask.node.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a device plugin on its unix socket in the kubelet's device-plugins directory and keeps it
 * registered. A kubelet that starts deletes the plugins' sockets and makes a new {@code
 * kubelet.sock}; a check every {@link #CHECK_PERIOD} notices either (cheaper and surer than inotify
 * on a hostPath mount), serves on a fresh socket and registers again.
 */
public final class DevicePluginServer implements AutoCloseable {
  static final String API_VERSION = "v1beta1";
  static final String KUBELET_SOCKET = "kubelet.sock";
  static final Duration CHECK_PERIOD = Duration.ofSeconds(2);
  private static final Duration REGISTER_DEADLINE = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(DevicePluginServer.class);

  private final Path directory;
  private final String resourceName;
  private final String endpoint;
  private final BindableService plugin;
  private final Runnable onRestart;
  private final EventLoopGroup loop = new EpollEventLoopGroup(1);
  private final ScheduledExecutorService checks =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "device-plugin-registration");
            t.setDaemon(true);
            return t;
          });
  private final AtomicInteger registrations = new AtomicInteger();
  private Server server;

  /** The kubelet socket (its file key) this plugin is registered with, or null. */
  private Object registeredWith;

  private String lastProblem;

  /**
   * {@code onRestart} runs before the plugin serves on a fresh socket (the old streams are gone
   * with the old kubelet).
   */
  public DevicePluginServer(
      Path directory,
      String resourceName,
      String endpoint,
      BindableService plugin,
      Runnable onRestart) {
    this.directory = directory;
    this.resourceName = resourceName;
    this.endpoint = endpoint;
    this.plugin = plugin;
    this.onRestart = onRestart;
  }

  /** Serves at once and registers now and whenever the kubelet restarts. */
  public void start() {
    checks.scheduleWithFixedDelay(this::check, 0, CHECK_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Successful registrations so far. */
  public int registrations() {
    return registrations.get();
  }

  public Path socket() {
    return directory.resolve(endpoint);
  }

  private synchronized void check() {
    try {
      if (server == null || !Files.exists(socket())) {
        serve();
        registeredWith = null;
      }
      Object kubelet = fileKey(directory.resolve(KUBELET_SOCKET));
      if (kubelet == null) {
        problem("no " + KUBELET_SOCKET + " in " + directory + " yet: waiting for the kubelet");
        return;
      }
      if (!Objects.equals(kubelet, registeredWith)) {
        register();
        registeredWith = kubelet;
        lastProblem = null;
        LOG.info(
            "registered with the kubelet as {} (registration {}, socket {})",
            resourceName,
            registrations.incrementAndGet(),
            socket());
      }
    } catch (IOException | StatusRuntimeException e) {
      problem("registration with the kubelet failed, retrying: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("device plugin check failed", e);
    }
  }

  private void serve() throws IOException {
    if (server != null) {
      LOG.info("{} is gone (the kubelet restarted): serving on a fresh socket", socket());
      server.shutdownNow();
      onRestart.run();
    }
    Files.deleteIfExists(socket());
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket().toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .addService(plugin)
            .build()
            .start();
  }

  private void register() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                new DomainSocketAddress(directory.resolve(KUBELET_SOCKET).toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(loop)
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    try {
      RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(REGISTER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .register(
              RegisterRequest.newBuilder()
                  .setVersion(API_VERSION)
                  .setEndpoint(endpoint)
                  .setResourceName(resourceName)
                  .setOptions(DevicePluginOptions.getDefaultInstance())
                  .build());
    } finally {
      channel.shutdownNow();
    }
  }

  private static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** Logged once until it changes or is resolved, not every check. */
  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      LOG.warn(message);
      lastProblem = message;
    }
  }

  @Override
  public synchronized void close() {
    checks.shutdownNow();
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", socket(), e.getMessage());
    }
  }
}
