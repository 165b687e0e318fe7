package dev.vmtask.e2e;

/** The YAML a user would `kubectl apply` for the end-to-end scenarios. */
final class Manifests {
  private Manifests() {}

  static String image(String name, String url, String sha256) {
    return """
        apiVersion: vmtask.dev/v1alpha1
        kind: VMImage
        metadata:
          name: %s
        spec:
          source:
            http:
              url: %s
          sha256: "%s"
          format: tar.zst
        """
        .formatted(name, url, sha256);
  }

  /**
   * A raw-disk image fetched with an Authorization header from key {@code token} of {@code secret}.
   */
  static String privateRawImage(String name, String url, String sha256, String secret) {
    return """
        apiVersion: vmtask.dev/v1alpha1
        kind: VMImage
        metadata:
          name: %s
        spec:
          source:
            http:
              url: %s
              headers:
                - name: Authorization
                  valueFrom:
                    secretKeyRef:
                      name: %s
                      key: token
          sha256: "%s"
          format: raw
        """
        .formatted(name, url, secret, sha256);
  }

  /** A task running {@code script} with /bin/sh in the guest. */
  static String task(String name, String image, String script, int maxRunTimeSeconds) {
    return """
        apiVersion: vmtask.dev/v1alpha1
        kind: VirtualMachineTask
        metadata:
          name: %s
        spec:
          image: %s
          script: %s
          maxRunTimeSeconds: %d
          machine:
            cpus: 1
            memoryMiB: 256
        """
        .formatted(name, image, yamlString(script), maxRunTimeSeconds);
  }

  /** A task whose file at {@code guestPath} is kept on {@code claim} under {@code subPath}. */
  static String taskWithArtifact(
      String name, String image, String script, String guestPath, String claim, String subPath) {
    return task(name, image, script, 600)
        + """
          artifacts:
            - name: out
              path: %s
              type: file
              volume:
                claimName: %s
                subPath: %s
        """
            .formatted(guestPath, claim, subPath);
  }

  /** A task that stores a screenshot of its display on {@code claim} when it fails. */
  static String taskWithScreenshot(
      String name,
      String image,
      String script,
      int maxRunTimeSeconds,
      String claim,
      String subPath) {
    return task(name, image, script, maxRunTimeSeconds)
        + """
          screenshot:
            when: OnFailure
            volume:
              claimName: %s
              subPath: %s
        """
            .formatted(claim, subPath);
  }

  /**
   * A task whose disk is packaged onto {@code claim} under {@code subPath} and published as VMImage
   * {@code outputImage} when its command exits 0.
   */
  static String taskWithOutput(
      String name, String image, String script, String claim, String subPath, String outputImage) {
    return task(name, image, script, 600)
        + """
          output:
            volume:
              claimName: %s
              subPath: %s
            image:
              name: %s
        """
            .formatted(claim, subPath, outputImage);
  }

  /** An ISO 9660 cdrom image. */
  static String isoImage(String name, String url, String sha256) {
    return image(name, url, sha256).replace("format: tar.zst", "format: iso");
  }

  /**
   * A task that boots {@code cdrom} to install a blank disk of {@code sizeGiB}, packaged onto
   * {@code claim} under {@code subPath}, with a screenshot of the display there too.
   */
  static String installTask(
      String name, String cdrom, int sizeGiB, String script, String claim, String subPath) {
    return """
        apiVersion: vmtask.dev/v1alpha1
        kind: VirtualMachineTask
        metadata:
          name: %s
        spec:
          blankDisk:
            sizeGiB: %d
          cdroms:
            - image: %s
          script: %s
          maxRunTimeSeconds: 300
          machine:
            cpus: 1
            memoryMiB: 256
          screenshot:
            when: Always
            volume:
              claimName: %s
              subPath: %s
          output:
            volume:
              claimName: %s
              subPath: %s
        """
        .formatted(name, sizeGiB, cdrom, yamlString(script), claim, subPath, claim, subPath);
  }

  /** A hostPath PersistentVolume and a claim bound to it (the testbed has no provisioner). */
  static String hostPathClaim(String claim, String volume, String hostPath) {
    return """
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: %2$s
        spec:
          capacity:
            storage: 1Gi
          accessModes: ["ReadWriteOnce"]
          persistentVolumeReclaimPolicy: Retain
          storageClassName: vmtask-e2e
          hostPath:
            path: %3$s
            type: Directory
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: %1$s
        spec:
          accessModes: ["ReadWriteOnce"]
          storageClassName: vmtask-e2e
          volumeName: %2$s
          resources:
            requests:
              storage: 1Gi
        """
        .formatted(claim, volume, hostPath);
  }

  private static String yamlString(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
