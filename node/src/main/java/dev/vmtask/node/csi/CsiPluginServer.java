package dev.vmtask.node.csi;

import dev.vmtask.node.ProblemLog;
import dev.vmtask.node.csi.registration.InfoRequest;
import dev.vmtask.node.csi.registration.PluginInfo;
import dev.vmtask.node.csi.registration.RegistrationGrpc;
import dev.vmtask.node.csi.registration.RegistrationStatus;
import dev.vmtask.node.csi.registration.RegistrationStatusResponse;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a CSI node plugin to the kubelet: the Identity and Node services on {@code csi.sock} in
 * the plugin's directory, and the kubelet's plugin registration service on {@code
 * <driver>-reg.sock} in its {@code plugins_registry} directory.
 *
 * <p>The kubelet's plugin watcher finds the registration socket by itself (at once through inotify,
 * and by walking the directory when the kubelet starts), asks it for the driver's name and the path
 * of {@code csi.sock}, calls NodeGetInfo there, and reports the outcome back: nothing to retry on
 * this side. A socket file that is deleted while this serves (someone cleaned the directory) is
 * noticed by a check every few seconds and served afresh; the kubelet takes a new registration
 * socket for a new plugin and registers it again.
 */
public final class CsiPluginServer implements AutoCloseable {
  static final String CSI_SOCKET = "csi.sock";
  static final String PLUGIN_TYPE = "CSIPlugin";

  /** CSI spec versions: the kubelet picks the highest 1.x. */
  static final List<String> SUPPORTED_VERSIONS = List.of("1.0.0");

  static final Duration CHECK_PERIOD = Duration.ofSeconds(5);

  /** A unix socket's path: 108 bytes with the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);
  private static final Logger LOG = LoggerFactory.getLogger(CsiPluginServer.class);

  private final String driverName;
  private final Duration checkPeriod;
  private final ServedSocket csi;
  private final ServedSocket registration;
  private final EventLoopGroup loop = new EpollEventLoopGroup(1);

  /** Runs the calls: a publish blocks for as long as fetching an image takes. */
  private final ExecutorService calls = Executors.newCachedThreadPool(daemonThreads("csi-call"));

  private final ScheduledExecutorService checks =
      Executors.newSingleThreadScheduledExecutor(daemonThreads("csi-socket-check"));

  private final AtomicReference<Boolean> registered = new AtomicReference<>();
  private final AtomicInteger notifications = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  // Used by start(), check() and close() only, under this object's lock.
  private boolean started;
  private final ProblemLog problems = new ProblemLog(LOG);

  /**
   * @param pluginDir the plugin's own directory, e.g. {@code
   *     /var/lib/kubelet/plugins/images.vmtask.dev}; its path must be the same for the kubelet (it
   *     dials {@code csi.sock} there)
   * @param registrationDir the kubelet's plugin registration directory, {@code
   *     /var/lib/kubelet/plugins_registry}
   * @param driverName the CSI driver's name, e.g. {@value CsiIdentityService#DRIVER_NAME}
   * @param identity the CSI Identity service
   * @param node the CSI Node service
   */
  public CsiPluginServer(
      Path pluginDir,
      Path registrationDir,
      String driverName,
      BindableService identity,
      BindableService node) {
    this(pluginDir, registrationDir, driverName, identity, node, CHECK_PERIOD);
  }

  /** With its check period, for tests. */
  CsiPluginServer(
      Path pluginDir,
      Path registrationDir,
      String driverName,
      BindableService identity,
      BindableService node,
      Duration checkPeriod) {
    this.driverName = Objects.requireNonNull(driverName, "driverName");
    if (driverName.isEmpty() || driverName.contains("/")) {
      throw new IllegalArgumentException("not a CSI driver name: '" + driverName + "'");
    }
    this.checkPeriod = Objects.requireNonNull(checkPeriod, "checkPeriod");
    // Absolute: the registration hands the kubelet this path to dial.
    this.csi =
        new ServedSocket(
            "CSI",
            pluginDir.toAbsolutePath().resolve(CSI_SOCKET),
            Objects.requireNonNull(identity, "identity"),
            Objects.requireNonNull(node, "node"));
    this.registration =
        new ServedSocket(
            "registration",
            registrationDir.toAbsolutePath().resolve(driverName + "-reg.sock"),
            new Registration());
  }

  /** Where the Identity and Node services are served: {@code csi.sock} in the plugin directory. */
  public Path csiSocket() {
    return csi.path;
  }

  /** Where the kubelet finds the plugin: {@code <driver>-reg.sock} in plugins_registry. */
  public Path registrationSocket() {
    return registration.path;
  }

  /**
   * Whether the kubelet registered the plugin, as it last reported; empty until it reports (it
   * reports after it called NodeGetInfo).
   */
  public Optional<Boolean> registered() {
    return Optional.ofNullable(registered.get());
  }

