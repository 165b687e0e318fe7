package dev.vmtask.node.csi;

import io.grpc.Status;

/** A publish or unpublish that failed, with the gRPC code the kubelet gets. */
public final class VolumeException extends Exception {
  private final Status.Code code;

  public VolumeException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  public VolumeException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }
}
