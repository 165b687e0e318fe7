package dev.vmtask.operator.image;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.pod.FetchPodFactory;
import dev.vmtask.operator.pod.PodCreation;
import dev.vmtask.operator.pod.PodNames;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One fetch pod per node matching {@code spec.prefetch.nodeSelector} that is not known to hold the
 * image. A failed prefetch pod stays (for its log) until the image's spec changes, so a node that
 * cannot fetch is not retried in a loop.
 */
final class ImagePrefetch {
  private ImagePrefetch() {}

  static Duration run(
      VMImage image,
      Map<String, Pod> pods,
      List<String> holding,
      FetchPodFactory factory,
      Context<VMImage> context) {
    var selector = image.getSpec().getPrefetch().getNodeSelector();
    var nodes = context.getClient().nodes().withLabels(selector).list().getItems();
    long generation = image.getMetadata().getGeneration();
    for (Node node : nodes) {
      String name = node.getMetadata().getName();
      String podName = PodNames.prefetchPod(image.getMetadata().getName(), generation, name);
      if (!holding.contains(name) && !pods.containsKey(podName)) {
        // A refused prefetch is tried again at the next rescan; the image itself is unaffected.
        PodCreation.create(context.getClient(), factory.prefetch(image, name), image);
      }
    }
    return VMImageReconciler.PREFETCH_RESCAN;
  }
}