  /** How many registration outcomes the kubelet reported so far, either way. */
  public int notifications() {
    return notifications.get();
  }

  /**
   * Creates the directories and serves on both sockets (replacing stale socket files), {@code
   * csi.sock} first: the kubelet calls it while it registers the plugin. Then checks every few
   * seconds that both socket files are still there.
   *
   * @throws IOException if either socket cannot be served; {@link #close} stops the other
   */
  public synchronized void start() throws IOException {
    if (closed.get()) {
      throw new IllegalStateException("closed");
    }
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    csi.serve();
    registration.serve();
    LOG.info(
        "serving CSI driver {} on {}, and its kubelet registration on {}",
        driverName,
        csi.path,
        registration.path);
    checks.scheduleWithFixedDelay(
        this::check, checkPeriod.toMillis(), checkPeriod.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void check() {
    if (closed.get()) {
      return;
    }
    try {
      csi.keepServing();
      registration.keepServing();
      problems.resolved();
    } catch (IOException e) {
      problems.warn("cannot serve on a socket, retrying: " + e);
    } catch (RuntimeException e) {
      if (!closed.get()) {
        LOG.error("CSI socket check failed", e);
      }
    }
  }

  /**
   * Stops serving and removes both socket files: the registration socket first, so the kubelet
   * deregisters the driver before its CSI socket goes.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    checks.shutdownNow();
    synchronized (this) {
      registration.stop();
      csi.stop();
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS)
          .awaitUninterruptibly(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      calls.shutdown();
      registration.remove();
      csi.remove();
    }
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** One socket with the services on it; used under the outer object's lock. */
  private final class ServedSocket {
    final String what;
    final Path path;
    final List<BindableService> services;
    Server server;

    ServedSocket(String what, Path path, BindableService... services) {
      this.what = what;
      this.path = path;
      this.services = List.of(services);
      int length = path.toString().getBytes(StandardCharsets.UTF_8).length;
      if (length > MAX_SOCKET_PATH_BYTES) {
        throw new IllegalArgumentException(
            "the "
                + what
                + " socket path "
                + path
                + " has "
                + length
                + " bytes; a unix socket's path has at most "
                + MAX_SOCKET_PATH_BYTES);
      }
    }

    void serve() throws IOException {
      Files.createDirectories(path.getParent());
      Files.deleteIfExists(path); // a stale one from an earlier run
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
              .channelType(EpollServerDomainSocketChannel.class)
              .bossEventLoopGroup(loop)
              .workerEventLoopGroup(loop)
              // gRPC asks for TCP keepalive, which a unix socket lacks: Netty would warn about it
              // on each connection the kubelet makes (one per CSI call).
              .withChildOption(ChannelOption.SO_KEEPALIVE, null)
              .executor(calls);
      services.forEach(builder::addService);
      server = builder.build().start();
    }

    /** Serves afresh if the socket file is gone. */
    void keepServing() throws IOException {
      if (server != null && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      if (server != null) {
        LOG.warn("{} is gone: serving the {} socket afresh", path, what);
        stop();
      }
      serve();
    }

    /**
     * Waits for the server to be gone: Netty deletes a domain socket's file when its channel
     * closes, which must not happen after a fresh socket took the same path.
     */
    void stop() {
      if (server == null) {
        return;
      }
      server.shutdownNow();
      try {
        if (!server.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("the {} server on {} did not stop within {}", what, path, SHUTDOWN_WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
    }

    void remove() {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        LOG.warn("could not remove {}: {}", path, e.getMessage());
      }
    }
  }

  /** The kubelet's plugin watcher calls this on the registration socket. */
  private final class Registration extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void getInfo(InfoRequest request, StreamObserver<PluginInfo> response) {
      // Called again every few seconds by kubelets that watch their plugins' connections: no log.
      response.onNext(
          PluginInfo.newBuilder()
              .setType(PLUGIN_TYPE)
              .setName(driverName)
              .setEndpoint(csi.path.toString())
              .addAllSupportedVersions(SUPPORTED_VERSIONS)
              .build());
      response.onCompleted();
    }

    @Override
    public void notifyRegistrationStatus(
        RegistrationStatus status, StreamObserver<RegistrationStatusResponse> response) {
      registered.set(status.getPluginRegistered());
      notifications.incrementAndGet();
      if (status.getPluginRegistered()) {
        LOG.info("the kubelet registered CSI driver {} ({})", driverName, csi.path);
      } else {
        LOG.error(
            "the kubelet did not register CSI driver {} ({}): {}",
            driverName,
            csi.path,
            status.getError());
      }
      response.onNext(RegistrationStatusResponse.getDefaultInstance());
      response.onCompleted();
    }
  }
}
