package dev.vmtask.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The informer store of the operator's primaries (tasks, images), without what only other clients
 * read: managedFields (a field tree per writer, as big as the object itself once the status is
 * written by server-side apply) and kubectl's last-applied-configuration (a second copy of the
 * spec). With thousands of tasks they were most of the operator's heap.
 */
public final class SlimItemStore<R extends HasMetadata> extends BasicItemStore<R> {
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  public SlimItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public R put(String key, R object) {
    var meta = object.getMetadata();
    if (meta != null) {
      meta.setManagedFields(null);
      if (meta.getAnnotations() != null) {
        meta.getAnnotations().remove(LAST_APPLIED);
      }
    }
    return super.put(key, object);
  }
}
