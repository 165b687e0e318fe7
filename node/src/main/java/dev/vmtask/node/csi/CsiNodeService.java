package dev.vmtask.node.csi;

import dev.vmtask.node.csi.v1.NodeGetCapabilitiesRequest;
import dev.vmtask.node.csi.v1.NodeGetCapabilitiesResponse;
import dev.vmtask.node.csi.v1.NodeGetInfoRequest;
import dev.vmtask.node.csi.v1.NodeGetInfoResponse;
import dev.vmtask.node.csi.v1.NodeGrpc;
import dev.vmtask.node.csi.v1.NodePublishVolumeRequest;
import dev.vmtask.node.csi.v1.NodePublishVolumeResponse;
import dev.vmtask.node.csi.v1.NodeUnpublishVolumeRequest;
import dev.vmtask.node.csi.v1.NodeUnpublishVolumeResponse;
import dev.vmtask.node.csi.v1.VolumeCapability;
import dev.vmtask.node.csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CSI Node service of {@value CsiIdentityService#DRIVER_NAME}: checks each publish and
 * unpublish the kubelet asks for and hands it to {@link ImageVolumes}. No node capabilities: no
 * staging, no volume stats, no expansion.
 *
 * <p>Publishing blocks until the image is there (the kubelet gives a call about two minutes and
 * repeats one that timed out); gRPC runs each call on its server's executor, not on the event loop.
 * A second call for a volume while one is under way gets ABORTED, as the CSI spec asks, which the
 * kubelet takes as "still in progress" and retries later.
 *
 * <p>The request's secrets (the volume's {@code nodePublishSecretRef}) are never logged, and their
 * values are blanked out of every error message that leaves this service.
 */
