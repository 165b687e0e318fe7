package dev.vmtask.operator.image;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.pod.MountEventSource;
import dev.vmtask.operator.pod.PodLabels;
import dev.vmtask.operator.pod.PrunedPodStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The pods an image learns from: its fetch and prefetch pods, and the task pods that booted it and
 * succeeded (which tell which nodes hold it); the kubelet's FailedMount events on them. Pods point
 * to their image by annotation; only phase changes matter.
 */
final class ImageEventSources {
  private ImageEventSources() {}

  static final String FETCH_PODS = "image-fetch-pods";
  static final String TASK_PODS = "image-task-pods";

  static List<EventSource<?, VMImage>> create(EventSourceContext<VMImage> context) {
    var fetchPods =
        InformerEventSourceConfiguration.from(Pod.class, VMImage.class)
            .withName(FETCH_PODS)
            .withLabelSelector(
                PodLabels.SELECTOR
                    + ","
                    + PodLabels.ROLE
                    + " in ("
                    + PodLabels.ROLE_FETCH
                    + ","
                    + PodLabels.ROLE_PREFETCH
                    + ")")
            .withSecondaryToPrimaryMapper(ImageEventSources::imageOf)
            .withOnUpdateFilter((n, o) -> !Objects.equals(phase(n), phase(o)))
            .withItemStore(new PrunedPodStore())
            .build();
    // Task pods matter to an image only once they succeeded (they report the node holding it);
    // the API server selects those, so running task pods are cached by the task controller only.
    var succeededTaskPods =
        InformerEventSourceConfiguration.from(Pod.class, VMImage.class)
            .withName(TASK_PODS)
            .withLabelSelector(
                PodLabels.SELECTOR + "," + PodLabels.ROLE + "=" + PodLabels.ROLE_TASK)
            .withFieldSelector(
                new FieldSelector(new FieldSelector.Field("status.phase", "Succeeded", false)))
            .withSecondaryToPrimaryMapper(ImageEventSources::imageOf)
            .withOnUpdateFilter((n, o) -> false)
            .withItemStore(new PrunedPodStore())
            .build();
    var fetchPodSource = new InformerEventSource<>(fetchPods, context);
    return List.of(
        fetchPodSource,
        new InformerEventSource<>(succeededTaskPods, context),
        MountEventSource.create(
            "image-mount-events",
            VMImage.class,
            fetchPodSource,
            ImageEventSources::imageOf,
            context));
  }

  /** The image's fetch and prefetch pods, and its task pods that succeeded, by name. */
  @SuppressWarnings("unchecked")
  static Map<String, Pod> pods(VMImage image, Context<VMImage> context) {
    Map<String, Pod> pods = new HashMap<>();
    for (String name : List.of(FETCH_PODS, TASK_PODS)) {
      var source =
          (InformerEventSource<Pod, VMImage>)
              context.eventSourceRetriever().getEventSourceFor(Pod.class, name);
      source.getSecondaryResources(image).forEach(p -> pods.put(p.getMetadata().getName(), p));
    }
    return pods;
  }

  private static Set<ResourceID> imageOf(Pod pod) {
    var annotations = pod.getMetadata().getAnnotations();
    String image = annotations == null ? null : annotations.get(PodLabels.IMAGE_ANNOTATION);
    return image == null
        ? Set.of()
        : Set.of(new ResourceID(image, pod.getMetadata().getNamespace()));
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }
}
