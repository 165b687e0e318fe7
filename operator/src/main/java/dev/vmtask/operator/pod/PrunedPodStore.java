package dev.vmtask.operator.pod;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The informer store of the operator's pods, holding only what the operator reads: metadata without
 * managedFields, the node name, and the status. A task pod's spec carries the whole task in its
 * agent's environment and is by far the biggest part of it; the operator never reads it back, so a
 * cache of thousands of pods stays a few KiB per pod.
 */
public final class PrunedPodStore extends BasicItemStore<Pod> {
  public PrunedPodStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public Pod put(String key, Pod pod) {
    return super.put(key, prune(pod));
  }

  static Pod prune(Pod pod) {
    return new PodBuilder()
        .withApiVersion(pod.getApiVersion())
        .withKind(pod.getKind())
        .withMetadata(
            pod.getMetadata() == null
                ? null
                : new ObjectMetaBuilder(pod.getMetadata()).withManagedFields().build())
        .withNewSpec()
        .withNodeName(pod.getSpec() == null ? null : pod.getSpec().getNodeName())
        .endSpec()
        .withStatus(pod.getStatus())
        .build();
  }
}
