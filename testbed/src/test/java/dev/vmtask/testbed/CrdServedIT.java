package dev.vmtask.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The control plane serves CRDs: established, stored, validated against their schema. */
@Testbed(Mode.CONTROL_PLANE)
class CrdServedIT {
  private static final String GROUP = "testbed.vmtask.dev";
  private static final String CRD_NAME = "widgets." + GROUP;

  @BeforeAll
  static void applyCrd(KubernetesClient client) {
    client.apiextensions().v1().customResourceDefinitions().resource(widgetCrd()).serverSideApply();
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .withName(CRD_NAME)
        .waitUntilCondition(CrdServedIT::established, 60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void deleteCrd(KubernetesClient client) {
    client.apiextensions().v1().customResourceDefinitions().withName(CRD_NAME).delete();
  }

  @Test
  void reportsTheVersionItWasBuiltAs(KubernetesClient client) {
    assumeFalse(TestbedCluster.isExternal(), "an existing cluster (KUBECONFIG) is not our build");
    VersionInfo version = client.getKubernetesVersion();
    assertThat(version.getGitVersion()).isEqualTo("v1.35.4");
    assertThat(version.getMajor()).isEqualTo("1");
    assertThat(version.getMinor()).isEqualTo("35");
  }

  @Test
  void storesAndReturnsACustomObject(KubernetesClient client, TestNamespace namespace) {
    widgets(client, namespace)
        .resource(widget("small", Map.of("size", 3, "color", "red")))
        .create();

    GenericKubernetesResource read = widgets(client, namespace).withName("small").get();

    assertThat(read.getMetadata().getUid()).isNotBlank();
    assertThat(read.get("spec", "size").toString()).isEqualTo("3");
    assertThat((String) read.get("spec", "color")).isEqualTo("red");
  }

  @Test
  void rejectsAnObjectTheSchemaForbids(KubernetesClient client, TestNamespace namespace) {
    var tooBig = widget("huge", Map.of("size", 42, "color", "green"));

    assertThatThrownBy(() -> widgets(client, namespace).resource(tooBig).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.size")
        .hasMessageContaining("spec.color");
    assertThat(widgets(client, namespace).withName("huge").get()).isNull();
  }

  private static NonNamespaceOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      widgets(KubernetesClient client, TestNamespace namespace) {
    return client.genericKubernetesResources(GROUP + "/v1", "Widget").inNamespace(namespace.name());
  }

  private static GenericKubernetesResource widget(String name, Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(GROUP + "/v1")
        .withKind("Widget")
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static CustomResourceDefinition widgetCrd() {
    var spec =
        new JSONSchemaPropsBuilder()
            .withType("object")
            .withRequired("size")
            .addToProperties(
                "size",
                new JSONSchemaPropsBuilder()
                    .withType("integer")
                    .withMinimum(1.0)
                    .withMaximum(10.0)
                    .build())
            .addToProperties(
                "color",
                new JSONSchemaPropsBuilder()
                    .withType("string")
                    .withEnum(TextNode.valueOf("red"), TextNode.valueOf("blue"))
                    .build())
            .build();
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata()
        .withName(CRD_NAME)
        .endMetadata()
        .withNewSpec()
        .withGroup(GROUP)
        .withScope("Namespaced")
        .withNewNames()
        .withKind("Widget")
        .withListKind("WidgetList")
        .withPlural("widgets")
        .withSingular("widget")
        .endNames()
        .addNewVersion()
        .withName("v1")
        .withServed(true)
        .withStorage(true)
        .withNewSchema()
        .withNewOpenAPIV3Schema()
        .withType("object")
        .addToProperties("spec", spec)
        .endOpenAPIV3Schema()
        .endSchema()
        .endVersion()
        .endSpec()
        .build();
  }
}
