package dev.vmtask.node.deviceplugin;

import dev.vmtask.node.deviceplugin.v1beta1.AllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.AllocateResponse;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.vmtask.node.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.vmtask.node.deviceplugin.v1beta1.Device;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.vmtask.node.deviceplugin.v1beta1.DevicePluginOptions;
import dev.vmtask.node.deviceplugin.v1beta1.DeviceSpec;
import dev.vmtask.node.deviceplugin.v1beta1.Empty;
import dev.vmtask.node.deviceplugin.v1beta1.ListAndWatchResponse;
import dev.vmtask.node.deviceplugin.v1beta1.PreStartContainerRequest;
import dev.vmtask.node.deviceplugin.v1beta1.PreStartContainerResponse;
import dev.vmtask.node.deviceplugin.v1beta1.PreferredAllocationRequest;
import dev.vmtask.node.deviceplugin.v1beta1.PreferredAllocationResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device plugin service for {@code devices.vmtask.dev/kvm}: {@code slots} shareable slots of
 * one /dev/kvm ({@code kvm-0} .. {@code kvm-<slots-1>}), offered only while the node's verdict says
 * KVM runs a guest. Each container that gets a slot gets the daemon's KVM device node as its
 * /dev/kvm, read-write.
 */
public final class KvmDevicePlugin extends DevicePluginGrpc.DevicePluginImplBase {
  static final String CONTAINER_PATH = "/dev/kvm";
  static final String HEALTHY = "Healthy";
  private static final ListAndWatchResponse NO_DEVICES = ListAndWatchResponse.getDefaultInstance();

  private final Path hostDevice;
  private final List<String> slotIds;
  private final Set<String> knownIds;
  private final ListAndWatchResponse allDevices;

  /**
   * Every list sent goes out under this lock, so a stream never gets an older list after a newer
   * one and a stream observer (not safe for concurrent use) is only used by one thread at a time.
   */
  private final Object lock = new Object();

  private final Set<ServerCallStreamObserver<ListAndWatchResponse>> streams =
      ConcurrentHashMap.newKeySet();
  private volatile boolean usable;

  /**
   * @param slots how many containers may hold the device at once (the node's capacity for the
   *     resource while KVM is usable)
   * @param hostDevice the KVM device node on the host that containers get as /dev/kvm
   */
  public KvmDevicePlugin(int slots, Path hostDevice) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be at least 1, not " + slots);
    }
    this.hostDevice = Objects.requireNonNull(hostDevice, "hostDevice");
    List<String> ids = new ArrayList<>(slots);
    ListAndWatchResponse.Builder all = ListAndWatchResponse.newBuilder();
    for (int i = 0; i < slots; i++) {
      ids.add("kvm-" + i);
      all.addDevices(Device.newBuilder().setID("kvm-" + i).setHealth(HEALTHY));
    }
    this.slotIds = List.copyOf(ids);
    this.knownIds = Set.copyOf(ids);
    this.allDevices = all.build();
  }

  /**
   * Offers every slot ({@code usable}) or none; each open ListAndWatch stream gets the new list at
   * once. Safe to call from any thread.
   */
  public void advertise(boolean usable) {
    synchronized (lock) {
      this.usable = usable;
      ListAndWatchResponse devices = devices();
      streams.forEach(stream -> send(stream, devices));
    }
  }

  /** Whether the slots are offered now. */
  public boolean usable() {
    return usable;
  }

  /**
   * Ends the open ListAndWatch streams. For a server that is going away with its kubelet: the next
   * kubelet opens new ones after the plugin registers with it.
   */
  public void closeStreams() {
    synchronized (lock) {
      for (ServerCallStreamObserver<ListAndWatchResponse> stream : streams) {
        if (!stream.isCancelled()) {
          try {
            stream.onCompleted();
          } catch (RuntimeException e) {
            // already closed by its transport: nothing to end
          }
        }
      }
      streams.clear();
    }
  }

  /** ListAndWatch streams open now. */
  int openStreams() {
    return streams.size();
  }

  @Override
  public void getDevicePluginOptions(Empty request, StreamObserver<DevicePluginOptions> response) {
    // No PreStartContainer and no GetPreferredAllocation: every slot is the same device.
    response.onNext(DevicePluginOptions.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void listAndWatch(Empty request, StreamObserver<ListAndWatchResponse> response) {
    var stream = (ServerCallStreamObserver<ListAndWatchResponse>) response;
    // The stream stays open until the kubelet cancels it or the server shuts down.
    stream.setOnCancelHandler(() -> streams.remove(stream));
    synchronized (lock) {
      streams.add(stream);
      send(stream, devices());
    }
  }

  @Override
  public void allocate(AllocateRequest request, StreamObserver<AllocateResponse> response) {
    if (!usable) {
      response.onError(
          Status.FAILED_PRECONDITION
              .withDescription(
                  "KVM is not usable on this node (see its vmtask.dev/kvm label): no slot to"
                      + " allocate")
              .asRuntimeException());
      return;
    }
    AllocateResponse.Builder result = AllocateResponse.newBuilder();
    for (ContainerAllocateRequest container : request.getContainerRequestsList()) {
      for (String id : container.getDevicesIdsList()) {
        if (!knownIds.contains(id)) {
          response.onError(
              Status.INVALID_ARGUMENT
                  .withDescription(
                      "unknown device "
                          + id
                          + " (this plugin's devices are "
                          + slotIds.get(0)
                          + ".."
                          + slotIds.get(slotIds.size() - 1)
                          + ")")
                  .asRuntimeException());
          return;
        }
      }
      // However many slots a container asked for, it gets one /dev/kvm.
      result.addContainerResponses(
          ContainerAllocateResponse.newBuilder()
              .addDevices(
                  DeviceSpec.newBuilder()
                      .setContainerPath(CONTAINER_PATH)
                      .setHostPath(hostDevice.toString())
                      .setPermissions("rw")));
    }
    response.onNext(result.build());
    response.onCompleted();
  }

  @Override
  public void getPreferredAllocation(
      PreferredAllocationRequest request, StreamObserver<PreferredAllocationResponse> response) {
    response.onNext(PreferredAllocationResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void preStartContainer(
      PreStartContainerRequest request, StreamObserver<PreStartContainerResponse> response) {
    response.onNext(PreStartContainerResponse.getDefaultInstance());
    response.onCompleted();
  }

  private ListAndWatchResponse devices() {
    return usable ? allDevices : NO_DEVICES;
  }

  /** Called with {@link #lock} held. */
  private void send(
      ServerCallStreamObserver<ListAndWatchResponse> stream, ListAndWatchResponse devices) {
    if (stream.isCancelled()) {
      streams.remove(stream);
      return;
    }
    try {
      stream.onNext(devices);
    } catch (RuntimeException e) {
      // closed under us (server shutting down): it will hear nothing more
      streams.remove(stream);
    }
  }
}
