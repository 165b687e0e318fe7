package dev.vmtask.operator.pod;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmtask.api.image.GuestAgentMode;
import dev.vmtask.api.image.HeaderValueSource;
import dev.vmtask.api.image.HttpHeader;
import dev.vmtask.api.image.ImageFormat;
import dev.vmtask.api.image.ImageNode;
import dev.vmtask.api.image.SecretKeyRef;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.image.VolumeSource;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.task.Acceleration;
import dev.vmtask.api.task.Artifact;
import dev.vmtask.api.task.ArtifactVolume;
import dev.vmtask.api.task.BlankDisk;
import dev.vmtask.api.task.EnvVar;
import dev.vmtask.api.task.EnvVarSource;
import dev.vmtask.api.task.Input;
import dev.vmtask.api.task.Screenshot;
import dev.vmtask.api.task.TaskOutput;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.operator.Fixtures;
import dev.vmtask.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskPodFactoryTest {
  private static final AccelerationPlan KVM =
      new AccelerationPlan(AccelerationPlan.Kind.KVM_DEVICE, "kvm");
  private static final AccelerationPlan TCG =
      new AccelerationPlan(AccelerationPlan.Kind.TCG, "tcg");
  private final OperatorConfig config =
      OperatorConfig.fromEnv(
          Map.of(
              "VMTASK_AGENT_IMAGE", "registry.local/agent:1",
              "VMTASK_MEMORY_OVERHEAD_MIB", "300",
              "VMTASK_VM_NODE_SELECTOR", "{\"vmtask.dev/vm\":\"true\",\"zone\":\"a\"}",
              "VMTASK_VM_TOLERATIONS",
                  "[{\"key\":\"vmtask.dev/vm\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"));
  private final TaskPodFactory factory = new TaskPodFactory(config);

  @Test
  void podFollowsTheAgentContract() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "build-42", "debian");
    task.getSpec().setEnv(List.of(new EnvVar("GREETING", "hi")));
    task.getSpec().setNodeSelector(Map.of("zone", "b", "disk", "ssd"));
    VMImage image = Fixtures.readyImage("ns", "debian");
    Pod pod = factory.create(task, image, machine(2, 512), 2, KVM);

    assertThat(pod.getMetadata().getName()).isEqualTo("build-42-2");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("vmtask.dev/task", "build-42")
        .containsEntry("vmtask.dev/attempt", "2")
        .containsEntry("app.kubernetes.io/managed-by", "vmtask-operator");
    var owner = pod.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getUid()).isEqualTo("uid-build-42");
    assertThat(owner.getKind()).isEqualTo("VirtualMachineTask");

    var spec = pod.getSpec();
    assertThat(spec.getAutomountServiceAccountToken()).isFalse();
    assertThat(spec.getEnableServiceLinks()).isFalse();
    assertThat(spec.getRestartPolicy()).isEqualTo("Never");
    assertThat(spec.getActiveDeadlineSeconds()).isEqualTo(600 + 1800);
    assertThat(spec.getNodeSelector())
        .containsEntry("vmtask.dev/vm", "true")
        .containsEntry("zone", "a") // the operator's wins
        .containsEntry("disk", "ssd");
    assertThat(spec.getTolerations()).extracting("key").containsExactly("vmtask.dev/vm");

    assertThat(spec.getInitContainers()).as("no root container, nothing but the agent").isEmpty();

    Container agent = spec.getContainers().get(0);
    assertThat(agent.getImage()).isEqualTo("registry.local/agent:1");
    assertThat(agent.getArgs()).containsExactly("pod");
    var sc = agent.getSecurityContext();
    assertThat(sc.getRunAsUser()).isEqualTo(10001);
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(agent.getTerminationMessagePolicy()).isEqualTo("File");
    assertThat(agent.getResources().getLimits()).containsEntry("memory", new Quantity("812Mi"));
    assertThat(agent.getResources().getRequests()).containsEntry("cpu", new Quantity("2"));
    assertThat(agent.getReadinessProbe().getExec().getCommand())
        .containsExactly("test", "-e", "/scratch/guest-running");
    assertThat(agent.getReadinessProbe().getPeriodSeconds()).isEqualTo(1);
    assertThat(agent.getVolumeMounts())
        .extracting("mountPath")
        .contains("/image", "/scratch")
        .as("the device plugin, not a hostPath, gives the pod /dev/kvm")
        .doesNotContain("/dev/kvm");
    assertThat(agent.getVolumeMounts())
        .filteredOn(m -> m.getMountPath().equals("/image"))
        .singleElement()
        .satisfies(m -> assertThat(m.getReadOnly()).isTrue());
    assertThat(spec.getVolumes()).extracting(Volume::getName).containsExactly("image", "scratch");
    assertThat(spec.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
    var csi = volume(pod, "image").getCsi();
    assertThat(csi.getDriver()).isEqualTo("images.vmtask.dev");
    assertThat(csi.getReadOnly()).isTrue();
    assertThat(csi.getVolumeAttributes())
        .containsEntry("url", image.getSpec().getSource().getHttp().getUrl())
        .containsEntry("sha256", image.getSpec().getSha256())
        .containsKey("format");
    assertThat(csi.getNodePublishSecretRef()).as("no headers, no Secret").isNull();
    assertThat(env(agent, "VMTASK_IMAGE_DIR")).isEqualTo("/image");
    assertThat(agent.getResources().getLimits()).containsKey("ephemeral-storage");
    assertThat(agent.getResources().getRequests()).containsKey("ephemeral-storage");
    assertThat(Quantity.getAmountInBytes(agent.getResources().getLimits().get("ephemeral-storage")))
        .isEqualByComparingTo(
            Quantity.getAmountInBytes(volume(pod, "scratch").getEmptyDir().getSizeLimit()));
    assertThat(agent.getResources().getLimits())
        .containsEntry("devices.vmtask.dev/kvm", new Quantity("1"));
    assertThat(env(agent, "VMTASK_NODE_NAME")).isNull();
    assertThat(
            agent.getEnv().stream()
                .filter(e -> e.getName().equals("VMTASK_NODE_NAME"))
                .findFirst()
                .orElseThrow()
                .getValueFrom()
                .getFieldRef()
                .getFieldPath())
        .isEqualTo("spec.nodeName");

    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("name").asText()).isEqualTo("build-42");
    assertThat(json.get("attempt").asInt()).isEqualTo(2);
    assertThat(json.get("image").get("sha256").asText()).isEqualTo(Fixtures.SHA);
    assertThat(json.get("image").get("url").asText())
        .isEqualTo("http://images.example/debian.qcow2");
    assertThat(json.get("machine").get("memoryMiB").asInt()).isEqualTo(512);
    assertThat(json.get("command").get(2).asText()).isEqualTo("echo hello");
    assertThat(json.get("env").get("GREETING").asText()).isEqualTo("hi");
    assertThat(json.path("script").isMissingNode()).as("unset script is left out").isTrue();
    assertThat(json.get("acceleration").asText()).isEqualTo("auto");
    assertThat(json.get("kvmDevice").asBoolean()).isTrue();
  }

  @Test
  void theImagesGuestAgentModeReachesTheAgent() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    VMImage image = Fixtures.readyImage("ns", "img");
    image.getSpec().setGuestAgent(GuestAgentMode.CLOUD_INIT);

    Pod pod = factory.create(task, image, machine(1, 256), 1, TCG);

    JsonNode json =
        new ObjectMapper().readTree(env(pod.getSpec().getContainers().get(0), "VMTASK_TASK"));
    assertThat(json.get("image").get("guestAgent").asText()).isEqualTo("CloudInit");
  }

  @Test
  void secretEnvIsAReferenceForTheKubeletAndOnlyANameInTheTask() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    EnvVar token = new EnvVar("TOKEN", null);
    SecretKeyRef ref = new SecretKeyRef();
    ref.setName("ci-token");
    ref.setKey("token");
    token.setValueFrom(new EnvVarSource(ref));
    task.getSpec().setEnv(List.of(new EnvVar("PLAIN", "p"), token));
    task.getSpec().setKeepFailedVMSeconds(300);

    Pod pod = factory.create(task, Fixtures.readyImage("ns", "img"), machine(1, 256), 1, TCG);

    Container agent = pod.getSpec().getContainers().get(0);
    var secretVar =
        agent.getEnv().stream().filter(e -> e.getName().equals("VMTASK_SECRET_ENV_1")).findFirst();
    assertThat(secretVar).isPresent();
    assertThat(secretVar.get().getValue()).isNull();
    assertThat(secretVar.get().getValueFrom().getSecretKeyRef().getName()).isEqualTo("ci-token");
    assertThat(secretVar.get().getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("env").toString()).isEqualTo("{\"PLAIN\":\"p\"}");
    assertThat(json.get("secretEnv").toString()).isEqualTo("{\"TOKEN\":\"VMTASK_SECRET_ENV_1\"}");
    assertThat(json.get("keepFailedVMSeconds").asInt()).isEqualTo(300);
    assertThat(pod.getSpec().getActiveDeadlineSeconds())
        .as("the inspection time is added to the pod's deadline")
        .isEqualTo(
            factory
                    .create(
                        Fixtures.task("ns", "t", "img"),
                        Fixtures.readyImage("ns", "img"),
                        machine(1, 256),
                        1,
                        TCG)
                    .getSpec()
                    .getActiveDeadlineSeconds()
                + 300);
  }

  @Test
  void inputsAreReadOnlyFilesOfTheAgentNumberedInOrder() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    Input fromConfigMap = new Input();
    fromConfigMap.setPath("/root/config.json");
    Input.ConfigMapKey key = new Input.ConfigMapKey();
    key.setName("settings");
    key.setKey("config.json");
    fromConfigMap.setConfigMap(key);
    Input fromClaim = new Input();
    fromClaim.setPath("/root/data.bin");
    fromClaim.setMode(0755);
    Input.InputVolume file = new Input.InputVolume();
    file.setClaimName("data");
    file.setSubPath("sets/data.bin");
    fromClaim.setVolume(file);
    task.getSpec().setInputs(List.of(fromConfigMap, fromClaim));

    Pod pod = factory.create(task, Fixtures.readyImage("ns", "img"), machine(1, 256), 1, TCG);

    Volume cm = volume(pod, "input-0");
    assertThat(cm.getConfigMap().getName()).isEqualTo("settings");
    assertThat(cm.getConfigMap().getItems().get(0).getKey()).isEqualTo("config.json");
    assertThat(cm.getConfigMap().getItems().get(0).getPath()).isEqualTo("file");
    Volume claim = volume(pod, "input-1");
    assertThat(claim.getPersistentVolumeClaim().getClaimName()).isEqualTo("data");
    assertThat(claim.getPersistentVolumeClaim().getReadOnly()).isTrue();
    Container agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getVolumeMounts())
        .filteredOn(m -> m.getName().startsWith("input-"))
        .extracting(
            m ->
                m.getName() + " " + m.getMountPath() + " " + m.getSubPath() + " " + m.getReadOnly())
        .containsExactly(
            "input-0 /inputs/0 null true", "input-1 /inputs/1/file sets/data.bin true");
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("inputs").toString())
        .isEqualTo(
            "[{\"path\":\"/root/config.json\",\"source\":\"/inputs/0/file\"},"
                + "{\"path\":\"/root/data.bin\",\"source\":\"/inputs/1/file\",\"mode\":493}]");
  }

  @Test
  void attemptsPlannedForTcgRequestNoKvmDevice() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    task.getSpec().setAcceleration(Acceleration.AUTO);
    Pod pod = factory.create(task, Fixtures.readyImage("ns", "img"), machine(1, 256), 1, TCG);
    Container agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getResources().getLimits()).doesNotContainKey("devices.vmtask.dev/kvm");
    assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getName().contains("kvm"));
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("acceleration").asText()).as("auto planned as tcg").isEqualTo("tcg");
    assertThat(json.path("kvmDevice").isMissingNode()).isTrue();
  }

  @Test
  void artifactsAreMountedFromTheirClaims() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    task.getSpec()
        .setArtifacts(
            List.of(
                artifact("log", "/var/log/x", "results", "run-1"),
                artifact("out", "/out", "results", null),
                artifact("core", "/core", "dumps", null)));
    Pod pod = factory.create(task, Fixtures.readyImage("ns", "img"), machine(1, 256), 1, TCG);
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .containsExactly("results", "dumps");
    var mounts = pod.getSpec().getContainers().get(0).getVolumeMounts();
    assertThat(mounts)
        .filteredOn(m -> m.getMountPath().equals("/artifacts/log"))
        .singleElement()
        .satisfies(m -> assertThat(m.getSubPath()).isEqualTo("run-1"));
    assertThat(pod.getSpec().getSecurityContext().getFsGroup()).isEqualTo(10001);
    JsonNode json =
        new ObjectMapper().readTree(env(pod.getSpec().getContainers().get(0), "VMTASK_TASK"));
    assertThat(json.get("artifacts").get(0).get("destination").asText())
        .isEqualTo("/artifacts/log");
    assertThat(json.get("artifacts").get(0).get("type").asText()).isEqualTo("file");
  }

  @Test
  void screenshotIsMountedAndSharesTheClaimOfAnArtifact() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    task.getSpec().setArtifacts(List.of(artifact("out", "/out", "results", "run-1")));
    Screenshot screenshot = new Screenshot();
    screenshot.setVolume(volume("results", "shots/t"));
    task.getSpec().setScreenshot(screenshot);
    Pod pod = factory.create(task, Fixtures.readyImage("ns", "img"), machine(1, 256), 1, TCG);

    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .containsExactly("results");
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .filteredOn(m -> m.getMountPath().equals("/screenshot"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getSubPath()).isEqualTo("shots/t");
              assertThat(m.getName()).isEqualTo("artifacts-0");
              assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
            });
    JsonNode json =
        new ObjectMapper().readTree(env(pod.getSpec().getContainers().get(0), "VMTASK_TASK"));
    assertThat(json.get("screenshot").get("when").asText()).isEqualTo("OnFailure");
    assertThat(json.get("screenshot").get("destination").asText()).isEqualTo("/screenshot");
  }

  @Test
  void outputIsMountedWritableAndItsScratchHoldsTheFlattenedDisk() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", "img");
    TaskOutput output = new TaskOutput();
    output.setVolume(volume("builds", "ci"));
    task.getSpec().setOutput(output);
    VMImage image = Fixtures.readyImage("ns", "img");
    image.getStatus().setVirtualSizeBytes(4L << 30);

    Pod pod = factory.create(task, image, machine(1, 256), 1, TCG);
    Pod plain = factory.create(Fixtures.task("ns", "t", "img"), image, machine(1, 256), 1, TCG);

    Container agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getVolumeMounts())
        .filteredOn(m -> m.getMountPath().equals("/output"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getSubPath()).isEqualTo("ci");
              assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
            });
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("output").get("destination").asText()).isEqualTo("/output");
    assertThat(json.get("output").get("fileName").asText()).isEqualTo("image.tar.zst");
    Quantity limit = agent.getResources().getLimits().get("ephemeral-storage");
    Quantity plainLimit =
        plain.getSpec().getContainers().get(0).getResources().getLimits().get("ephemeral-storage");
    assertThat(limit.getNumericalAmount().longValue() - plainLimit.getNumericalAmount().longValue())
        .isEqualTo(4L << 30);
    assertThat(volume(pod, "scratch").getEmptyDir().getSizeLimit()).isEqualTo(limit);
  }

  @Test
  void anImageFromAClaimIsMountedReadOnlyForTheAgentToImport() throws Exception {
    VMImage image = Fixtures.readyImage("ns", "built");
    VolumeSource source = new VolumeSource();
    source.setClaimName("builds");
    source.setPath("ci/image.tar.zst");
    image.getSpec().getSource().setHttp(null);
    image.getSpec().getSource().setVolume(source);

    Pod pod = factory.create(Fixtures.task("ns", "t", "built"), image, machine(1, 256), 1, TCG);

    Volume claim = volume(pod, "image");
    assertThat(claim.getCsi()).isNull();
    assertThat(claim.getPersistentVolumeClaim().getClaimName()).isEqualTo("builds");
    assertThat(claim.getPersistentVolumeClaim().getReadOnly()).isTrue();
    Container agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getVolumeMounts())
        .filteredOn(m -> m.getName().equals("image"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/image-source");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(agent.getEnv()).extracting("name").doesNotContain("VMTASK_IMAGE_DIR");
    assertThat(env(agent, "VMTASK_CACHE_DIR")).isEqualTo("/scratch/images");
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.get("image").get("url").asText())
        .isEqualTo("file:///image-source/ci/image.tar.zst");
  }

  @Test
  void aBlankDiskHasNoImageVolumeAndItsCdromsComeFromTheNodeDaemon() throws Exception {
    VirtualMachineTask task = Fixtures.task("ns", "t", null);
    task.getSpec().setImage(null);
    BlankDisk blank = new BlankDisk();
    blank.setSizeGiB(8);
    task.getSpec().setBlankDisk(blank);
    VMImage iso = Fixtures.readyImage("ns", "installer");
    iso.getSpec().setFormat(ImageFormat.ISO);
    iso.getSpec().setSha256("a".repeat(64));

    Pod pod = factory.create(task, new BootImages(null, List.of(iso)), machine(1, 256), 1, TCG);

    assertThat(pod.getSpec().getVolumes()).extracting("name").doesNotContain("image");
    assertThat(volume(pod, "cdrom-0").getCsi().getVolumeAttributes())
        .containsEntry("format", "iso")
        .containsEntry("sha256", "a".repeat(64));
    Container agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getVolumeMounts())
        .filteredOn(m -> m.getName().equals("cdrom-0"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/cdroms/0");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(pod.getMetadata().getLabels()).doesNotContainKey(PodLabels.IMAGE);
    JsonNode json = new ObjectMapper().readTree(env(agent, "VMTASK_TASK"));
    assertThat(json.has("image")).isFalse();
    assertThat(json.get("blankDiskGiB").asInt()).isEqualTo(8);
    assertThat(json.get("cdroms").get(0).get("dir").asText()).isEqualTo("/cdroms/0");
    assertThat(json.get("cdroms").get(0).get("sha256").asText()).isEqualTo("a".repeat(64));
    // The disk may grow to its full size in scratch, plus 1 GiB.
    assertThat(
            agent
                .getResources()
                .getLimits()
                .get("ephemeral-storage")
                .getNumericalAmount()
                .longValue())
        .isEqualTo((8L << 30) + (1L << 30));
  }

  @Test
  void noScreenshotMeansNoFieldAndNoMount() throws Exception {
    Pod pod =
        factory.create(
            Fixtures.task("ns", "t", "img"),
            Fixtures.readyImage("ns", "img"),
            machine(1, 256),
            1,
            TCG);
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .extracting("mountPath")
        .doesNotContain("/screenshot");
    JsonNode json =
        new ObjectMapper().readTree(env(pod.getSpec().getContainers().get(0), "VMTASK_TASK"));
    assertThat(json.has("screenshot")).isFalse();
  }

  @Test
  void prefersNodesHoldingTheImageAndPassesHeaderSecretsOnlyToTheNode() {
    VMImage image = Fixtures.readyImage("ns", "img");
    image.getStatus().setNodes(List.of(new ImageNode("node-a", "2026-01-01T00:00:00Z")));
    HttpHeader header = new HttpHeader();
    header.setName("Authorization");
    SecretKeyRef ref = new SecretKeyRef();
    ref.setName("creds");
    ref.setKey("token");
    HeaderValueSource from = new HeaderValueSource();
    from.setSecretKeyRef(ref);
    header.setValueFrom(from);
    image.getSpec().getSource().getHttp().setHeaders(List.of(header));
    Pod pod = factory.create(Fixtures.task("ns", "t", "img"), image, machine(1, 256), 1, TCG);

    var preferred =
        pod.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getPreferredDuringSchedulingIgnoredDuringExecution();
    assertThat(preferred)
        .singleElement()
        .satisfies(
            p ->
                assertThat(p.getPreference().getMatchFields().get(0).getValues())
                    .containsExactly("node-a"));
    var agent = pod.getSpec().getContainers().get(0);
    assertThat(agent.getEnv())
        .as("header values reach the node daemon only, never the pod")
        .allSatisfy(
            e ->
                assertThat(e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null)
                    .isTrue());
    var csi = volume(pod, "image").getCsi();
    assertThat(csi.getNodePublishSecretRef().getName()).isEqualTo("creds");
    assertThat(csi.getVolumeAttributes())
        .containsEntry("header.0.name", header.getName())
        .containsEntry("header.0.secretKey", "token");
    assertThat(env(agent, "VMTASK_TASK")).doesNotContain("token").doesNotContain("creds");
  }

  @Test
  void unverifiedImagesUseTheirPinnedDigest() {
    VMImage image = Fixtures.readyImage("ns", "img");
    image.getSpec().setSha256(null);
    image.getSpec().setAllowUnverified(true);
    image.getStatus().setDigest("sha256:" + "b".repeat(64));
    Pod pod = factory.create(Fixtures.task("ns", "t", "img"), image, machine(1, 256), 1, TCG);
    assertThat(env(pod.getSpec().getContainers().get(0), "VMTASK_TASK"))
        .contains("\"sha256\":\"" + "b".repeat(64) + "\"");
  }

  private static Artifact artifact(String name, String path, String claim, String subPath) {
    Artifact a = new Artifact();
    a.setName(name);
    a.setPath(path);
    a.setVolume(volume(claim, subPath));
    return a;
  }

  private static ArtifactVolume volume(String claim, String subPath) {
    ArtifactVolume v = new ArtifactVolume();
    v.setClaimName(claim);
    v.setSubPath(subPath);
    return v;
  }

  private static Machine machine(int cpus, int memory) {
    Machine m = new Machine();
    m.setCpus(cpus);
    m.setMemoryMiB(memory);
    return m;
  }

  private static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow()
        .getValue();
  }
}
