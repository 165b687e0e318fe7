package dev.vmtask.node.deviceplugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.node.deviceplugin.v1beta1.AllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.AllocateResponse;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginOptions;
import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import dev.vmtask.node.deviceplugin.v1beta1.ListAndWatchResponse;
import dev.vmtask.node.deviceplugin.v1beta1.PreStartContainerRequest;
import dev.vmtask.node.deviceplugin.v1beta1.PreferredAllocationRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plugin service alone, served on a unix socket. */
class KvmDevicePluginTest {
  private static final Path HOST_DEVICE = Path.of("/var/lib/vmtask/node/dev/kvm");
  private final KvmDevicePlugin plugin = new KvmDevicePlugin(3, HOST_DEVICE);
  private final EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
  private Path dir;
  private Server server;
  private ManagedChannel channel;
  private DevicePluginGrpc.DevicePluginBlockingStub blocking;

  @BeforeEach
  void start() throws Exception {
    // unix socket paths are limited to 107 bytes: a short directory
    dir = Files.createTempDirectory(Path.of("/tmp"), "dp");
    Path socket = dir.resolve("plugin.sock");
    server = UnixSockets.serve(socket, loop, plugin);
    channel = UnixSockets.dial(socket, loop);
    blocking = DevicePluginGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    Files.deleteIfExists(dir.resolve("plugin.sock"));
    Files.delete(dir);
  }

  @Test
  void asksForNeitherPreStartNorPreferredAllocationAndAnswersThemEmpty() {
    assertThat(blocking.getDevicePluginOptions(Empty.getDefaultInstance()))
        .isEqualTo(DevicePluginOptions.getDefaultInstance());
    assertThat(blocking.getDevicePluginOptions(Empty.getDefaultInstance()).getPreStartRequired())
        .isFalse();
    assertThat(
            blocking
                .getPreferredAllocation(
                    PreferredAllocationRequest.newBuilder()
                        .addContainerRequests(
                            ContainerPreferredAllocationRequest.newBuilder()
                                .addAvailableDeviceIDs("kvm-0")
                                .setAllocationSize(1))
                        .build())
                .getContainerResponsesCount())
        .isZero();
    assertThat(
            blocking.preStartContainer(
                PreStartContainerRequest.newBuilder().addDevicesIds("kvm-0").build()))
        .isNotNull();
  }

  @Test
  void aNewStreamGetsTheCurrentListFirst() {
    plugin.advertise(true);
    Watcher watcher = watch();
    await().until(() -> watcher.seen.size() == 1);
    assertThat(watcher.last().getDevicesList())
        .extracting(d -> d.getID() + "=" + d.getHealth())
        .containsExactly("kvm-0=Healthy", "kvm-1=Healthy", "kvm-2=Healthy");
  }

  @Test
  void everyOpenStreamGetsEachChangeAtOnce() {
    Watcher first = watch();
    Watcher second = watch();
    await().until(() -> first.seen.size() == 1 && second.seen.size() == 1);
    assertThat(first.last().getDevicesList()).as("nothing before the verdict").isEmpty();

    plugin.advertise(true);
    await().until(() -> first.seen.size() == 2 && second.seen.size() == 2);
    assertThat(first.last().getDevicesCount()).isEqualTo(3);
    assertThat(second.last().getDevicesCount()).isEqualTo(3);

    plugin.advertise(false);
    await().until(() -> first.seen.size() == 3 && second.seen.size() == 3);
    assertThat(first.last().getDevicesList()).isEmpty();
    assertThat(second.last().getDevicesList()).isEmpty();
    assertThat(first.ended).as("streams stay open").isFalse();
  }

  @Test
  void aCancelledStreamIsForgottenAndTheOthersStillHearChanges() {
    Watcher cancelled = watch();
    Watcher kept = watch();
    await().until(() -> plugin.openStreams() == 2);

    cancelled.call.cancel("the kubelet went away", null);
    await().until(() -> plugin.openStreams() == 1);

    plugin.advertise(true);
    await().until(() -> kept.seen.size() == 2);
    assertThat(kept.last().getDevicesCount()).isEqualTo(3);
    assertThat(cancelled.seen).hasSize(1);
  }

  @Test
  void closeStreamsEndsTheOpenStreams() {
    Watcher watcher = watch();
    await().until(() -> plugin.openStreams() == 1);

    plugin.closeStreams();

    await().until(() -> watcher.ended);
    assertThat(watcher.error).isNull();
    assertThat(plugin.openStreams()).isZero();
  }

