package dev.vmtask.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.testbed.Crds;
import dev.vmtask.testbed.TestNamespace;
import dev.vmtask.testbed.Testbed;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CRDs on a real API server: accepted, described, and refusing bad objects by name. */
@Testbed
class CrdValidationIT {
  private static final String SHA = "0123456789abcdef".repeat(4);

  @BeforeAll
  static void installCrds(KubernetesClient client) throws Exception {
    Crds.install(client, Path.of("../crds"));
  }

  @Test
  void everySchemaFieldIsDescribed(KubernetesClient client) {
    for (String crd : List.of("virtualmachinetasks.vmtask.dev", "vmimages.vmtask.dev")) {
      JSONSchemaProps schema =
          client
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName(crd)
              .get()
              .getSpec()
              .getVersions()
              .get(0)
              .getSchema()
              .getOpenAPIV3Schema();
      assertThat(undescribed("", schema.getProperties().get("spec")))
          .as("spec fields of %s without description", crd)
          .isEmpty();
      assertThat(undescribed("", schema.getProperties().get("status")))
          .as("status fields of %s without description", crd)
          .allMatch(path -> path.contains(".conditions."));
    }
  }

  @Test
  void goodObjectsAreAcceptedWithDefaults(KubernetesClient client, TestNamespace ns) {
    client.resource(image(ns, "img", Map.of("sha256", SHA))).create();
    var task = client.resource(task(ns, "ok", Map.of("command", List.of("true")))).create();
    Map<String, Object> spec = task.get("spec");
    assertThat(spec)
        .containsEntry("maxRunTimeSeconds", 3600)
        .containsEntry("backoffLimit", 0)
        .containsEntry("network", "none")
        .containsEntry("acceleration", "auto")
        .doesNotContainKey("screenshot");
    var typed =
        client.resources(VirtualMachineTask.class).inNamespace(ns.name()).withName("ok").get();
    assertThat(typed.getSpec().getCommand()).containsExactly("true");

    var shot =
        client
            .resource(
                task(
                    ns,
                    "shot",
                    Map.of(
                        "command",
                        List.of("true"),
                        "machine",
                        Map.of("graphics", "VGA"),
                        "screenshot",
                        Map.of("volume", Map.of("claimName", "pvc")))))
            .create();
    Map<String, Object> screenshot = shot.get("spec", "screenshot");
    assertThat(screenshot).containsEntry("when", "OnFailure");
  }

