package dev.vmtask.operator.task;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.pod.PodLabels;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What wakes a task up: its pods (found through their owner reference) and its image (found through
 * an index of tasks by image name; only phase and spec changes of an image matter).
 */
final class TaskEventSources {
  static final String BY_IMAGE = "vmtask.dev/by-image";

  private TaskEventSources() {}

  static List<EventSource<?, VirtualMachineTask>> create(
      EventSourceContext<VirtualMachineTask> context) {
    context
        .getPrimaryCache()
        .addIndexer(
            BY_IMAGE, t -> List.of(key(t.getMetadata().getNamespace(), t.getSpec().getImage())));
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, VirtualMachineTask.class)
            .withName("task-pods")
            .withLabelSelector(
                PodLabels.SELECTOR + "," + PodLabels.ROLE + "=" + PodLabels.ROLE_TASK)
            .build();
    var images =
        InformerEventSourceConfiguration.from(VMImage.class, VirtualMachineTask.class)
            .withName("task-images")
            .withSecondaryToPrimaryMapper(
                (VMImage image) ->
                    context
                        .getPrimaryCache()
                        .byIndex(
                            BY_IMAGE,
                            key(image.getMetadata().getNamespace(), image.getMetadata().getName()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (VirtualMachineTask task) ->
                    Set.of(
                        new ResourceID(
                            task.getSpec().getImage(), task.getMetadata().getNamespace())))
            .withOnUpdateFilter(TaskEventSources::matters)
            .build();
    return List.of(
        new InformerEventSource<>(pods, context), new InformerEventSource<>(images, context));
  }

  /** Tasks only care when an image becomes (un)usable, not about its node list. */
  private static boolean matters(VMImage newImage, VMImage oldImage) {
    return !Objects.equals(phase(newImage), phase(oldImage))
        || !Objects.equals(
            newImage.getMetadata().getGeneration(), oldImage.getMetadata().getGeneration())
        || !Objects.equals(observed(newImage), observed(oldImage));
  }

  private static Object phase(VMImage image) {
    return image.getStatus() == null ? null : image.getStatus().getPhase();
  }

  private static Object observed(VMImage image) {
    return image.getStatus() == null ? null : image.getStatus().getObservedGeneration();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
