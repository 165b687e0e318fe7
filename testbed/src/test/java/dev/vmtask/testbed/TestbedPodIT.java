package dev.vmtask.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The full testbed runs pods: an image built locally (no registry) runs to completion on the node,
 * its log comes back through the API server and the kubelet, and from inside the pod the API server
 * answers at the kubernetes service's ClusterIP.
 */
@Testbed(Mode.FULL)
class TestbedPodIT {
  private static final String IMAGE = "vmtask.dev/testbed-probe:1";
  private static final Set<String> FINISHED = Set.of("Succeeded", "Failed");

  @BeforeAll
  static void buildProbeImage() throws URISyntaxException {
    assumeFalse(
        TestbedCluster.isExternal(),
        "images are imported into the testbed's containerd, not into an existing cluster's");
    Path context = Path.of(TestbedPodIT.class.getResource("/probe-image").toURI());
    System.err.print(
        TestbedScripts.locate().buildImage(context.resolve("Containerfile"), context, IMAGE));
  }

  @Test
  void runsALocallyBuiltImageToCompletion(KubernetesClient client, TestNamespace namespace) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("probe")
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            // Test namespaces enforce the restricted Pod Security Standard.
            .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(65534L)
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .addNewContainer()
            .withName("probe")
            .withImage(IMAGE)
            .withImagePullPolicy("IfNotPresent")
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .addToDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();
    client.pods().inNamespace(namespace.name()).resource(pod).create();

    Pod done =
        client
            .pods()
            .inNamespace(namespace.name())
            .withName("probe")
            .waitUntilCondition(
                p -> p != null && FINISHED.contains(String.valueOf(p.getStatus().getPhase())),
                3,
                TimeUnit.MINUTES);
    String log = client.pods().inNamespace(namespace.name()).withName("probe").getLog();

    assertThat(done.getStatus().getPhase()).as("phase; log:%n%s", log).isEqualTo("Succeeded");
    assertThat(
            done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode())
        .isZero();
    assertThat(log)
        .contains("probe running in pod probe")
        .contains("api at 10.0.0.1:443")
        .contains("\"gitVersion\": \"v1.35.4\"")
        .contains("probe done");
  }
}
