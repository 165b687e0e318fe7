package dev.vmtask.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.testbed.Crds;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The files in examples/ are accepted by a real API server with the vmtask CRDs. */
@Testbed
class ExamplesIT {
  private static final String URL = "http://192.0.2.10:8099/image.tar.zst";
  private static final String SHA256 = "ab".repeat(32);

  @BeforeAll
  static void installCrds(KubernetesClient client) throws IOException {
    Crds.install(client, RepoRoot.get().resolve("crds"));
  }

  @Test
  void everyExampleIsAcceptedWithItsPlaceholdersFilledIn(
      KubernetesClient client, TestNamespace namespace) throws IOException {
    List<String> accepted = new ArrayList<>();
    for (Path example : examples()) {
      for (HasMetadata object : load(client, filled(example))) {
        HasMetadata created =
            client.resource(object).inNamespace(namespace.name()).dryRun().create();
        accepted.add(
            example.getFileName()
                + ": "
                + created.getKind()
                + "/"
                + created.getMetadata().getName());
        // A task carried as a file (a CronJob's template) must be accepted too.
        if (object instanceof ConfigMap map && map.getData() != null) {
          for (var file : map.getData().entrySet()) {
            if (!file.getKey().endsWith(".yaml")) {
              continue; // e.g. a script a task takes as an input
            }
            for (HasMetadata carried : load(client, file.getValue())) {
              HasMetadata task =
                  client.resource(carried).inNamespace(namespace.name()).dryRun().create();
              accepted.add(
                  example.getFileName()
                      + ": "
                      + task.getKind()
                      + "/"
                      + task.getMetadata().getName());
            }
          }
        }
      }
    }

    assertThat(accepted)
        .contains(
            "debian-cloud.yaml: VMImage/debian-12",
            "debian-cloud.yaml: VirtualMachineTask/debian-uname",
            "vmimage.yaml: VMImage/test-guest",
            "task-hello.yaml: VirtualMachineTask/hello",
            "task-artifact.yaml: PersistentVolume/vmtask-artifacts",
            "task-artifact.yaml: PersistentVolumeClaim/artifacts",
            "task-artifact.yaml: VirtualMachineTask/artifact",
            "nightly-cronjob.yaml: CronJob/nightly-vm-tests",
            "task-ci-job.yaml: ConfigMap/ci-job",
            "task-ci-job.yaml: Secret/ci-token",
            "task-ci-job.yaml: VirtualMachineTask/ci-job",
            "nightly-cronjob.yaml: Role/nightly-vm-tests",
            "image-build.yaml: PersistentVolumeClaim/images",
            "image-build.yaml: VirtualMachineTask/build-toolchain",
            "image-build.yaml: VirtualMachineTask/use-toolchain",
            "image-from-iso.yaml: VMImage/installer",
            "image-from-iso.yaml: VirtualMachineTask/install-system");
    assertThat(accepted)
        .as("the CronJob's task, named by generateName")
        .anyMatch(a -> a.startsWith("nightly-cronjob.yaml: VirtualMachineTask/nightly-"));
  }

  @Test
  void imageExampleWithoutItsDigestIsRefusedWithAReadableMessage(
      KubernetesClient client, TestNamespace namespace) throws IOException {
    String unfilled =
        Files.readString(RepoRoot.get().resolve("examples/vmimage.yaml"))
            .replace("${VMTASK_IMAGE_URL}", URL);
    HasMetadata image = load(client, unfilled).get(0);

    assertThatThrownBy(() -> client.resource(image).inNamespace(namespace.name()).dryRun().create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.sha256");
  }

  private static List<Path> examples() throws IOException {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(RepoRoot.get().resolve("examples"), "*.yaml")) {
      List<Path> all = new ArrayList<>();
      files.forEach(all::add);
      all.sort(null);
      return all;
    }
  }

  private static String filled(Path example) throws IOException {
    return Files.readString(example)
        .replace("${VMTASK_IMAGE_URL}", URL)
        .replace("${VMTASK_IMAGE_SHA256}", SHA256)
        .replace("${VMTASK_ISO_URL}", URL.replace(".tar.zst", ".iso"))
        .replace("${VMTASK_ISO_SHA256}", SHA256);
  }

  private static List<HasMetadata> load(KubernetesClient client, String yaml) {
    return client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
  }
}
