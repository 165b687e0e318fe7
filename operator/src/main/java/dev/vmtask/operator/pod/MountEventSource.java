package dev.vmtask.operator.pod;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Set;
import java.util.function.Function;

/**
 * The kubelet's FailedMount events on pods, which is where a download's progress and a volume's
 * problems show while a pod waits (see {@link PodWaiting}). Only that reason is watched, so the
 * cache stays small; an event wakes the primary that owns its pod.
 */
public final class MountEventSource {
  private MountEventSource() {}

  /**
   * @param pods the informer of the primary's pods, to find an event's pod
   * @param ownerOf the primary a pod belongs to
   */
  public static <P extends HasMetadata> InformerEventSource<Event, P> create(
      String name,
      Class<P> primary,
      InformerEventSource<Pod, P> pods,
      Function<Pod, Set<ResourceID>> ownerOf,
      EventSourceContext<P> context) {
    var config =
        InformerEventSourceConfiguration.from(Event.class, primary)
            .withName(name)
            .withFieldSelector(
                new FieldSelector(
                    new FieldSelector.Field("reason", PodWaiting.FAILED_MOUNT, false),
                    new FieldSelector.Field("involvedObject.kind", "Pod", false)))
            .withSecondaryToPrimaryMapper(
                (Event event) -> {
                  var about = event.getInvolvedObject();
                  if (about == null || about.getName() == null) {
                    return Set.of();
                  }
                  return pods.get(new ResourceID(about.getName(), about.getNamespace()))
                      .map(ownerOf)
                      .orElse(Set.of());
                })
            .build();
    return new InformerEventSource<>(config, context);
  }
}