public final class CsiNodeService extends NodeGrpc.NodeImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(CsiNodeService.class);
  private static final Set<Mode> READER_ONLY_MODES =
      Set.of(Mode.SINGLE_NODE_READER_ONLY, Mode.MULTI_NODE_READER_ONLY);
  static final String REDACTED = "<redacted>";
  private static final int MAX_CAUSES = 16;

  private final String nodeName;
  private final ImageVolumes volumes;

  /** The volumes with a publish or unpublish under way. */
  private final Set<String> busy = ConcurrentHashMap.newKeySet();

  /**
   * @param nodeName the node's name: the node id the kubelet records in the CSINode object
   * @param volumes what publishing and unpublishing do
   */
  public CsiNodeService(String nodeName, ImageVolumes volumes) {
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.volumes = Objects.requireNonNull(volumes, "volumes");
  }

  @Override
  public void nodeGetCapabilities(
      NodeGetCapabilitiesRequest request, StreamObserver<NodeGetCapabilitiesResponse> response) {
    response.onNext(NodeGetCapabilitiesResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void nodeGetInfo(
      NodeGetInfoRequest request, StreamObserver<NodeGetInfoResponse> response) {
    response.onNext(NodeGetInfoResponse.newBuilder().setNodeId(nodeName).build());
    response.onCompleted();
  }

  @Override
  public void nodePublishVolume(
      NodePublishVolumeRequest request, StreamObserver<NodePublishVolumeResponse> response) {
    String volumeId = request.getVolumeId();
    Path target;
    try {
      target = checkPublish(request);
    } catch (StatusException e) {
      LOG.warn("refused to publish volume {}: {}", volumeId, e.getStatus().getDescription());
      response.onError(e);
      return;
    }
    Map<String, String> attributes = request.getVolumeContextMap();
    Map<String, String> secrets = request.getSecretsMap();
    // Counts only: the attributes may carry service account tokens, the secrets are secret.
    LOG.info(
        "publishing volume {} at {} ({} attributes, {} secret keys)",
        volumeId,
        target,
        attributes.size(),
        secrets.size());
    run(
        "publish",
        volumeId,
        target,
        secrets.values(),
        () -> volumes.publish(volumeId, target, attributes, secrets),
        NodePublishVolumeResponse.getDefaultInstance(),
        response);
  }

  @Override
  public void nodeUnpublishVolume(
      NodeUnpublishVolumeRequest request, StreamObserver<NodeUnpublishVolumeResponse> response) {
    String volumeId = request.getVolumeId();
    Path target;
    try {
      target = checkTarget(volumeId, request.getTargetPath());
    } catch (StatusException e) {
      LOG.warn("refused to unpublish volume {}: {}", volumeId, e.getStatus().getDescription());
      response.onError(e);
      return;
    }
    LOG.info("unpublishing volume {} at {}", volumeId, target);
    run(
        "unpublish",
        volumeId,
        target,
        List.of(),
        () -> volumes.unpublish(volumeId, target),
        NodeUnpublishVolumeResponse.getDefaultInstance(),
        response);
  }

  private static Path checkPublish(NodePublishVolumeRequest request) throws StatusException {
    Path target = checkTarget(request.getVolumeId(), request.getTargetPath());
    if (!request.hasVolumeCapability()) {
      throw invalid("volume_capability is required");
    }
    VolumeCapability capability = request.getVolumeCapability();
    switch (capability.getAccessTypeCase()) {
      case MOUNT -> {}
      case BLOCK ->
          throw invalid(CsiIdentityService.DRIVER_NAME + " serves filesystem volumes only");
      default -> throw invalid("volume_capability needs an access type (mount)");
    }
    // An inline volume always comes with SINGLE_NODE_WRITER: readonly is what the pod can set.
    if (!request.getReadonly()
        && !READER_ONLY_MODES.contains(capability.getAccessMode().getMode())) {
      throw invalid(
          CsiIdentityService.DRIVER_NAME
              + " volumes are read-only: set readOnly: true in the pod's csi volume source");
    }
    return target;
  }

  private static Path checkTarget(String volumeId, String targetPath) throws StatusException {
    if (volumeId.isEmpty()) {
      throw invalid("volume_id is required");
    }
    if (targetPath.isEmpty()) {
      throw invalid("target_path is required");
    }
    Path target;
    try {
      target = Path.of(targetPath);
    } catch (InvalidPathException e) {
      throw invalid("target_path is not a valid path");
    }
    if (!target.isAbsolute()) {
      throw invalid("target_path must be absolute, not " + targetPath);
    }
    return target;
  }

  private static StatusException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asException();
  }

  /** A publish or unpublish. */
  private interface VolumeCall {
    void run() throws VolumeException;
  }

  /** Runs {@code call} unless one is under way for the volume, and answers with its outcome. */
  private <T> void run(
      String action,
      String volumeId,
      Path target,
      Collection<String> secrets,
      VolumeCall call,
      T done,
      StreamObserver<T> response) {
    if (!busy.add(volumeId)) {
      LOG.info("{} of volume {}: another call for it is under way", action, volumeId);
      response.onError(
          Status.ABORTED
              .withDescription("an operation on volume " + volumeId + " is under way")
              .asException());
      return;
    }
    try {
      call.run();
    } catch (VolumeException e) {
      // OK is no failure code: a failure reported with it is still one.
      Status.Code code = e.code() == Status.Code.OK ? Status.Code.INTERNAL : e.code();
      String message = redact(e.getMessage(), secrets);
      LOG.warn("{} of volume {} at {} failed: {}: {}", action, volumeId, target, code, message);
      response.onError(Status.fromCode(code).withDescription(message).asException());
      return;
    } catch (RuntimeException e) {
      LOG.error(
          "{} of volume {} at {} failed unexpectedly",
          action,
          volumeId,
          target,
          redact(e, secrets));
      response.onError(
          Status.INTERNAL
              .withDescription(
                  action
                      + " of volume "
                      + volumeId
                      + " failed unexpectedly: "
                      + redact(e.toString(), secrets))
              .asException());
      return;
    } finally {
      busy.remove(volumeId);
    }
    LOG.info("{} of volume {} at {} done", action, volumeId, target);
    response.onNext(done);
    response.onCompleted();
  }

  /** {@code text} with each secret value in it replaced, the longest first. */
  static String redact(String text, Collection<String> secrets) {
    if (text == null) {
      return null;
    }
    List<String> values =
        secrets.stream()
            .filter(v -> !v.isEmpty())
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
    for (String value : values) {
      text = text.replace(value, REDACTED);
    }
    return text;
  }

  /**
   * {@code e} for the log, with secret values replaced in its messages and its causes' (stack
   * traces kept): an exception's message may quote what it was given.
   */
  static Throwable redact(Throwable e, Collection<String> secrets) {
    return secrets.isEmpty() ? e : redact(e, secrets, 0);
  }

  private static Throwable redact(Throwable e, Collection<String> secrets, int depth) {
    if (e == null || depth > MAX_CAUSES) {
      return null; // a cause chain this long loops
    }
    String message = e.getMessage() == null ? "" : ": " + redact(e.getMessage(), secrets);
    RedactedException copy =
        new RedactedException(
            e.getClass().getName() + message, redact(e.getCause(), secrets, depth + 1));
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  /** Stands in for an exception whose message may have held a secret. */
  static final class RedactedException extends RuntimeException {
    RedactedException(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }
}