  @Test
  void concurrentAdvertisesLeaveEachStreamWithTheLastWord() throws Exception {
    Watcher watcher = watch();
    await().until(() -> watcher.seen.size() == 1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int round = 1; round <= 300; round++) {
        // Two threads say opposite things at the same moment; whichever wins, the stream's last
        // list must agree with it.
        CyclicBarrier together = new CyclicBarrier(2);
        Future<?> yes = threads.submit(() -> advertiseWith(together, true));
        Future<?> no = threads.submit(() -> advertiseWith(together, false));
        yes.get(10, TimeUnit.SECONDS);
        no.get(10, TimeUnit.SECONDS);
        int expected = 1 + 2 * round;
        await().pollInterval(Duration.ofMillis(1)).until(() -> watcher.seen.size() == expected);
        assertThat(watcher.last().getDevicesCount())
            .as("round %d: the last list sent matches the last advertise", round)
            .isEqualTo(plugin.usable() ? 3 : 0);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private Void advertiseWith(CyclicBarrier together, boolean usable) throws Exception {
    together.await(10, TimeUnit.SECONDS);
    plugin.advertise(usable);
    return null;
  }

  @Test
  void allocateGivesEachContainerOneKvmDeviceReadWrite() {
    plugin.advertise(true);
    AllocateResponse allocated =
        blocking.allocate(
            AllocateRequest.newBuilder()
                .addContainerRequests(
                    ContainerAllocateRequest.newBuilder()
                        .addDevicesIds("kvm-0")
                        .addDevicesIds("kvm-1")
                        .addDevicesIds("kvm-2"))
                .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIds("kvm-2"))
                .build());

    assertThat(allocated.getContainerResponsesList()).hasSize(2);
    for (ContainerAllocateResponse container : allocated.getContainerResponsesList()) {
      assertThat(container.getDevicesList())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.getContainerPath()).isEqualTo("/dev/kvm");
                assertThat(d.getHostPath()).isEqualTo(HOST_DEVICE.toString());
                assertThat(d.getPermissions()).isEqualTo("rw");
              });
      assertThat(container.getMountsList()).isEmpty();
    }
  }

  @Test
  void allocateRefusesDevicesItDoesNotOffer() {
    plugin.advertise(true);
    for (String id : List.of("kvm-3", "kvm-01", "kvm--1", "gpu-0", "")) {
      assertThatThrownBy(() -> blocking.allocate(request("kvm-0", id)))
          .as(id)
          .satisfies(
              e ->
                  assertThat(Status.fromThrowable(e).getCode())
                      .isEqualTo(Status.Code.INVALID_ARGUMENT))
          .hasMessageContaining("unknown device " + id + " ")
          .hasMessageContaining("kvm-0..kvm-2");
    }
  }

  @Test
  void allocateRefusesWhileKvmIsNotUsable() {
    assertThatThrownBy(() -> blocking.allocate(request("kvm-0")))
        .satisfies(
            e ->
                assertThat(Status.fromThrowable(e).getCode())
                    .isEqualTo(Status.Code.FAILED_PRECONDITION))
        .hasMessageContaining("KVM is not usable");

    plugin.advertise(true);
    assertThat(blocking.allocate(request("kvm-0")).getContainerResponsesCount()).isEqualTo(1);

    plugin.advertise(false);
    assertThatThrownBy(() -> blocking.allocate(request("kvm-0")))
        .satisfies(
            e ->
                assertThat(Status.fromThrowable(e).getCode())
                    .isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void needsAtLeastOneSlot() {
    assertThatThrownBy(() -> new KvmDevicePlugin(0, HOST_DEVICE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static AllocateRequest request(String... ids) {
    return AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addAllDevicesIds(List.of(ids)))
        .build();
  }

  private Watcher watch() {
    Watcher watcher = new Watcher();
    DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), watcher);
    return watcher;
  }

  /** A ListAndWatch client that keeps what it was sent, in order. */
  static final class Watcher implements ClientResponseObserver<Empty, ListAndWatchResponse> {
    final List<ListAndWatchResponse> seen = new CopyOnWriteArrayList<>();
    volatile ClientCallStreamObserver<Empty> call;
    volatile boolean ended;
    volatile Throwable error;

    ListAndWatchResponse last() {
      return seen.get(seen.size() - 1);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Empty> requestStream) {
      call = requestStream;
    }

    @Override
    public void onNext(ListAndWatchResponse value) {
      seen.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      ended = true;
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }
}
