package dev.vmtask.node.csi;

import com.google.protobuf.BoolValue;
import dev.vmtask.node.csi.v1.GetPluginCapabilitiesRequest;
import dev.vmtask.node.csi.v1.GetPluginCapabilitiesResponse;
import dev.vmtask.node.csi.v1.GetPluginInfoRequest;
import dev.vmtask.node.csi.v1.GetPluginInfoResponse;
import dev.vmtask.node.csi.v1.IdentityGrpc;
import dev.vmtask.node.csi.v1.ProbeRequest;
import dev.vmtask.node.csi.v1.ProbeResponse;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/**
 * The CSI Identity service of {@value #DRIVER_NAME}: its name and version, no plugin capabilities
 * (there is no controller service: its volumes are ephemeral inline volumes, which only the node
 * serves), and always ready.
 */
public final class CsiIdentityService extends IdentityGrpc.IdentityImplBase {
  /** The driver name: the CSIDriver object's name and the {@code driver} of a pod's CSI volume. */
  public static final String DRIVER_NAME = "images.vmtask.dev";

  private final GetPluginInfoResponse info;

  /**
   * @param version what the plugin reports as its vendor version (opaque to the kubelet), e.g. the
   *     daemon's version
   */
  public CsiIdentityService(String version) {
    this.info =
        GetPluginInfoResponse.newBuilder()
            .setName(DRIVER_NAME)
            .setVendorVersion(Objects.requireNonNull(version, "version"))
            .build();
  }

  @Override
  public void getPluginInfo(
      GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> response) {
    response.onNext(info);
    response.onCompleted();
  }

  @Override
  public void getPluginCapabilities(
      GetPluginCapabilitiesRequest request,
      StreamObserver<GetPluginCapabilitiesResponse> response) {
    response.onNext(GetPluginCapabilitiesResponse.getDefaultInstance());
    response.onCompleted();
  }

  /**
   * Ready as soon as it serves: a publish that cannot be done yet fails on its own, with a code
   * that tells the kubelet whether to retry.
   */
  @Override
  public void probe(ProbeRequest request, StreamObserver<ProbeResponse> response) {
    response.onNext(ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build());
    response.onCompleted();
  }
}
