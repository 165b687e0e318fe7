package dev.vmtask.node.csi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmtask.node.csi.registration.InfoRequest;
import dev.vmtask.node.csi.registration.PluginInfo;
import dev.vmtask.node.csi.registration.RegistrationGrpc;
import dev.vmtask.node.csi.registration.RegistrationStatus;
import dev.vmtask.node.csi.v1.GetPluginCapabilitiesRequest;
import dev.vmtask.node.csi.v1.GetPluginInfoRequest;
import dev.vmtask.node.csi.v1.GetPluginInfoResponse;
import dev.vmtask.node.csi.v1.IdentityGrpc;
import dev.vmtask.node.csi.v1.NodeGetCapabilitiesRequest;
import dev.vmtask.node.csi.v1.NodeGetInfoRequest;
import dev.vmtask.node.csi.v1.NodeGrpc;
import dev.vmtask.node.csi.v1.NodePublishVolumeRequest;
import dev.vmtask.node.csi.v1.NodePublishVolumeResponse;
import dev.vmtask.node.csi.v1.NodeUnpublishVolumeRequest;
import dev.vmtask.node.csi.v1.ProbeRequest;
import dev.vmtask.node.csi.v1.ProbeResponse;
import dev.vmtask.node.csi.v1.VolumeCapability;
import dev.vmtask.node.csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;

/** The plugin served on real unix sockets, called as the kubelet calls it. */
class CsiPluginServerTest {
  private static final String DRIVER = CsiIdentityService.DRIVER_NAME;
  private static final String VERSION = "1.2.3";
  private static final String NODE = "node-a";
  private static final String VOLUME = "csi-0123abcd";
  private static final String TARGET =
      "/var/lib/kubelet/pods/5f0c/volumes/kubernetes.io~csi/image/mount";
  private static final String SECRET_VALUE = "hunter2-s3cr3t";
  private static final Duration OFTEN = Duration.ofMillis(100);

