package dev.vmtask.operator.task;

import dev.vmtask.api.image.GuestAgentMode;
import dev.vmtask.api.image.ImageFormat;
import dev.vmtask.api.image.ImageSource;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VMImageSpec;
import dev.vmtask.api.image.VolumeSource;
import dev.vmtask.api.task.OutputResult;
import dev.vmtask.api.task.TaskOutput;
import dev.vmtask.api.task.TaskPhase;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.pod.PodLabels;
import dev.vmtask.operator.pod.PodNames;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;

/**
 * Publishes a succeeded task's output as the VMImage its spec names, by server-side apply: a later
 * build updates the same image. An image that no build created is never taken over, so a task
 * cannot replace an image someone else maintains.
 */
final class OutputPublication {
  static final String FIELD_MANAGER = "vmtask-output";

  /** Marks an image a task's output created; its value is the task's name. */
  static final String BUILT_BY = "vmtask.dev/built-by-task";

  static final Duration RETRY = Duration.ofSeconds(30);

  private OutputPublication() {}

  /**
   * Publishes when due (the next status says Succeeded with an output, not yet published); returns
   * when to try again after a refusal, else null.
   */
  static Duration publish(
      VirtualMachineTask task, TaskStatusUpdates next, KubernetesClient client) {
    TaskOutput requested = task.getSpec().getOutput();
    OutputResult result = next.output();
    if (next.phase() != TaskPhase.Succeeded
        || requested == null
        || requested.getImage() == null
        || result == null
        || result.getImage() != null) {
      return null;
    }
    String name = requested.getImage().getName();
    String namespace = task.getMetadata().getNamespace();
    try {
      VMImage existing =
          client.resources(VMImage.class).inNamespace(namespace).withName(name).get();
      if (existing != null
          && (existing.getMetadata().getLabels() == null
              || !existing.getMetadata().getLabels().containsKey(BUILT_BY))) {
        next.outputRefused(
            "VMImage "
                + name
                + " exists and was not created by a task's output; it is left alone (delete it,"
                + " or name another image in spec.output.image)");
        return RETRY;
      }
      client
          .resource(desired(task, result, name))
          .fieldManager(FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
      next.outputPublished(name);
      return null;
    } catch (KubernetesClientException e) {
      next.outputRefused("VMImage " + name + " could not be applied: " + e.getMessage());
      return RETRY;
    }
  }

  static VMImage desired(VirtualMachineTask task, OutputResult result, String name) {
    VolumeSource volume = new VolumeSource();
    volume.setClaimName(result.getClaimName());
    volume.setPath(result.getPath());
    ImageSource source = new ImageSource();
    source.setVolume(volume);
    VMImageSpec spec = new VMImageSpec();
    spec.setSource(source);
    spec.setSha256(result.getSha256());
    spec.setFormat(ImageFormat.TAR_ZST);
    spec.setGuestAgent(guestAgent(result));
    VMImage image = new VMImage();
    image.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(task.getMetadata().getNamespace())
            .addToLabels(BUILT_BY, PodNames.labelValue(task.getMetadata().getName()))
            .addToLabels(PodLabels.PART_OF, "vmtask")
            .build());
    image.setSpec(spec);
    return image;
  }

  /** How the guest agent came into the build's VM is how it comes into the image's VMs. */
  private static GuestAgentMode guestAgent(OutputResult result) {
    GuestAgentMode used = result.getGuestAgent();
    return used == null ? GuestAgentMode.PREINSTALLED : used;
  }
}
