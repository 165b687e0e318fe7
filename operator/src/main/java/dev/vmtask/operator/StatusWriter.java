package dev.vmtask.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Writes a primary's status the way JOSDK documents for controllers that must see their own writes:
 * server-side apply of an object holding only the status, locked to the resourceVersion the
 * reconcile read (so a status computed from a stale read never lands), and cached so the next
 * reconcile starts from it. Events about the change are posted only once the write succeeded.
 */
public final class StatusWriter {
  /** After a conflict: long enough for the informer to deliver the newer object. */
  static final Duration AFTER_CONFLICT = Duration.ofSeconds(1);

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private StatusWriter() {}

  /**
   * Writes {@code status} unless it equals the current one, then runs {@code afterWrite}; comes
   * back after {@code recheck} (null: on the next event).
   */
  public static <S, P extends CustomResource<?, S>> UpdateControl<P> write(
      P primary,
      S status,
      Supplier<P> blank,
      Context<P> context,
      Runnable afterWrite,
      Duration recheck) {
    UpdateControl<P> control = UpdateControl.noUpdate();
    if (primary.getStatus() == null
        || !JSON.asJson(primary.getStatus()).equals(JSON.asJson(status))) {
      P fresh = blank.get();
      fresh.setMetadata(
          new ObjectMetaBuilder()
              .withName(primary.getMetadata().getName())
              .withNamespace(primary.getMetadata().getNamespace())
              .build());
      fresh.setStatus(status);
      try {
        PrimaryUpdateAndCacheUtils.updateAndCacheResource(
            primary,
            context,
            read -> fresh,
            r ->
                context
                    .getClient()
                    .resource(r)
                    .subresource("status")
                    .patch(
                        new PatchContext.Builder()
                            .withForce(true)
                            .withFieldManager(context.getControllerConfiguration().fieldManager())
                            .withPatchType(PatchType.SERVER_SIDE_APPLY)
                            .build()),
            0, // a conflict means the read was stale: decide again from the newer object
            0,
            0);
      } catch (OperatorException e) {
        if (!(e.getCause() instanceof KubernetesClientException k) || k.getCode() != 409) {
          throw e;
        }
        return UpdateControl.<P>noUpdate().rescheduleAfter(AFTER_CONFLICT);
      }
      afterWrite.run();
    }
    return recheck == null ? control : control.rescheduleAfter(recheck);
  }
}
