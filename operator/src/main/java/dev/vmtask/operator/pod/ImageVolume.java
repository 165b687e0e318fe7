package dev.vmtask.operator.pod;

import dev.vmtask.api.image.HttpHeader;
import dev.vmtask.api.image.ImageFormat;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VolumeSource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code images.vmtask.dev} inline CSI volume that brings a VMImage into an agent pod: the node
 * daemon fetches the image into its cache unless there and mounts it read-only (docs/install.md).
 * An image from a claim comes as that claim, read-only, for the agent to import. Header values
 * reach the daemon only, through the volume's {@code nodePublishSecretRef}: the kubelet reads that
 * Secret, so neither the pod nor the daemon's credentials see it.
 */
final class ImageVolume {
  static final String DRIVER = "images.vmtask.dev";
  static final String NAME = "image";
  static final String MOUNT_PATH = "/image";
  static final String CLAIM_MOUNT_PATH = "/image-source";

  /** Assumed when the image has not been measured yet. */
  static final long DEFAULT_VIRTUAL_BYTES = 10L << 30;

  private static final long GIB = 1L << 30;
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private ImageVolume() {}

  /** Where one image goes in a pod: the boot image, or cdrom {@code n}. */
  record Slot(String volume, String mountPath, String claimMountPath) {
    static final Slot BOOT = new Slot(NAME, MOUNT_PATH, CLAIM_MOUNT_PATH);

    static Slot cdrom(int n) {
      return new Slot("cdrom-" + n, "/cdroms/" + n, "/cdrom-sources/" + n);
    }
  }

  static Volume of(VMImage image) {
    return of(image, Slot.BOOT);
  }

  static Volume of(VMImage image, Slot slot) {
    VolumeSource claim = image.getSpec().getSource().getVolume();
    if (claim != null) {
      return new VolumeBuilder()
          .withName(slot.volume())
          .withNewPersistentVolumeClaim()
          .withClaimName(claim.getClaimName())
          .withReadOnly(true)
          .endPersistentVolumeClaim()
          .build();
    }
    var http = image.getSpec().getSource().getHttp();
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("url", http.getUrl());
    String sha256 = ImageSource.expectedSha256(image);
    if (sha256 != null) {
      attributes.put("sha256", sha256);
    }
    ImageFormat format = image.getSpec().getFormat();
    attributes.put("format", format == null ? "auto" : formatId(format));
    List<HttpHeader> headers = http.getHeaders() == null ? List.of() : http.getHeaders();
    for (int i = 0; i < headers.size(); i++) {
      attributes.put("header." + i + ".name", headers.get(i).getName());
      attributes.put(
          "header." + i + ".secretKey", headers.get(i).getValueFrom().getSecretKeyRef().getKey());
    }
    VolumeBuilder volume =
        new VolumeBuilder()
            .withName(slot.volume())
            .withNewCsi()
            .withDriver(DRIVER)
            .withReadOnly(true)
            .withVolumeAttributes(attributes)
            .endCsi();
    if (!headers.isEmpty()) {
      // One Secret for all headers: the CRD's validation guarantees it.
      String secret = headers.get(0).getValueFrom().getSecretKeyRef().getName();
      volume.editCsi().withNewNodePublishSecretRef(secret).endCsi();
    }
    return volume.build();
  }

  static VolumeMount mount(VMImage image) {
    return mount(image, Slot.BOOT);
  }

  static VolumeMount mount(VMImage image, Slot slot) {
    return new VolumeMountBuilder()
        .withName(slot.volume())
        .withMountPath(fromClaim(image) ? slot.claimMountPath() : slot.mountPath())
        .withReadOnly(true)
        .build();
  }

  /**
   * An image from a claim is not served by the node daemon: the agent imports the claim's file into
   * its own scratch space, with the same checks as a download.
   */
  static boolean fromClaim(VMImage image) {
    return image.getSpec().getSource().getVolume() != null;
  }

  /** The image as the agent opens it: the daemon's URL, or the file in the mounted claim. */
  static String url(VMImage image) {
    return url(image, Slot.BOOT);
  }

  static String url(VMImage image, Slot slot) {
    VolumeSource claim = image.getSpec().getSource().getVolume();
    return claim == null
        ? image.getSpec().getSource().getHttp().getUrl()
        : Path.of(slot.claimMountPath(), claim.getPath()).toUri().toString();
  }

  /**
   * The most a VM's overlay (and the pod's other scratch files) may take: the disk's {@code
   * virtual} size, which a guest can fill at most, plus 1 GiB for the config drive, screenshot and
   * logs; a packaged disk is flattened there first, and images from claims ({@code imported} bytes)
   * are imported there too.
   */
  static long scratchLimitBytes(long virtual, boolean packagesDisk, long imported) {
    return (packagesDisk ? 2 : 1) * virtual + imported + GIB;
  }

  /** What importing {@code image} from its claim takes in scratch (0 for the daemon's). */
  static long importBytes(VMImage image) {
    return fromClaim(image) ? virtualBytes(image) : 0;
  }

  static Quantity scratchLimit(VMImage image) {
    return new Quantity(
        Long.toString(scratchLimitBytes(virtualBytes(image), false, importBytes(image))));
  }

  /** What a VM usually writes: 1 GiB plus an eighth of its disk (and the import of a claim's). */
  static Quantity scratchRequest(long virtual, long imported) {
    return new Quantity(Long.toString(GIB + virtual / 8 + imported));
  }

  static long virtualBytes(VMImage image) {
    Long v = image.getStatus() == null ? null : image.getStatus().getVirtualSizeBytes();
    return v == null || v <= 0 ? DEFAULT_VIRTUAL_BYTES : v;
  }

  /** The format's name in the API ({@code tar.zst}, ...), as the daemon reads it. */
  private static String formatId(ImageFormat format) {
    return JSON.asJson(format).replace("\"", "");
  }
}