  static List<Arguments> badTasks() {
    return List.of(
        Arguments.of(
            Map.of("command", List.of("x"), "script", "y"),
            "exactly one of command or script must be set"),
        Arguments.of(Map.of(), "exactly one of command or script must be set"),
        Arguments.of(cmd("screenshot", true), "spec.screenshot: Invalid value: \"boolean\""),
        Arguments.of(cmd("screenshot", Map.of()), "spec.screenshot.volume: Required value"),
        Arguments.of(
            cmd("screenshot", Map.of("when", "Sometimes", "volume", Map.of("claimName", "pvc"))),
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\""),
        Arguments.of(
            cmd("screenshot", Map.of("volume", Map.of("claimName", "pvc", "subPath", "a/../b"))),
            "subPath must be relative and must not contain '..'"),
        Arguments.of(
            Map.of(
                "command",
                List.of("x"),
                "machine",
                Map.of("graphics", "none"),
                "screenshot",
                Map.of("volume", Map.of("claimName", "pvc"))),
            "a screenshot needs a display"),
        Arguments.of(Map.of("command", List.of()), "spec.command: Invalid value: 0"),
        Arguments.of(cmd("machine", Map.of("cpus", -1)), "spec.machine.cpus: Invalid value: -1"),
        Arguments.of(cmd("machine", Map.of("cpus", 65)), "should be less than or equal to 64"),
        Arguments.of(
            cmd("machine", Map.of("memoryMiB", 10)), "should be greater than or equal to 64"),
        Arguments.of(
            cmd("machine", Map.of("memoryMiB", 100_000_000)),
            "should be less than or equal to 262144"),
        Arguments.of(
            cmd("machine", Map.of("cpus", 4, "cores", 3)),
            "threads * cores * sockets must equal cpus"),
        Arguments.of(
            cmd("machine", Map.of("network", "ne2000")),
            "Unsupported value: \"ne2000\": supported values: \"e1000\", \"rtl8139\", \"virtio-net-pci\""),
        Arguments.of(cmd("machine", Map.of("chipset", "isapc")), "Unsupported value: \"isapc\""),
        Arguments.of(cmd("machine", Map.of("graphics", "cirrus")), "Unsupported value: \"cirrus\""),
        Arguments.of(cmd("machine", Map.of("storage", "scsi")), "Unsupported value: \"scsi\""),
        Arguments.of(cmd("maxRunTimeSeconds", 0), "should be greater than or equal to 1"),
        Arguments.of(cmd("maxRunTimeSeconds", 604801), "should be less than or equal to 604800"),
        Arguments.of(cmd("backoffLimit", 11), "should be less than or equal to 10"),
        Arguments.of(
            cmd("retryPolicy", Map.of("reasons", List.of("NonZeroExit", "ImageFailed"))),
            "reasons may only name retryable reasons"),
        Arguments.of(
            cmd("retryPolicy", Map.of("reasons", List.of("Flaky"))),
            "Unsupported value: \"Flaky\""),
        Arguments.of(
            cmd("retryPolicy", Map.of("exitCodes", List.of(0))),
            "should be greater than or equal to 1"),
        Arguments.of(cmd("activeDeadlineSeconds", 0), "should be greater than or equal to 1"),
        Arguments.of(cmd("ttlSecondsAfterFinished", -5), "should be greater than or equal to 0"),
        Arguments.of(cmd("network", "inbound"), "Unsupported value: \"inbound\""),
        Arguments.of(cmd("acceleration", "hvf"), "Unsupported value: \"hvf\""),
        Arguments.of(
            cmd("env", List.of(Map.of("name", "1BAD", "value", "x"))),
            "spec.env[0].name: Invalid value: \"1BAD\""),
        Arguments.of(
            cmd("env", List.of(Map.of("name", "A"), Map.of("name", "A"))),
            "env names must be unique"),
        Arguments.of(
            cmd(
                "env",
                List.of(
                    Map.of(
                        "name",
                        "TOKEN",
                        "value",
                        "x",
                        "valueFrom",
                        Map.of("secretKeyRef", Map.of("name", "s", "key", "k"))))),
            "an env entry has either value or valueFrom, not both"),
        Arguments.of(
            cmd("env", List.of(Map.of("name", "TOKEN", "valueFrom", Map.of()))),
            "spec.env[0].valueFrom.secretKeyRef: Required value"),
        Arguments.of(cmd("keepFailedVMSeconds", 86401), "should be less than or equal to 86400"),
        Arguments.of(
            cmd("inputs", List.of(Map.of("path", "/root/in"))),
            "an input comes from exactly one of configMap and volume"),
        Arguments.of(
            cmd(
                "inputs",
                List.of(Map.of("path", "root/in", "configMap", Map.of("name", "c", "key", "k")))),
            "input path must be absolute, name a file and not contain '..'"),
        Arguments.of(
            cmd(
                "inputs",
                List.of(
                    Map.of("path", "/a", "configMap", Map.of("name", "c", "key", "k")),
                    Map.of("path", "/a", "configMap", Map.of("name", "c", "key", "j")))),
            "input paths must be unique"),
        Arguments.of(
            cmd(
                "inputs",
                List.of(
                    Map.of("path", "/a", "volume", Map.of("claimName", "c", "subPath", "../x")))),
            "subPath must be relative and must not contain '..'"),
        Arguments.of(
            cmd("artifacts", List.of(artifact("out", "relative/path", "pvc", null))),
            "artifact path must be absolute"),
        Arguments.of(
            cmd("artifacts", List.of(artifact("out", "/x", "pvc", "../up"))),
            "subPath must be relative and must not contain '..'"),
        Arguments.of(
            cmd("artifacts", List.of(artifact("out", "/x", "pvc", "/abs"))),
            "subPath must be relative and must not contain '..'"),
        Arguments.of(
            cmd("artifacts", List.of(artifact("Bad_Name", "/x", "pvc", null))),
            "spec.artifacts[0].name: Invalid value: \"Bad_Name\""),
        Arguments.of(
            cmd(
                "artifacts",
                List.of(artifact("a", "/x", "pvc", null), artifact("a", "/y", "pvc", null))),
            "artifact names must be unique"),
        Arguments.of(
            cmd("blankDisk", Map.of("sizeGiB", 4)),
            "exactly one of image or blankDisk must be set"),
        Arguments.of(
            withoutImage(cmd("blankDisk", Map.of("sizeGiB", 4))),
            "a blank disk needs a cdrom to boot from"),
        Arguments.of(
            withoutImage(cmd("blankDisk", Map.of("sizeGiB", 0))),
            "spec.blankDisk.sizeGiB: Invalid value: 0"),
        Arguments.of(
            cmd(
                "cdroms",
                List.of(Map.of("image", "a"), Map.of("image", "b"), Map.of("image", "c"))),
            "spec.cdroms: Too many: 3"),
        Arguments.of(cmd("output", Map.of()), "spec.output.volume: Required value"),
        Arguments.of(
            cmd("output", Map.of("volume", Map.of("claimName", "c"), "fileName", "a/b")),
            "spec.output.fileName: Invalid value: \"a/b\""),
        Arguments.of(
            cmd(
                "output",
                Map.of("volume", Map.of("claimName", "c"), "image", Map.of("name", "Built"))),
            "spec.output.image.name: Invalid value: \"Built\""));
  }

