package dev.vmtask.operator;

import dev.vmtask.api.image.HttpSource;
import dev.vmtask.api.image.ImagePhase;
import dev.vmtask.api.image.ImageSource;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VMImageSpec;
import dev.vmtask.api.image.VMImageStatus;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/** Small, valid API objects for tests. */
public final class Fixtures {
  public static final String SHA = "a".repeat(64);

  private Fixtures() {}

  public static VMImage image(String namespace, String name) {
    VMImage image = new VMImage();
    image.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(namespace)
            .withName(name)
            .withUid("uid-" + name)
            .withGeneration(1L)
            .build());
    HttpSource http = new HttpSource();
    http.setUrl("http://images.example/" + name + ".qcow2");
    ImageSource source = new ImageSource();
    source.setHttp(http);
    VMImageSpec spec = new VMImageSpec();
    spec.setSource(source);
    spec.setSha256(SHA);
    image.setSpec(spec);
    return image;
  }

  public static VMImage readyImage(String namespace, String name) {
    VMImage image = image(namespace, name);
    VMImageStatus status = new VMImageStatus();
    status.setPhase(ImagePhase.Ready);
    status.setDigest("sha256:" + SHA);
    status.setObservedGeneration(1L);
    image.setStatus(status);
    return image;
  }

  public static VirtualMachineTask task(String namespace, String name, String image) {
    VirtualMachineTask task = new VirtualMachineTask();
    task.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(namespace)
            .withName(name)
            .withUid("uid-" + name)
            .withGeneration(1L)
            .build());
    VirtualMachineTaskSpec spec = new VirtualMachineTaskSpec();
    spec.setImage(image);
    spec.setCommand(List.of("sh", "-c", "echo hello"));
    spec.setMaxRunTimeSeconds(600);
    spec.setBackoffLimit(0);
    task.setSpec(spec);
    return task;
  }
}
