package dev.vmtask.operator.pod;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Objects;

/**
 * Creates a pod for an owner and says what came of it, so that a reconciler never rethrows an API
 * error into a retry it does not control: created (or found, made by us before a restart), refused
 * for good (the pod can never be admitted as it is), or refused for now (quota, RBAC, the API
 * server itself), to be tried again on the reconciler's own backoff.
 */
public final class PodCreation {
  /** Backoff of refused-for-now creations: doubles with the time refusals have lasted. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(5);

  static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private PodCreation() {}

  /** What creating the pod came to. {@code message} is null when it was created. */
  public record Result(Kind kind, String message) {
    public boolean created() {
      return kind == Kind.CREATED;
    }
  }

  public enum Kind {
    CREATED,
    /** A later try can succeed: a quota frees up, RBAC is fixed, the API server recovers. */
    RETRY,
    /** The API server will refuse this pod every time: invalid, forbidden by policy, name taken. */
    REJECTED
  }

  public static Result create(KubernetesClient client, Pod pod, HasMetadata owner) {
    try {
      client.resource(pod).create();
      return new Result(Kind.CREATED, null);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return alreadyExists(client, pod, owner);
      }
      return refused(e);
    }
  }

  /** Made before a restart (or not in the cache yet) is ours; any other pod holds our name. */
  private static Result alreadyExists(KubernetesClient client, Pod pod, HasMetadata owner) {
    String name = pod.getMetadata().getName();
    Pod existing;
    try {
      existing = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
    } catch (KubernetesClientException e) {
      return refused(e);
    }
    if (existing == null) {
      return new Result(Kind.RETRY, "pod " + name + " existed and was just deleted");
    }
    String uid = owner.getMetadata().getUid();
    boolean ours =
        existing.getMetadata().getOwnerReferences() != null
            && existing.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Objects.equals(uid, o.getUid()));
    return ours
        ? new Result(Kind.CREATED, null)
        : new Result(
            Kind.REJECTED,
            "a pod named "
                + name
                + " already exists and does not belong to this "
                + owner.getKind()
                + "; rename the "
                + owner.getKind());
  }

  static Result refused(KubernetesClientException e) {
    String detail = detail(e);
    return permanent(e.getCode(), detail)
        ? new Result(Kind.REJECTED, "the API server refused the pod: " + detail)
        : new Result(Kind.RETRY, "the API server refused the pod for now: " + detail);
  }

  /**
   * Invalid (422) and bad (400) requests never pass. Forbidden (403) is for good when a policy
   * forbids the pod itself (Pod Security, a LimitRange, a terminating namespace), for now when it
   * is a quota or the operator's own permissions. Anything else is the API server's trouble.
   */
  static boolean permanent(int code, String message) {
    return switch (code) {
      case 400, 422 -> true;
      case 403 -> !message.contains("quota") && !message.contains("cannot create resource");
      default -> false;
    };
  }

  /** How long to wait after refusals that have lasted {@code refusedFor}. */
  public static Duration retryAfter(Duration refusedFor) {
    if (refusedFor.compareTo(FIRST_RETRY) < 0) {
      return FIRST_RETRY;
    }
    return refusedFor.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : refusedFor;
  }

  private static String detail(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    return e.getCode() == 0 ? String.valueOf(e.getMessage()) : "HTTP " + e.getCode();
  }
}