  @ParameterizedTest
  @MethodSource("badTasks")
  void badTasksAreRefusedWithTheirMessage(
      Map<String, Object> spec, String message, KubernetesClient client, TestNamespace ns) {
    assertThatThrownBy(() -> client.resource(task(ns, "bad", spec)).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(message);
    assertThat(client.resources(VirtualMachineTask.class).inNamespace(ns.name()).list().getItems())
        .isEmpty();
  }

  static List<Arguments> badImages() {
    return List.of(
        Arguments.of(Map.of(), "sha256 is required unless allowUnverified is true"),
        Arguments.of(
            Map.of("allowUnverified", false), "sha256 is required unless allowUnverified is true"),
        Arguments.of(Map.of("sha256", "ABC"), "spec.sha256: Invalid value: \"ABC\""),
        Arguments.of(Map.of("sha256", SHA.toUpperCase()), "should match '^[0-9a-f]{64}$'"),
        Arguments.of(
            Map.of("sha256", SHA, "url", "ftp://host/x.qcow2"),
            "url must be an absolute http:// or https:// URL"),
        Arguments.of(
            Map.of("sha256", SHA, "url", "file:///etc/passwd"),
            "url must be an absolute http:// or https:// URL"),
        Arguments.of(
            Map.of("sha256", SHA, "url", "not a url"),
            "url must be an absolute http:// or https:// URL"),
        Arguments.of(Map.of("sha256", SHA, "format", "vmdk"), "Unsupported value: \"vmdk\""),
        Arguments.of(
            Map.of(
                "sha256",
                SHA,
                "source",
                Map.of(
                    "http",
                    Map.of("url", "https://h/i"),
                    "volume",
                    Map.of("claimName", "c", "path", "i"))),
            "exactly one of http or volume must be set"),
        Arguments.of(
            Map.of("sha256", SHA, "source", Map.of()), "exactly one of http or volume must be set"),
        Arguments.of(
            Map.of(
                "sha256",
                SHA,
                "source",
                Map.of("volume", Map.of("claimName", "c", "path", "ci/../../x"))),
            "path must be a relative file path without '..'"),
        Arguments.of(
            Map.of(
                "sha256",
                SHA,
                "source",
                Map.of("volume", Map.of("claimName", "c", "path", "i.tar.zst")),
                "prefetch",
                Map.of("nodeSelector", Map.of("a", "b"))),
            "prefetch needs an http source"));
  }

  @ParameterizedTest
  @MethodSource("badImages")
  void badImagesAreRefusedWithTheirMessage(
      Map<String, Object> fields, String message, KubernetesClient client, TestNamespace ns) {
    assertThatThrownBy(() -> client.resource(image(ns, "bad", fields)).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(message);
  }

  @Test
  void theSpecCannotChangeOnceCreated(KubernetesClient client, TestNamespace ns) {
    client.resource(task(ns, "fixed", Map.of("command", List.of("true")))).create();
    assertThatThrownBy(() -> patchSpec(client, ns, "{\"spec\":{\"command\":[\"false\"]}}"))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "spec is immutable once created; delete the task and create a new one");
    assertThat(
            client
                .resources(VirtualMachineTask.class)
                .inNamespace(ns.name())
                .withName("fixed")
                .get()
                .getSpec()
                .getCommand())
        .containsExactly("true");
  }

  /**
   * A spec patch; retried on 409, which a controller writing status may cause on a shared cluster.
   */
  private static void patchSpec(KubernetesClient client, TestNamespace ns, String patch) {
    for (int i = 0; ; i++) {
      try {
        client
            .resources(VirtualMachineTask.class)
            .inNamespace(ns.name())
            .withName("fixed")
            .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || i == 10) {
          throw e;
        }
      }
    }
  }

