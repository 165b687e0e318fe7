package dev.vmtask.node.deviceplugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.node.deviceplugin.v1beta1.AllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.AllocateResponse;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import dev.vmtask.node.deviceplugin.v1beta1.ListAndWatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plugin served on a real unix socket, registered with a fake kubelet on another. */
class DevicePluginServerTest {
  private static final String RESOURCE = "devices.vmtask.dev/kvm";
  private Path dir;
  private FakeKubelet kubelet;
  private KvmDevicePlugin plugin;
  private DevicePluginServer server;
  private final EpollEventLoopGroup clientLoop = new EpollEventLoopGroup(1);

  @BeforeEach
  void start() throws Exception {
    // unix socket paths are limited to 107 bytes: a short directory
    dir = Files.createTempDirectory(Path.of("/tmp"), "dp");
    kubelet = new FakeKubelet(dir);
    plugin = new KvmDevicePlugin(3, Path.of("/var/lib/vmtask/node/dev/kvm"));
    server = new DevicePluginServer(dir, RESOURCE, "vmtask-kvm.sock", plugin, plugin::closeStreams);
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    kubelet.close();
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }

  @Test
  void registersItsResourceAndEndpointWithTheKubelet() {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    var request = kubelet.registrations.get(0);
    assertThat(request.getVersion()).isEqualTo("v1beta1");
    assertThat(request.getEndpoint()).isEqualTo("vmtask-kvm.sock");
    assertThat(request.getResourceName()).isEqualTo(RESOURCE);
    assertThat(dir.resolve("vmtask-kvm.sock")).exists();
  }

  @Test
  void listAndWatchFollowsTheVerdictAndAllocateHandsOutTheDevice() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    ManagedChannel channel = dial();
    try {
      List<ListAndWatchResponse> seen = new CopyOnWriteArrayList<>();
      DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), collect(seen));
      await().until(() -> seen.size() == 1);
      assertThat(seen.get(0).getDevicesList()).as("nothing before the verdict").isEmpty();

      plugin.advertise(true);
      await().until(() -> seen.size() == 2);
      assertThat(seen.get(1).getDevicesList())
          .extracting(d -> d.getID() + "=" + d.getHealth())
          .containsExactly("kvm-0=Healthy", "kvm-1=Healthy", "kvm-2=Healthy");

      var blocking = DevicePluginGrpc.newBlockingStub(channel);
      AllocateResponse allocated =
          blocking.allocate(
              AllocateRequest.newBuilder()
                  .addContainerRequests(
                      ContainerAllocateRequest.newBuilder()
                          .addDevicesIds("kvm-1")
                          .addDevicesIds("kvm-2"))
                  .build());
      assertThat(allocated.getContainerResponsesList()).hasSize(1);
      var device = allocated.getContainerResponses(0).getDevicesList();
      assertThat(device)
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.getContainerPath()).isEqualTo("/dev/kvm");
                assertThat(d.getHostPath()).isEqualTo("/var/lib/vmtask/node/dev/kvm");
                assertThat(d.getPermissions()).isEqualTo("rw");
              });
      assertThatThrownBy(() -> blocking.allocate(request("kvm-3")))
          .isInstanceOf(StatusRuntimeException.class)
          .satisfies(
              e ->
                  assertThat(Status.fromThrowable(e).getCode())
                      .isEqualTo(Status.Code.INVALID_ARGUMENT))
          .hasMessageContaining("unknown device kvm-3");

      plugin.advertise(false);
      await().until(() -> seen.size() == 3);
      assertThat(seen.get(2).getDevicesList()).isEmpty();
      assertThatThrownBy(() -> blocking.allocate(request("kvm-0")))
          .satisfies(
              e ->
                  assertThat(Status.fromThrowable(e).getCode())
                      .isEqualTo(Status.Code.FAILED_PRECONDITION));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aKubeletRestartLeadsToAFreshSocketAndASecondRegistration() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    plugin.advertise(true);

    kubelet.restart(); // deletes the plugin's socket, as a starting kubelet does

    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 2);
    assertThat(kubelet.registrations).hasSize(2);
    assertThat(dir.resolve("vmtask-kvm.sock")).exists();
    ManagedChannel channel = dial();
    try {
      List<ListAndWatchResponse> seen = new CopyOnWriteArrayList<>();
      DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), collect(seen));
      await().until(() -> seen.size() == 1);
      assertThat(seen.get(0).getDevicesCount()).as("still usable after the restart").isEqualTo(3);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void closingRemovesTheSocket() {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() == 1);
    server.close();
    assertThat(dir.resolve("vmtask-kvm.sock")).doesNotExist();
  }

  private ManagedChannel dial() {
    return NettyChannelBuilder.forAddress(
            new DomainSocketAddress(dir.resolve("vmtask-kvm.sock").toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(clientLoop)
        .overrideAuthority("localhost")
        .usePlaintext()
        .build();
  }

  private static AllocateRequest request(String id) {
    return AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIds(id))
        .build();
  }

  private static StreamObserver<ListAndWatchResponse> collect(List<ListAndWatchResponse> seen) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ListAndWatchResponse value) {
        seen.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
