package dev.vmtask.node.csi;

import java.nio.file.Path;
import java.util.Map;

/** What the CSI node service does with a volume: the image cache behind it. */
public interface ImageVolumes {
  /**
   * Makes the image the volume's attributes name available read-only at {@code targetPath}
   * (fetching it first if needed). Idempotent: the kubelet repeats a publish that timed out.
   *
   * @param attributes the inline volume's {@code volumeAttributes}, with the pod's namespace, name
   *     and uid under the {@code csi.storage.k8s.io/pod.*} keys (podInfoOnMount)
   * @param secrets the keys of the volume's {@code nodePublishSecretRef} Secret, read by the
   *     kubelet; empty when there is none
   */
  void publish(
      String volumeId, Path targetPath, Map<String, String> attributes, Map<String, String> secrets)
      throws VolumeException;

  /** Removes what {@link #publish} mounted at {@code targetPath}; idempotent. */
  void unpublish(String volumeId, Path targetPath) throws VolumeException;
}
