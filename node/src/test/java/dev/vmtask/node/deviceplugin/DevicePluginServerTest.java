package dev.vmtask.node.deviceplugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.node.deviceplugin.KvmDevicePluginTest.Watcher;
import dev.vmtask.node.deviceplugin.v1beta1.AllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.vmtask.node.deviceplugin.v1beta1.DeviceSpec;
import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plugin served on a real unix socket, registered with a fake kubelet on another. */
class DevicePluginServerTest {
  private static final String RESOURCE = "devices.vmtask.dev/kvm";
  private static final String ENDPOINT = "vmtask-kvm.sock";
  private static final Path HOST_DEVICE = Path.of("/var/lib/vmtask/node/dev/kvm");

  /** Longer than any test: only the directory watch can make a check happen early. */
  private static final Duration NEVER = Duration.ofMinutes(10);

  private static final Duration OFTEN = Duration.ofMillis(100);

  private Path dir;
  private FakeKubelet kubelet;
  private KvmDevicePlugin plugin;
  private DevicePluginServer server;
  private final EpollEventLoopGroup clientLoop = new EpollEventLoopGroup(1);
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    // unix socket paths are limited to 107 bytes: a short directory
    dir = Files.createTempDirectory(Path.of("/tmp"), "dp");
    kubelet = new FakeKubelet(dir);
    plugin = new KvmDevicePlugin(3, HOST_DEVICE);
  }

  @AfterEach
  void tearDown() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    if (server != null) {
      server.close();
    }
    kubelet.close();
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }

  @Test
  void registersItsVersionEndpointAndResourceWithTheKubelet() throws Exception {
    kubelet.start();
    server = new DevicePluginServer(dir, RESOURCE, ENDPOINT, plugin, plugin::closeStreams);
    server.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    assertThat(kubelet.registrations)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getVersion()).isEqualTo("v1beta1");
              assertThat(r.getEndpoint()).isEqualTo(ENDPOINT);
              assertThat(r.getResourceName()).isEqualTo(RESOURCE);
              assertThat(r.getOptions().getPreStartRequired()).isFalse();
              assertThat(r.getOptions().getGetPreferredAllocationAvailable()).isFalse();
            });
    assertThat(server.socket()).isEqualTo(dir.resolve(ENDPOINT)).exists();
  }

  @Test
  void overItsSocketListAndWatchFollowsAdvertiseAndAllocateHandsOutTheDevice() throws Exception {
    kubelet.start();
    startServer(NEVER, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    ManagedChannel channel = dial();
    Watcher watcher = watch(channel);
    await().until(() -> watcher.seen.size() == 1);
    assertThat(watcher.last().getDevicesList()).as("nothing before the verdict").isEmpty();

    plugin.advertise(true);
    await().until(() -> watcher.seen.size() == 2);
    assertThat(watcher.last().getDevicesList())
        .extracting(d -> d.getID() + "=" + d.getHealth())
        .containsExactly("kvm-0=Healthy", "kvm-1=Healthy", "kvm-2=Healthy");
    var blocking = DevicePluginGrpc.newBlockingStub(channel);
    assertThat(blocking.allocate(request("kvm-1")).getContainerResponses(0).getDevicesList())
        .containsExactly(
            DeviceSpec.newBuilder()
                .setContainerPath("/dev/kvm")
                .setHostPath(HOST_DEVICE.toString())
                .setPermissions("rw")
                .build());

    plugin.advertise(false);
    await().until(() -> watcher.seen.size() == 3);
    assertThat(watcher.last().getDevicesList()).isEmpty();
    assertThatThrownBy(() -> blocking.allocate(request("kvm-1")))
        .satisfies(
            e ->
                assertThat(Status.fromThrowable(e).getCode())
                    .isEqualTo(Status.Code.FAILED_PRECONDITION));

    plugin.advertise(true);
    await().until(() -> watcher.seen.size() == 4);
    assertThat(watcher.last().getDevicesCount()).isEqualTo(3);
    assertThat(watcher.ended).isFalse();
  }

  @Test
  void aKubeletRestartIsNoticedByTheWatchAndLeadsToAFreshSocketAndARegistration() throws Exception {
    kubelet.start();
    startServer(NEVER, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    plugin.advertise(true);
    Watcher oldStream = watch(dial());
    await().until(() -> oldStream.seen.size() == 1);

    kubelet.restart(); // deletes the plugin's socket, as a starting kubelet does

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 2);
    assertThat(kubelet.registrations).hasSize(2);
    await().until(() -> oldStream.ended);
    assertThat(server.socket()).exists();
    Watcher newStream = watch(dial());
    await().until(() -> newStream.seen.size() == 1);
    assertThat(newStream.last().getDevicesCount())
        .as("still offered after the restart")
        .isEqualTo(3);
  }

  @Test
  void aKubeletRestartIsNoticedByThePeriodicCheckWithoutTheWatch() throws Exception {
    kubelet.start();
    startServer(OFTEN, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);

    kubelet.restart();

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 2);
    assertThat(kubelet.registrations).hasSize(2);
    assertThat(options(dial())).as("served on the fresh socket").isNotNull();
  }

  @Test
  void aNewKubeletSocketAloneLeadsToARegistration() throws Exception {
    kubelet.start();
    startServer(NEVER, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);

    kubelet.restartKeepingPluginSockets();

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 2);
    assertThat(kubelet.registrations).hasSize(2);
  }

  @Test
  void servesAtOnceAndRegistersWhenTheKubeletTurnsUp() throws Exception {
    server = new DevicePluginServer(dir, RESOURCE, ENDPOINT, plugin, plugin::closeStreams);
    server.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(server.socket()));
    assertThat(options(dial())).as("served before the kubelet is there").isNotNull();
    assertThat(server.registrations()).isZero();

    kubelet.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    assertThat(kubelet.registrations).hasSize(1);
  }

  @Test
  void retriesARefusingKubeletWithGrowingDelays() throws Exception {
    kubelet.refuseNext(3);
    kubelet.start();
    long started = System.nanoTime();
    startServer(OFTEN, false);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);

    // Retries after 100, 200 and 400 ms; without backoff they would all be 100 ms apart.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(ms(700));
    assertThat(kubelet.attempts.get()).isEqualTo(4);
    assertThat(kubelet.registrations).hasSize(1);
  }

  @Test
  void replacesAStaleSocketFile() throws Exception {
    Files.writeString(dir.resolve(ENDPOINT), "left over from an earlier run");
    kubelet.start();
    startServer(NEVER, true);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    assertThat(options(dial())).isNotNull();
  }

  @Test
  void closingStopsServingAndRemovesTheSocketForGood() throws Exception {
    kubelet.start();
    startServer(OFTEN, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);

    server.close();

    assertThat(server.socket()).doesNotExist();
    assertThatThrownBy(() -> options(dial()))
        .satisfies(
            e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    await()
        .during(ms(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !Files.exists(server.socket()) && server.registrations() == 1);
  }

  private void startServer(Duration checkPeriod, boolean watch) {
    server =
        new DevicePluginServer(
            dir, RESOURCE, ENDPOINT, plugin, plugin::closeStreams, checkPeriod, watch);
    server.start();
  }

  private ManagedChannel dial() {
    ManagedChannel channel = UnixSockets.dial(dir.resolve(ENDPOINT), clientLoop);
    channels.add(channel);
    return channel;
  }

  private static Object options(ManagedChannel channel) {
    return DevicePluginGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getDevicePluginOptions(Empty.getDefaultInstance());
  }

  private static Watcher watch(ManagedChannel channel) {
    Watcher watcher = new Watcher();
    DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), watcher);
    return watcher;
  }

  private static AllocateRequest request(String id) {
    return AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIds(id))
        .build();
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
