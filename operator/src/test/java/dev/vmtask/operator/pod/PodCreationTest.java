package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PodCreationTest {
  @Test
  void policiesThatForbidThePodItselfAreForGood() {
    assertThat(kind(403, "pods \"t-1\" is forbidden: violates PodSecurity \"restricted:latest\""))
        .isEqualTo(PodCreation.Kind.REJECTED);
    assertThat(kind(403, "pods \"t-1\" is forbidden: maximum memory usage per Container is 1Mi"))
        .isEqualTo(PodCreation.Kind.REJECTED);
    assertThat(kind(422, "Pod \"t-1\" is invalid: spec.affinity: Invalid value"))
        .isEqualTo(PodCreation.Kind.REJECTED);
  }

  @Test
  void quotasPermissionsAndTheApiServersTroublesAreForNow() {
    assertThat(kind(403, "pods \"t-1\" is forbidden: exceeded quota: q, requested: pods=1"))
        .isEqualTo(PodCreation.Kind.RETRY);
    assertThat(kind(403, "pods \"t-1\" is forbidden: status unknown for quota: q"))
        .isEqualTo(PodCreation.Kind.RETRY);
    assertThat(kind(403, "pods is forbidden: User \"x\" cannot create resource \"pods\" in the ns"))
        .isEqualTo(PodCreation.Kind.RETRY);
    assertThat(kind(500, "etcdserver: request timed out")).isEqualTo(PodCreation.Kind.RETRY);
    assertThat(kind(429, "too many requests")).isEqualTo(PodCreation.Kind.RETRY);
  }

  @Test
  void theApiServersWordsReachTheMessage() {
    var result = PodCreation.refused(exception(422, "Pod \"t-1\" is invalid: spec: bad"));
    assertThat(result.message())
        .isEqualTo("the API server refused the pod: Pod \"t-1\" is invalid: spec: bad");
  }

  @Test
  void retriesBackOffWithTheTimeRefusalsHaveLasted() {
    assertThat(PodCreation.retryAfter(Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
    assertThat(PodCreation.retryAfter(Duration.ofSeconds(40))).isEqualTo(Duration.ofSeconds(40));
    assertThat(PodCreation.retryAfter(Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(5));
  }

  private static PodCreation.Kind kind(int code, String message) {
    return PodCreation.refused(exception(code, message)).kind();
  }

  private static KubernetesClientException exception(int code, String message) {
    return new KubernetesClientException(
        new StatusBuilder().withCode(code).withMessage(message).build());
  }
}
