package dev.vmtask.node.deviceplugin;

import dev.vmtask.node.ProblemLog;
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
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a device plugin on its unix socket in the kubelet's device-plugins directory and keeps it
 * registered with the kubelet there.
 *
 * <p>A kubelet that starts deletes the plugins' sockets and serves a new {@code kubelet.sock};
 * plugins must then serve again and register again. This notices either change through a watch on
 * the directory, and through a check every few seconds in case the watch misses it (inotify on a
 * hostPath mount may), then serves on a fresh socket and registers. A kubelet that is not there
 * yet, or refuses, is retried with a growing delay. All of this runs on one daemon thread.
 */
public final class DevicePluginServer implements AutoCloseable {
  static final String API_VERSION = "v1beta1";
  static final String KUBELET_SOCKET = "kubelet.sock";
  static final Duration CHECK_PERIOD = Duration.ofSeconds(2);
  static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
  static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(250);
  private static final Duration REGISTER_DEADLINE = Duration.ofSeconds(10);
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);
  private static final Logger LOG = LoggerFactory.getLogger(DevicePluginServer.class);

  private final Path directory;
  private final String resourceName;
  private final String endpoint;
  private final BindableService plugin;
  private final Runnable onRestart;
  private final Duration checkPeriod;
  private final boolean watchDirectory;
  private final EventLoopGroup loop = new EpollEventLoopGroup(1);
  private final ScheduledExecutorService checks =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "device-plugin-registration");
            t.setDaemon(true);
            return t;
          });
  private final AtomicInteger registrations = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  // The rest is used by check() and close() only, under this object's lock.
  private Server server;
  private SocketDirectoryWatch watch;
  private boolean watchProblemLogged;

  /** The kubelet socket this plugin is registered with, or null. */
  private SocketIdentity registeredWith;

  /** The kubelet socket that refused the last registration, with when to try it again. */
  private SocketIdentity refusedBy;

  private Duration retryDelay;
  private long nextAttemptNanos;
  private final ProblemLog problems = new ProblemLog(LOG);

  /**
   * @param directory the kubelet's device-plugins directory (normally {@code
   *     /var/lib/kubelet/device-plugins})
   * @param resourceName the extended resource, e.g. {@code devices.vmtask.dev/kvm}
   * @param endpoint the file name of the plugin's socket in {@code directory}
   * @param plugin the DevicePlugin service to serve
   * @param onRestart runs when the plugin moves to a fresh socket, before it serves there (the
   *     streams of the old kubelet are gone with it), e.g. {@link KvmDevicePlugin#closeStreams}
   */
  public DevicePluginServer(
      Path directory,
      String resourceName,
      String endpoint,
      BindableService plugin,
      Runnable onRestart) {
    this(directory, resourceName, endpoint, plugin, onRestart, CHECK_PERIOD, true);
  }

  /** With its check period and whether to watch the directory as well, for tests. */
  DevicePluginServer(
      Path directory,
      String resourceName,
      String endpoint,
      BindableService plugin,
      Runnable onRestart,
      Duration checkPeriod,
      boolean watchDirectory) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.resourceName = Objects.requireNonNull(resourceName, "resourceName");
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.plugin = Objects.requireNonNull(plugin, "plugin");
    this.onRestart = Objects.requireNonNull(onRestart, "onRestart");
    this.checkPeriod = checkPeriod;
    this.watchDirectory = watchDirectory;
    this.retryDelay = checkPeriod;
  }

  /**
   * Starts serving and registering in the background (at once, then whenever the kubelet restarts);
   * returns without waiting for either.
   */
  public void start() {
    checks.scheduleWithFixedDelay(this::check, 0, checkPeriod.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Successful registrations with a kubelet so far. */
  public int registrations() {
    return registrations.get();
  }

  /** The plugin's socket: {@code endpoint} in the device-plugins directory. */
  public Path socket() {
    return directory.resolve(endpoint);
  }

  private Path kubeletSocket() {
    return directory.resolve(KUBELET_SOCKET);
  }

  private void checkSoon() {
    try {
      checks.execute(this::check);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private synchronized void check() {
    if (closed.get()) {
      return;
    }
    try {
      keepWatching();
      if (server == null || !Files.exists(socket())) {
        serve();
        registeredWith = null;
      }
      SocketIdentity kubelet = SocketIdentity.of(kubeletSocket());
      if (kubelet == null) {
        problems.warn(
            "no " + KUBELET_SOCKET + " in " + directory + " yet: waiting for the kubelet");
      } else if (!kubelet.equals(registeredWith)
          && !(kubelet.equals(refusedBy) && System.nanoTime() - nextAttemptNanos < 0)) {
        register(kubelet);
      }
    } catch (IOException e) {
      problems.warn("cannot serve on " + socket() + ", retrying: " + e.getMessage());
    } catch (RuntimeException e) {
      if (!closed.get()) {
        LOG.error("device plugin check failed", e);
      }
    }
  }

  /** (Re)starts the watch on the directory, which ends if the directory is replaced. */
  private void keepWatching() {
    if (!watchDirectory || (watch != null && watch.watching())) {
      return;
    }
    if (watch != null) {
      watch.close();
      watch = null;
    }
    try {
      watch =
          SocketDirectoryWatch.start(
              directory, Set.of(Path.of(endpoint), Path.of(KUBELET_SOCKET)), this::checkSoon);
      watchProblemLogged = false;
    } catch (IOException | RuntimeException e) {
      if (!watchProblemLogged) {
        LOG.warn(
            "cannot watch {} ({}): noticing kubelet restarts by the periodic check alone",
            directory,
            e.toString());
        watchProblemLogged = true;
      }
    }
  }

  private void serve() throws IOException {
    if (server != null) {
      LOG.info("{} is gone (the kubelet restarted): serving on a fresh socket", socket());
      stopServer();
      onRestart.run();
    }
    Files.deleteIfExists(socket()); // a stale one from an earlier run
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket().toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .addService(plugin)
            .build()
            .start();
  }

  /**
   * Waits for the server to be gone: Netty deletes a domain socket's file when its channel closes,
   * which must not happen after a fresh socket took the same path.
   */
  private void stopServer() {
    server.shutdownNow();
    try {
      if (!server.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("the device plugin server on {} did not stop within {}", socket(), SHUTDOWN_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  private void register(SocketIdentity kubelet) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(kubeletSocket().toString()))
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
    } catch (StatusRuntimeException e) {
      if (closed.get()) {
        return;
      }
      // The same kubelet socket again: back off. A new one (a new kubelet): from the start, soon,
      // since a starting kubelet's socket exists a moment before it accepts connections.
      retryDelay =
          kubelet.equals(refusedBy)
              ? min(retryDelay.multipliedBy(2), MAX_RETRY_DELAY)
              : min(checkPeriod, FIRST_RETRY_DELAY);
      refusedBy = kubelet;
      nextAttemptNanos = System.nanoTime() + retryDelay.toNanos();
      // No directory event may come: the retry does not wait for the periodic check either.
      checks.schedule(this::check, retryDelay.toMillis() + 1, TimeUnit.MILLISECONDS);
      problems.warn(
          "registration with the kubelet failed ("
              + e.getStatus().getCode()
              + ": "
              + e.getStatus().getDescription()
              + "), retrying in "
              + retryDelay.toMillis()
              + " ms");
      return;
    } finally {
      channel.shutdownNow();
    }
    registeredWith = kubelet;
    refusedBy = null;
    problems.resolved();
    LOG.info(
        "registered {} with the kubelet (registration {}, socket {})",
        resourceName,
        registrations.incrementAndGet(),
        socket());
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Stops serving and registering and removes the plugin's socket. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    checks.shutdownNow(); // interrupts a registration under way
    synchronized (this) {
      if (watch != null) {
        watch.close();
      }
      if (server != null) {
        stopServer();
      }
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS)
          .awaitUninterruptibly(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      try {
        Files.deleteIfExists(socket());
      } catch (IOException e) {
        LOG.warn("could not remove {}: {}", socket(), e.getMessage());
      }
    }
  }

  /**
   * Which kubelet.sock this is: a new kubelet makes a new file. The modification time tells a new
   * file from an old one whose inode number was reused.
   */
  private record SocketIdentity(Object fileKey, FileTime modified) {
    static SocketIdentity of(Path path) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return new SocketIdentity(attributes.fileKey(), attributes.lastModifiedTime());
      } catch (IOException e) {
        return null;
      }
    }
  }
}
