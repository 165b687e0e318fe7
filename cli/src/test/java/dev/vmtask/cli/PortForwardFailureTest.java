package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import io.fabric8.kubernetes.client.http.WebSocketUpgradeResponse;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortForwardFailureTest {
  private static WebSocketHandshakeException refusedUpgrade(int code) {
    StandardHttpRequest request =
        new StandardHttpRequest.Builder()
            .uri(URI.create("https://api:6443/api/v1/namespaces/ns/pods/p/portforward?ports=8100"))
            .build();
    return new WebSocketHandshakeException(new WebSocketUpgradeResponse(request, code))
        .initCause(new java.io.IOException("Unexpected HTTP response status code " + code));
  }

  @Test
  void aRefusedUpgradeSaysWhichPermissionIsMissing() {
    String message = PortForwardFailure.describe("ns", "p", 8100, List.of(refusedUpgrade(403)));
    assertThat(message)
        .isEqualTo(
            "not allowed to port-forward to pod ns/p (needs create on pods/portforward):"
                + " HTTP 403 Forbidden");
  }

  @Test
  void theServersStatusMessageIsKeptWhenItCameAlong() {
    KubernetesClientException wrapped =
        new KubernetesClientException(
            new io.fabric8.kubernetes.api.model.StatusBuilder()
                .withCode(403)
                .withMessage(
                    "pods \"p\" is forbidden: User \"bob\" cannot create resource"
                        + " \"pods/portforward\" in API group \"\" in the namespace \"ns\"")
                .build());
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of(wrapped)))
        .isEqualTo(
            "not allowed to port-forward to pod ns/p (needs create on pods/portforward): pods"
                + " \"p\" is forbidden: User \"bob\" cannot create resource \"pods/portforward\""
                + " in API group \"\" in the namespace \"ns\"");
  }

  @Test
  void otherCodesAndTheKubeletsErrorChannel() {
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of(refusedUpgrade(401))))
        .contains("HTTP 401");
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of(refusedUpgrade(404))))
        .startsWith("pod ns/p not found");
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of(refusedUpgrade(500))))
        .contains("refused the port-forward to pod ns/p (HTTP 500)");
    KubernetesClientException kubelet =
        new KubernetesClientException(
            "Received an error from the remote socket error forwarding port 8100 to pod x:"
                + " connection refused");
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of(kubelet)))
        .isEqualTo(
            "cannot reach the agent's interactive port 8100 in pod ns/p: error forwarding port"
                + " 8100 to pod x: connection refused");
    assertThat(PortForwardFailure.describe("ns", "p", 8100, List.of())).isNull();
  }

  /** The whole way: fabric8's port-forward to an API server that answers the upgrade with 403. */
  @Test
  void aForbiddenPortForwardFromARealUpgradeRequest(@TempDir Path dir) throws Exception {
    try (FakeApiServer api = new FakeApiServer()) {
      api.answer(
          "/api/v1/namespaces/ns/pods/p/portforward",
          403,
          FakeApiServer.status(
              403,
              "Forbidden",
              "pods \"p\" is forbidden: User \"bob\" cannot create resource \"pods/portforward\""
                  + " in API group \"\" in the namespace \"ns\""));
      CliArgs args = CliArgs.parse("shell", "--kubeconfig", api.kubeconfig(dir).toString());
      try (Cluster cluster = Cluster.connect(args, Map.of())) {
        KubernetesClient client = cluster.client();
        Transport transport = new PodPortForward(client, "ns", "p", 8100);
        assertThatThrownBy(() -> InteractiveChannel.open(transport, "VMTASK1 console"))
            .isInstanceOf(CliException.class)
            .hasMessage(
                "not allowed to port-forward to pod ns/p (needs create on pods/portforward): pods"
                    + " \"p\" is forbidden: User \"bob\" cannot create resource"
                    + " \"pods/portforward\" in API group \"\" in the namespace \"ns\"");
      }
      assertThat(api.requests).contains("GET /api/v1/namespaces/ns/pods/p/portforward?ports=8100");
    }
  }

  @Test
  void clientBuilderIsTheJdkOne() {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      assertThat(client.getHttpClient().getClass().getName()).contains("jdkhttp");
    }
  }
}
