package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the chart renders is accepted by a real API server with strict field validation, so a
 * misspelt field (which the client-side model would silently keep) fails here.
 */
@Testbed
class ChartManifestsIT {

  @Test
  void renderedObjectsPassStrictServerSideValidation(
      KubernetesClient client, TestNamespace namespace) {
    for (Map<String, Object> values :
        List.<Map<String, Object>>of(
            Map.of(),
            Map.of("replicaCount", 2, "agent.node.maxCPUs", 4, "watchNamespaces[0]", "ci"))) {
      List<String> accepted = new ArrayList<>();
      for (HasMetadata object : render(namespace.name(), values).objects()) {
        if (object.getKind().equals("CSIDriver")) {
          // Its name is the driver's, fixed: an installed release already holds it.
          object.getMetadata().setName(namespace.name() + ".images.vmtask.dev");
        }
        HasMetadata created =
            client
                .resource(object)
                .inNamespace(namespace.name())
                .dryRun()
                .fieldValidation(Validation.STRICT)
                .create();
        accepted.add(created.getKind());
      }

      assertThat(accepted).as("values %s", values).contains("Deployment", "ClusterRole");
    }
  }

  @Test
  void strictValidationWouldCatchAMisspeltField(KubernetesClient client, TestNamespace namespace) {
    Deployment deployment = render(namespace.name(), Map.of()).one(Deployment.class);
    deployment
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getSecurityContext()
        .setAdditionalProperty("readOnlyRootFileSystem", true);

    assertThatThrownBy(
            () ->
                client
                    .resource(deployment)
                    .inNamespace(namespace.name())
                    .dryRun()
                    .fieldValidation(Validation.STRICT)
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("readOnlyRootFileSystem");
  }

  private static RenderedChart render(String namespace, Map<String, Object> values) {
    TemplateCommand template =
        new Helm(RepoRoot.chart())
            .template()
            // Not the release name of the end-to-end tests, whose cluster objects may exist.
            .withName("vmtask-strict-check")
            .withNamespace(namespace)
            .withKubeVersion("1.35.4");
    values.forEach(template::set);
    return RenderedChart.parse(template.call());
  }
}