  private static final String NO_IMAGE = "-no-image-";

  private static Map<String, Object> cmd(String key, Object value) {
    return Map.of("command", List.of("true"), key, value);
  }

  private static Map<String, Object> artifact(String name, String path, String claim, String sub) {
    Map<String, Object> volume =
        sub == null ? Map.of("claimName", claim) : Map.of("claimName", claim, "subPath", sub);
    return Map.of("name", name, "path", path, "volume", volume);
  }

  private static GenericKubernetesResource task(
      TestNamespace ns, String name, Map<String, Object> fields) {
    var spec = new java.util.HashMap<String, Object>(fields);
    if (spec.remove(NO_IMAGE) == null) {
      spec.put("image", "img");
    }
    return resource(ns, "VirtualMachineTask", name, spec);
  }

  /** {@code fields} for a task without spec.image (a blank disk). */
  private static Map<String, Object> withoutImage(Map<String, Object> fields) {
    var spec = new java.util.HashMap<String, Object>(fields);
    spec.put(NO_IMAGE, true);
    return spec;
  }

  private static GenericKubernetesResource image(
      TestNamespace ns, String name, Map<String, Object> fields) {
    var spec = new java.util.HashMap<String, Object>(fields);
    Object url = spec.remove("url");
    spec.putIfAbsent(
        "source", Map.of("http", Map.of("url", url == null ? "https://h/i.qcow2" : url)));
    return resource(ns, "VMImage", name, spec);
  }

  private static GenericKubernetesResource resource(
      TestNamespace ns, String kind, String name, Map<String, Object> spec) {
    var r = new GenericKubernetesResource();
    r.setApiVersion("vmtask.dev/v1alpha1");
    r.setKind(kind);
    r.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(name)
            .withNamespace(ns.name())
            .build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  private static List<String> undescribed(String path, JSONSchemaProps props) {
    List<String> missing = new java.util.ArrayList<>();
    if (props.getDescription() == null || props.getDescription().isBlank()) {
      missing.add(path.isEmpty() ? "." : path);
    }
    // Kubernetes' own types (affinity, tolerations) come without descriptions.
    if (path.startsWith(".affinity") || path.startsWith(".tolerations")) {
      return missing;
    }
    if (props.getProperties() != null) {
      props.getProperties().forEach((k, v) -> missing.addAll(undescribed(path + "." + k, v)));
    }
    if (props.getItems() != null && props.getItems().getSchema() != null) {
      var items = props.getItems().getSchema();
      if (items.getProperties() != null) {
        items.getProperties().forEach((k, v) -> missing.addAll(undescribed(path + "." + k, v)));
      }
    }
    return missing;
  }
}
