package dev.vmtask.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtask.operator.HealthServer;
import dev.vmtask.operator.OperatorConfig;
import dev.vmtask.operator.VmtaskOperator;
import dev.vmtask.testbed.Crds;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /healthz, /readyz and /metrics of a real operator, before and after it started. */
class HealthServerIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void probesFollowTheOperatorAndMetricsArePrometheusText() throws Exception {
    var client = PrivateControlPlane.client();
    Crds.install(client, Path.of("../crds"));
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var config = OperatorConfig.fromEnv(Map.of("VMTASK_WATCH_NAMESPACES", "default"));
    var operator = VmtaskOperator.create(config, client, registry, "health-it");
    try (var health = new HealthServer(0, operator, registry).start()) {
      assertThat(get(health, "/healthz").statusCode()).isEqualTo(200);
      var notReady = get(health, "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).startsWith("not ready");
      operator.start();
      try {
        assertThat(get(health, "/readyz").statusCode()).isEqualTo(200);
        var metrics = get(health, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow())
            .startsWith("text/plain");
        assertThat(metrics.body()).contains("# TYPE");
      } finally {
        operator.stop();
      }
    }
  }

  private HttpResponse<String> get(HealthServer health, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
