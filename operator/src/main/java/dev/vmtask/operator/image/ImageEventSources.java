package dev.vmtask.operator.image;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.pod.MountEventSource;
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

/**
 * The pods an image learns from: its fetch pods and the task pods that booted it (which tell which
 * nodes hold it). Pods point to their image by annotation; only phase changes matter.
 */
final class ImageEventSources {
  private ImageEventSources() {}

  static List<EventSource<?, VMImage>> create(EventSourceContext<VMImage> context) {
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, VMImage.class)
            .withName("image-pods")
            .withLabelSelector(PodLabels.SELECTOR)
            .withSecondaryToPrimaryMapper(ImageEventSources::imageOf)
            .withOnAddFilter(ImageEventSources::concernsImage)
            .withOnUpdateFilter((n, o) -> !Objects.equals(phase(n), phase(o)) && concernsImage(n))
            .build();
    var podSource = new InformerEventSource<>(pods, context);
    return List.of(
        podSource,
        MountEventSource.create(
            "image-mount-events", VMImage.class, podSource, ImageEventSources::imageOf, context));
  }

  private static Set<ResourceID> imageOf(Pod pod) {
    var annotations = pod.getMetadata().getAnnotations();
    String image = annotations == null ? null : annotations.get(PodLabels.IMAGE_ANNOTATION);
    return image == null
        ? Set.of()
        : Set.of(new ResourceID(image, pod.getMetadata().getNamespace()));
  }

  /** Fetch pods always; task pods only once they succeeded (they may report a node). */
  private static boolean concernsImage(Pod pod) {
    String role = pod.getMetadata().getLabels().get(PodLabels.ROLE);
    return !PodLabels.ROLE_TASK.equals(role) || "Succeeded".equals(phase(pod));
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }
}