  /** Unix socket paths are limited to 107 bytes: a short directory, not under target/. */
  static final class ShortTempDir implements TempDirFactory {
    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension)
        throws Exception {
      return Files.createTempDirectory(Path.of("/tmp"), "csi");
    }
  }

  @TempDir(factory = ShortTempDir.class)
  Path dir;

  private final RecordingVolumes volumes = new RecordingVolumes();
  private final EpollEventLoopGroup clientLoop = new EpollEventLoopGroup(1);
  private final List<ManagedChannel> channels = new ArrayList<>();
  private CsiPluginServer server;

  @AfterEach
  void tearDown() throws Exception {
    volumes.release.countDown();
    channels.forEach(ManagedChannel::shutdownNow);
    if (server != null) {
      server.close();
    }
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  @Test
  void servesBothSocketsWhereTheKubeletLooks() throws Exception {
    start();

    assertThat(server.csiSocket())
        .isEqualTo(dir.resolve("plugins/images.vmtask.dev/csi.sock"))
        .exists();
    assertThat(server.registrationSocket())
        .isEqualTo(dir.resolve("plugins_registry/images.vmtask.dev-reg.sock"))
        .exists();
    assertThat(Files.readAttributes(server.csiSocket(), BasicFileAttributes.class).isOther())
        .as("a socket, not a regular file")
        .isTrue();
  }

  @Test
  void identityTellsNameVersionNoCapabilitiesAndReady() throws Exception {
    start();
    var identity = IdentityGrpc.newBlockingStub(dial(server.csiSocket()));

    GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
    assertThat(info.getName()).isEqualTo("images.vmtask.dev");
    assertThat(info.getVendorVersion()).isEqualTo(VERSION);
    assertThat(
            identity
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList())
        .as("no controller service")
        .isEmpty();
    ProbeResponse probe = identity.probe(ProbeRequest.getDefaultInstance());
    assertThat(probe.hasReady()).isTrue();
    assertThat(probe.getReady().getValue()).isTrue();
  }

  @Test
  void nodeTellsItsNodeIdAndNoCapabilities() throws Exception {
    start();
    var node = NodeGrpc.newBlockingStub(dial(server.csiSocket()));

    assertThat(node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()).getNodeId())
        .isEqualTo(NODE);
    assertThat(
            node.nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList())
        .as("no staging")
        .isEmpty();
  }

  @Test
  void registrationTellsTheKubeletTypeNameEndpointAndVersions() throws Exception {
    start();

    PluginInfo info = registration().getInfo(InfoRequest.getDefaultInstance());

    assertThat(info.getType()).isEqualTo("CSIPlugin");
    assertThat(info.getName()).isEqualTo(DRIVER);
    assertThat(info.getEndpoint())
        .isEqualTo(dir.resolve("plugins/images.vmtask.dev/csi.sock").toString());
    assertThat(info.getSupportedVersionsList()).containsExactly("1.0.0");
    var identity = IdentityGrpc.newBlockingStub(dial(Path.of(info.getEndpoint())));
    assertThat(identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName())
        .as("the endpoint serves the driver")
        .isEqualTo(DRIVER);
  }

  @Test
  void recordsWhatTheKubeletNotifies() throws Exception {
    start();
    assertThat(server.registered()).isEmpty();
    assertThat(server.notifications()).isZero();
    var registration = registration();

    registration.notifyRegistrationStatus(
        RegistrationStatus.newBuilder()
            .setPluginRegistered(false)
            .setError("RegisterPlugin error -- plugin validation failed")
            .build());

    assertThat(server.registered()).isEqualTo(Optional.of(false));
    assertThat(server.notifications()).isEqualTo(1);

    registration.notifyRegistrationStatus(
        RegistrationStatus.newBuilder().setPluginRegistered(true).build());

    assertThat(server.registered()).isEqualTo(Optional.of(true));
    assertThat(server.notifications()).isEqualTo(2);
  }

  @Test
  void publishHandsVolumeTargetAttributesAndSecretsToTheVolumesOffTheEventLoop() throws Exception {
    start();
    Map<String, String> attributes =
        Map.of(
            "image", "https://images.example/disk.qcow2",
            "csi.storage.k8s.io/pod.namespace", "team-a",
            "csi.storage.k8s.io/ephemeral", "true");

    node()
        .nodePublishVolume(
            publish(Mode.SINGLE_NODE_WRITER, true)
                .putAllVolumeContext(attributes)
                .putSecrets("token", SECRET_VALUE)
                .build());

    assertThat(volumes.calls)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.action()).isEqualTo("publish");
              assertThat(c.volumeId()).isEqualTo(VOLUME);
              assertThat(c.target()).isEqualTo(Path.of(TARGET));
              assertThat(c.attributes()).isEqualTo(attributes);
              assertThat(c.secrets()).isEqualTo(Map.of("token", SECRET_VALUE));
              assertThat(c.thread()).startsWith("csi-call-");
            });
  }

  @Test
  void aReaderOnlyAccessModeNeedsNoReadonlyFlag() throws Exception {
    start();

    node().nodePublishVolume(publish(Mode.MULTI_NODE_READER_ONLY, false).build());

    assertThat(volumes.calls).hasSize(1);
  }

  @Test
  void blockAccessIsRefusedBeforeTheVolumes() throws Exception {
    start();
    NodePublishVolumeRequest block =
        publish(Mode.SINGLE_NODE_WRITER, true)
            .setVolumeCapability(
                VolumeCapability.newBuilder()
                    .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                    .setAccessMode(access(Mode.SINGLE_NODE_WRITER)))
            .build();

    assertFails(
        () -> node().nodePublishVolume(block),
        Status.Code.INVALID_ARGUMENT,
        "images.vmtask.dev serves filesystem volumes only");
    assertThat(volumes.calls).isEmpty();
  }

  @Test
  void aWritablePublishIsRefusedBeforeTheVolumes() throws Exception {
    start();

    assertThatThrownBy(
            () -> node().nodePublishVolume(publish(Mode.SINGLE_NODE_WRITER, false).build()))
        .satisfies(
            e -> {
              Status status = Status.fromThrowable(e);
              assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(status.getDescription()).contains("readOnly: true");
            });
    assertThat(volumes.calls).isEmpty();
  }

  @Test
  void incompleteRequestsAreRefusedBeforeTheVolumes() throws Exception {
    start();
    var node = node();

    for (NodePublishVolumeRequest request :
        List.of(
            publish(Mode.SINGLE_NODE_WRITER, true).clearVolumeId().build(),
            publish(Mode.SINGLE_NODE_WRITER, true).clearTargetPath().build(),
            publish(Mode.SINGLE_NODE_WRITER, true).setTargetPath("relative/mount").build(),
            publish(Mode.SINGLE_NODE_WRITER, true).clearVolumeCapability().build(),
            publish(Mode.SINGLE_NODE_WRITER, true)
                .setVolumeCapability(
                    VolumeCapability.newBuilder().setAccessMode(access(Mode.SINGLE_NODE_WRITER)))
                .build())) {
      assertThatThrownBy(() -> node.nodePublishVolume(request))
          .as("%s", request)
          .satisfies(
              e ->
                  assertThat(Status.fromThrowable(e).getCode())
                      .isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
    assertThatThrownBy(
            () ->
                node.nodeUnpublishVolume(
                    NodeUnpublishVolumeRequest.newBuilder().setVolumeId(VOLUME).build()))
        .satisfies(
            e ->
                assertThat(Status.fromThrowable(e).getCode())
                    .isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(volumes.calls).isEmpty();
  }

  @Test
  void aVolumeExceptionReachesTheKubeletWithItsCodeAndMessage() throws Exception {
    start();
    var node = node();
    NodePublishVolumeRequest request = publish(Mode.SINGLE_NODE_WRITER, true).build();

    volumes.failure.set(new VolumeException(Status.Code.NOT_FOUND, "no image at that URL"));
    assertFails(
        () -> node.nodePublishVolume(request), Status.Code.NOT_FOUND, "no image at that URL");

    volumes.failure.set(new VolumeException(Status.Code.FAILED_PRECONDITION, "x"));
    assertFails(() -> node.nodePublishVolume(request), Status.Code.FAILED_PRECONDITION, "x");
    assertThat(volumes.calls).hasSize(2);
  }

  @Test
  void secretValuesAreNeitherLoggedNorSentBack() throws Exception {
    start();
    var node = node();
    NodePublishVolumeRequest request =
        publish(Mode.SINGLE_NODE_WRITER, true).putSecrets("token", SECRET_VALUE).build();
    String log;
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      node.nodePublishVolume(request);

      volumes.failure.set(
          new VolumeException(Status.Code.PERMISSION_DENIED, "token " + SECRET_VALUE + " refused"));
      assertFails(
          () -> node.nodePublishVolume(request),
          Status.Code.PERMISSION_DENIED,
          "token <redacted> refused");

      volumes.failure.set(
          new IllegalStateException(
              "bad header", new IllegalArgumentException("Authorization: Bearer " + SECRET_VALUE)));
      assertThatThrownBy(() -> node.nodePublishVolume(request))
          .satisfies(
              e -> {
                Status status = Status.fromThrowable(e);
                assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
                assertThat(status.getDescription())
                    .contains("IllegalStateException")
                    .doesNotContain(SECRET_VALUE);
              });
    } finally {
      System.setErr(stderr);
      log = captured.toString(StandardCharsets.UTF_8);
    }
    assertThat(volumes.calls).hasSize(3);
    assertThat(log)
        .as("the log of the three publishes")
        .contains(VOLUME, "IllegalArgumentException: Authorization: Bearer <redacted>")
        .doesNotContain(SECRET_VALUE);
  }

  @Test
  void unpublishHandsVolumeAndTargetToTheVolumes() throws Exception {
    start();

    node()
        .nodeUnpublishVolume(
            NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(VOLUME)
                .setTargetPath(TARGET)
                .build());

    assertThat(volumes.calls)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.action()).isEqualTo("unpublish");
              assertThat(c.volumeId()).isEqualTo(VOLUME);
              assertThat(c.target()).isEqualTo(Path.of(TARGET));
            });
  }

  @Test
  void aSecondCallForAVolumeUnderWayIsAbortedAndOtherVolumesGoOn() throws Exception {
    start();
    var node = node();
    volumes.slowVolume = VOLUME;
    var first =
        NodeGrpc.newFutureStub(dial(server.csiSocket()))
            .nodePublishVolume(publish(Mode.SINGLE_NODE_WRITER, true).build());
    assertThat(volumes.entered.await(10, TimeUnit.SECONDS)).isTrue();

    assertFails(
        () ->
            node.nodeUnpublishVolume(
                NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(VOLUME)
                    .setTargetPath(TARGET)
                    .build()),
        Status.Code.ABORTED,
        "an operation on volume " + VOLUME + " is under way");
    node.nodePublishVolume(
        publish(Mode.SINGLE_NODE_WRITER, true)
            .setVolumeId("csi-other")
            .setTargetPath(TARGET + "2")
            .build());
    assertThat(first.isDone()).isFalse();

    volumes.release.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS))
        .isEqualTo(NodePublishVolumeResponse.getDefaultInstance());
    assertThat(volumes.calls)
        .extracting(c -> c.action() + " " + c.volumeId())
        .containsExactlyInAnyOrder("publish " + VOLUME, "publish csi-other");
    node.nodeUnpublishVolume(
        NodeUnpublishVolumeRequest.newBuilder().setVolumeId(VOLUME).setTargetPath(TARGET).build());
    assertThat(volumes.calls).hasSize(3);
  }

  @Test
  void aDeletedCsiSocketIsServedAfresh() throws Exception {
    start();

    Files.delete(server.csiSocket());

    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(server.csiSocket()));
    var identity = IdentityGrpc.newBlockingStub(dial(server.csiSocket()));
    assertThat(identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue()).isTrue();
  }

  @Test
  void aDeletedRegistrationSocketIsServedAfresh() throws Exception {
    start();

    Files.delete(server.registrationSocket());

    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(server.registrationSocket()));
    assertThat(registration().getInfo(InfoRequest.getDefaultInstance()).getName())
        .isEqualTo(DRIVER);
  }

  @Test
  void replacesStaleSocketFiles() throws Exception {
    Path csiSocket = dir.resolve("plugins/images.vmtask.dev/csi.sock");
    Path registrationSocket = dir.resolve("plugins_registry/images.vmtask.dev-reg.sock");
    Files.createDirectories(csiSocket.getParent());
    Files.createDirectories(registrationSocket.getParent());
    Files.writeString(csiSocket, "left over from an earlier run");
    Files.writeString(registrationSocket, "left over from an earlier run");

    start();

    assertThat(node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()).getNodeId())
        .isEqualTo(NODE);
    assertThat(registration().getInfo(InfoRequest.getDefaultInstance()).getType())
        .isEqualTo("CSIPlugin");
  }

  @Test
  void closingStopsServingAndRemovesBothSocketsForGood() throws Exception {
    start();
    ManagedChannel channel = dial(server.csiSocket());
    assertThat(IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance()))
        .isNotNull();

    server.close();

    assertThat(server.csiSocket()).doesNotExist();
    assertThat(server.registrationSocket()).doesNotExist();
    assertFails(
        () ->
            IdentityGrpc.newBlockingStub(dial(server.csiSocket()))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .probe(ProbeRequest.getDefaultInstance()),
        Status.Code.UNAVAILABLE,
        null);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(
            () -> !Files.exists(server.csiSocket()) && !Files.exists(server.registrationSocket()));
  }

  @Test
  void refusesASocketPathTooLongForUnixSockets() {
    Path deep = dir.resolve("a".repeat(100));

    assertThatThrownBy(
            () ->
                new CsiPluginServer(
                    deep,
                    dir.resolve("plugins_registry"),
                    DRIVER,
                    new CsiIdentityService(VERSION),
                    new CsiNodeService(NODE, volumes)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 107");
  }

  private void start() throws Exception {
    server =
        new CsiPluginServer(
            dir.resolve("plugins/images.vmtask.dev"),
            dir.resolve("plugins_registry"),
            DRIVER,
            new CsiIdentityService(VERSION),
            new CsiNodeService(NODE, volumes),
            OFTEN);
    server.start();
  }

  private ManagedChannel dial(Path socket) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(clientLoop)
            .withOption(ChannelOption.SO_KEEPALIVE, null) // none on a unix socket
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    channels.add(channel);
    return channel;
  }

  private NodeGrpc.NodeBlockingStub node() {
    return NodeGrpc.newBlockingStub(dial(server.csiSocket()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private RegistrationGrpc.RegistrationBlockingStub registration() {
    return RegistrationGrpc.newBlockingStub(dial(server.registrationSocket()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** What the kubelet sends for an inline volume: a mount, SINGLE_NODE_WRITER. */
  private static NodePublishVolumeRequest.Builder publish(Mode mode, boolean readonly) {
    return NodePublishVolumeRequest.newBuilder()
        .setVolumeId(VOLUME)
        .setTargetPath(TARGET)
        .setVolumeCapability(
            VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .setAccessMode(access(mode)))
        .setReadonly(readonly);
  }

  private static VolumeCapability.AccessMode access(Mode mode) {
    return VolumeCapability.AccessMode.newBuilder().setMode(mode).build();
  }

  private static void assertFails(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
      Status.Code code,
      String description) {
    assertThatThrownBy(call)
        .satisfies(
            e -> {
              Status status = Status.fromThrowable(e);
              assertThat(status.getCode()).isEqualTo(code);
              if (description != null) {
                assertThat(status.getDescription()).isEqualTo(description);
              }
            });
  }

  /** One call the node service made. */
  record Call(
      String action,
      String volumeId,
      Path target,
      Map<String, String> attributes,
      Map<String, String> secrets,
      String thread) {}

  /** Records each call; fails with {@link #failure} if set, blocks on {@link #slowVolume}. */
  static final class RecordingVolumes implements ImageVolumes {
    final List<Call> calls = new CopyOnWriteArrayList<>();
    final AtomicReference<Exception> failure = new AtomicReference<>();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String slowVolume;

    @Override
    public void publish(
        String volumeId,
        Path targetPath,
        Map<String, String> attributes,
        Map<String, String> secrets)
        throws VolumeException {
      calls.add(
          new Call(
              "publish",
              volumeId,
              targetPath,
              Map.copyOf(attributes),
              Map.copyOf(secrets),
              Thread.currentThread().getName()));
      if (volumeId.equals(slowVolume)) {
        entered.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      fail();
    }

    @Override
    public void unpublish(String volumeId, Path targetPath) throws VolumeException {
      calls.add(
          new Call(
              "unpublish",
              volumeId,
              targetPath,
              Map.of(),
              Map.of(),
              Thread.currentThread().getName()));
      fail();
    }

    private void fail() throws VolumeException {
      Exception e = failure.get();
      if (e instanceof VolumeException v) {
        throw v;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
    }
  }
}
