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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device plugin service for {@code devices.vmtask.dev/kvm}: {@code slots} shareable slots of
 * one /dev/kvm, offered only while the node's verdict says KVM runs a guest. Each container that
 * gets a slot gets the daemon's KVM device node as its /dev/kvm, read-write.
 */
public final class KvmDevicePlugin extends DevicePluginGrpc.DevicePluginImplBase {
  static final String CONTAINER_PATH = "/dev/kvm";
  static final String HEALTHY = "Healthy";

  private final int slots;
  private final Path hostDevice;
  private final Set<ServerCallStreamObserver<ListAndWatchResponse>> watchers =
      ConcurrentHashMap.newKeySet();
  private volatile boolean usable;

  public KvmDevicePlugin(int slots, Path hostDevice) {
    this.slots = slots;
    this.hostDevice = hostDevice;
  }

  /** Offers every slot, or none; open ListAndWatch streams hear of it at once. */
  public void advertise(boolean usable) {
    this.usable = usable;
    ListAndWatchResponse devices = devices();
    watchers.forEach(w -> send(w, devices));
  }

  public boolean usable() {
    return usable;
  }

  /** Ends the open ListAndWatch streams (the kubelet then waits for a new registration). */
  public void closeStreams() {
    watchers.forEach(
        w -> {
          synchronized (w) {
            if (!w.isCancelled()) {
              w.onCompleted();
            }
          }
        });
    watchers.clear();
  }

  @Override
  public void getDevicePluginOptions(Empty request, StreamObserver<DevicePluginOptions> response) {
    response.onNext(DevicePluginOptions.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void listAndWatch(Empty request, StreamObserver<ListAndWatchResponse> response) {
    var stream = (ServerCallStreamObserver<ListAndWatchResponse>) response;
    stream.setOnCancelHandler(() -> watchers.remove(stream));
    watchers.add(stream);
    send(stream, devices());
  }

  @Override
  public void allocate(AllocateRequest request, StreamObserver<AllocateResponse> response) {
    if (!usable) {
      response.onError(
          Status.FAILED_PRECONDITION
              .withDescription("KVM is not usable on this node (see its vmtask.dev/kvm label)")
              .asRuntimeException());
      return;
    }
    AllocateResponse.Builder result = AllocateResponse.newBuilder();
    for (ContainerAllocateRequest container : request.getContainerRequestsList()) {
      for (String id : container.getDevicesIdsList()) {
        if (!isSlot(id)) {
          response.onError(
              Status.INVALID_ARGUMENT
                  .withDescription(
                      "unknown device " + id + " (slots are kvm-0..kvm-" + (slots - 1) + ")")
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

  ListAndWatchResponse devices() {
    ListAndWatchResponse.Builder b = ListAndWatchResponse.newBuilder();
    if (usable) {
      for (int i = 0; i < slots; i++) {
        b.addDevices(Device.newBuilder().setID("kvm-" + i).setHealth(HEALTHY));
      }
    }
    return b.build();
  }

  private boolean isSlot(String id) {
    if (!id.startsWith("kvm-")) {
      return false;
    }
    try {
      int n = Integer.parseInt(id.substring(4));
      return n >= 0 && n < slots;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void send(ServerCallStreamObserver<ListAndWatchResponse> stream, ListAndWatchResponse r) {
    synchronized (stream) { // a stream is not safe for concurrent onNext
      if (stream.isCancelled()) {
        watchers.remove(stream);
        return;
      }
      try {
        stream.onNext(r);
      } catch (RuntimeException e) {
        watchers.remove(stream);
      }
    }
  }
}
