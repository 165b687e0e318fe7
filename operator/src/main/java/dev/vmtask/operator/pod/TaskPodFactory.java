package dev.vmtask.operator.pod;

import dev.vmtask.api.image.ImageNode;
import dev.vmtask.api.image.VMImage;
import dev.vmtask.api.machine.Machine;
import dev.vmtask.api.node.KvmNodeStatus;
import dev.vmtask.api.task.Acceleration;
import dev.vmtask.api.task.Artifact;
import dev.vmtask.api.task.ArtifactType;
import dev.vmtask.api.task.ArtifactVolume;
import dev.vmtask.api.task.Screenshot;
import dev.vmtask.api.task.ScreenshotPolicy;
import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import dev.vmtask.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the pod of one task attempt, exactly as docs/agent-contract.md describes it. */
public final class TaskPodFactory {
  static final String ARTIFACTS_DIR = "/artifacts";
  static final String SCREENSHOT_DIR = "/screenshot";
  static final String OUTPUT_DIR = "/output";
  static final String GUEST_RUNNING_FILE = AgentPodTemplate.SCRATCH_DIR + "/guest-running";

  /** Weight of the preference for nodes that already hold the image. */
  static final int CACHED_IMAGE_WEIGHT = 50;

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final AgentPodTemplate template;
  private final OperatorConfig config;

  public TaskPodFactory(OperatorConfig config) {
    this.config = config;
    this.template = new AgentPodTemplate(config);
  }

  /** The pod of a task that boots {@code image} and no cdrom. */
  public Pod create(
      VirtualMachineTask task, VMImage image, Machine machine, int attempt, AccelerationPlan plan) {
    return create(task, new BootImages(image, List.of()), machine, attempt, plan);
  }

  /**
   * {@code plan} is {@link AccelerationPlan.Kind#KVM_DEVICE} or {@link AccelerationPlan.Kind#TCG}.
   */
  public Pod create(
      VirtualMachineTask task,
      BootImages images,
      Machine machine,
      int attempt,
      AccelerationPlan plan) {
    VirtualMachineTaskSpec spec = task.getSpec();
    VMImage image = images.disk();
    String name = PodNames.taskPod(task.getMetadata().getName(), attempt);
    boolean kvmDevice = plan.kind() == AccelerationPlan.Kind.KVM_DEVICE;
    long virtual =
        image != null
            ? ImageVolume.virtualBytes(image)
            : (long) spec.getBlankDisk().getSizeGiB() << 30;
    long imported =
        (image == null ? 0 : ImageVolume.importBytes(image))
            + images.cdroms().stream().mapToLong(ImageVolume::importBytes).sum();
    Quantity scratch =
        new Quantity(
            Long.toString(
                ImageVolume.scratchLimitBytes(virtual, spec.getOutput() != null, imported)));
    ResourceRequirementsBuilder resources =
        new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity(Integer.toString(machine.getCpus())))
            .addToRequests("memory", memory(machine))
            .addToLimits("memory", memory(machine))
            .addToRequests("ephemeral-storage", ImageVolume.scratchRequest(virtual, imported))
            .addToLimits("ephemeral-storage", scratch);
    if (kvmDevice) {
      // An extended resource is set in limits (requests follow); the device plugin mounts /dev/kvm.
      resources.addToLimits(KvmNodeStatus.DEVICE_RESOURCE, new Quantity("1"));
    }
    ContainerBuilder agent =
        template
            .agent(
                "pod",
                image,
                agentTask(task, images, machine, attempt, kvmDevice),
                GuestSecretEnv.podEnv(spec))
            .withResources(resources.build())
            .withReadinessProbe(
                new ProbeBuilder()
                    .withNewExec()
                    .withCommand("test", "-e", GUEST_RUNNING_FILE)
                    .endExec()
                    .withPeriodSeconds(1)
                    .withFailureThreshold(1)
                    .build());
    PodBuilder pod = template.pod(name, task, image, labels(task, image, attempt), scratch);
    addClaimMounts(claimMounts(spec), pod, agent);
    InputVolumes.add(spec, pod, agent);
    for (int i = 0; i < images.cdroms().size(); i++) {
      ImageVolume.Slot slot = ImageVolume.Slot.cdrom(i);
      pod.editSpec().addToVolumes(ImageVolume.of(images.cdroms().get(i), slot)).endSpec();
      agent.addToVolumeMounts(ImageVolume.mount(images.cdroms().get(i), slot));
    }
    if (image != null) {
      pod.editMetadata()
          .addToAnnotations(PodLabels.IMAGE_ANNOTATION, image.getMetadata().getName())
          .endMetadata();
    }
    return pod.editSpec()
        .withActiveDeadlineSeconds(
            template.activeDeadlineSeconds(
                (spec.getMaxRunTimeSeconds() == null ? 3600L : spec.getMaxRunTimeSeconds())
                    + (spec.getKeepFailedVMSeconds() == null ? 0 : spec.getKeepFailedVMSeconds())))
        .withNodeSelector(template.nodeSelector(spec.getNodeSelector()))
        .withTolerations(template.tolerations(spec.getTolerations()))
        .withAffinity(affinity(spec.getAffinity(), image))
        .withContainers(agent.build())
        .endSpec()
        .build();
  }

  AgentTask agentTask(
      VirtualMachineTask task, BootImages images, Machine machine, int attempt, boolean kvmDevice) {
    VirtualMachineTaskSpec spec = task.getSpec();
    VMImage image = images.disk();
    Map<String, String> env = new LinkedHashMap<>();
    if (spec.getEnv() != null) {
      spec.getEnv().stream()
          .filter(e -> e.getValueFrom() == null)
          .forEach(e -> env.put(e.getName(), e.getValue() == null ? "" : e.getValue()));
    }
    List<AgentTask.Artifact> artifacts = new ArrayList<>();
    if (spec.getArtifacts() != null) {
      for (Artifact a : spec.getArtifacts()) {
        artifacts.add(
            new AgentTask.Artifact(
                a.getName(),
                a.getPath(),
                a.getType() == null ? ArtifactType.FILE : a.getType(),
                ARTIFACTS_DIR + "/" + a.getName()));
      }
    }
    return new AgentTask(
        task.getMetadata().getNamespace(),
        task.getMetadata().getName(),
        task.getMetadata().getUid(),
        attempt,
        image == null ? null : ImageSource.describe(image),
        machine,
        spec.getCommand(),
        spec.getScript(),
        env,
        GuestSecretEnv.names(spec),
        spec.getMaxRunTimeSeconds(),
        artifacts,
        spec.getNetwork(),
        kvmDevice
            ? (spec.getAcceleration() == null ? Acceleration.AUTO : spec.getAcceleration())
            : Acceleration.TCG,
        kvmDevice ? Boolean.TRUE : null,
        screenshot(spec.getScreenshot()),
        spec.getKeepFailedVMSeconds(),
        InputVolumes.forAgent(spec),
        spec.getOutput() == null
            ? null
            : new AgentTask.Output(
                OUTPUT_DIR,
                spec.getOutput().getFileName() == null
                    ? "image.tar.zst"
                    : spec.getOutput().getFileName()),
        spec.getBlankDisk() == null ? null : spec.getBlankDisk().getSizeGiB(),
        cdroms(images.cdroms()));
  }

  private static List<AgentTask.Cdrom> cdroms(List<VMImage> cdroms) {
    List<AgentTask.Cdrom> out = new ArrayList<>();
    for (int i = 0; i < cdroms.size(); i++) {
      VMImage cdrom = cdroms.get(i);
      ImageVolume.Slot slot = ImageVolume.Slot.cdrom(i);
      out.add(
          new AgentTask.Cdrom(
              cdrom.getMetadata().getName(),
              ImageVolume.url(cdrom, slot),
              ImageSource.expectedSha256(cdrom),
              ImageVolume.fromClaim(cdrom) ? null : slot.mountPath()));
    }
    return out.isEmpty() ? null : out;
  }

  private static AgentTask.Screenshot screenshot(Screenshot s) {
    if (s == null) {
      return null;
    }
    return new AgentTask.Screenshot(
        s.getWhen() == null ? ScreenshotPolicy.ON_FAILURE : s.getWhen(), SCREENSHOT_DIR);
  }

  private Quantity memory(Machine machine) {
    return AgentPodTemplate.mebibytes((long) machine.getMemoryMiB() + config.memoryOverheadMiB());
  }

  /**
   * Where each PVC sub-path the agent writes to is mounted: artifacts, the screenshot, the output.
   */
  private static Map<String, ArtifactVolume> claimMounts(VirtualMachineTaskSpec spec) {
    Map<String, ArtifactVolume> mounts = new LinkedHashMap<>();
    if (spec.getArtifacts() != null) {
      spec.getArtifacts()
          .forEach(a -> mounts.put(ARTIFACTS_DIR + "/" + a.getName(), a.getVolume()));
    }
    if (spec.getScreenshot() != null) {
      mounts.put(SCREENSHOT_DIR, spec.getScreenshot().getVolume());
    }
    if (spec.getOutput() != null) {
      mounts.put(OUTPUT_DIR, spec.getOutput().getVolume());
    }
    return mounts;
  }

  /** One volume per claim, one mount per destination, writable by the agent. */
  private static void addClaimMounts(
      Map<String, ArtifactVolume> mounts, PodBuilder pod, ContainerBuilder agent) {
    if (mounts.isEmpty()) {
      return;
    }
    Map<String, String> volumeOfClaim = new LinkedHashMap<>();
    mounts.forEach(
        (path, claimPath) -> {
          String volume =
              volumeOfClaim.computeIfAbsent(
                  claimPath.getClaimName(), c -> "artifacts-" + volumeOfClaim.size());
          agent.addToVolumeMounts(
              new VolumeMountBuilder()
                  .withName(volume)
                  .withMountPath(path)
                  .withSubPath(claimPath.getSubPath())
                  .build());
        });
    volumeOfClaim.forEach(
        (claim, volume) ->
            pod.editSpec()
                .addToVolumes(
                    new VolumeBuilder()
                        .withName(volume)
                        .withNewPersistentVolumeClaim()
                        .withClaimName(claim)
                        .endPersistentVolumeClaim()
                        .build())
                .editSecurityContext()
                .withFsGroup(AgentPodTemplate.AGENT_UID)
                .withFsGroupChangePolicy("OnRootMismatch")
                .endSecurityContext()
                .endSpec());
  }

  /** The task's affinity plus a preference for nodes whose cache already holds the image. */
  private static Affinity affinity(Affinity task, VMImage image) {
    List<ImageNode> nodes =
        image == null || image.getStatus() == null ? null : image.getStatus().getNodes();
    if (nodes == null || nodes.isEmpty()) {
      return task;
    }
    Affinity affinity =
        task == null ? new Affinity() : JSON.clone(task); // never mutate the cached task
    if (affinity.getNodeAffinity() == null) {
      affinity.setNodeAffinity(new NodeAffinity());
    }
    affinity
        .getNodeAffinity()
        .getPreferredDuringSchedulingIgnoredDuringExecution()
        .add(
            new PreferredSchedulingTermBuilder()
                .withWeight(CACHED_IMAGE_WEIGHT)
                .withNewPreference()
                .withMatchFields(
                    new NodeSelectorRequirementBuilder()
                        .withKey("metadata.name")
                        .withOperator("In")
                        .withValues(nodes.stream().map(ImageNode::getName).toList())
                        .build())
                .endPreference()
                .build());
    return new AffinityBuilder(affinity).build();
  }

  private static Map<String, String> labels(VirtualMachineTask task, VMImage image, int attempt) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(PodLabels.TASK, PodNames.labelValue(task.getMetadata().getName()));
    labels.put(PodLabels.ATTEMPT, Integer.toString(attempt));
    if (image != null) {
      labels.put(PodLabels.IMAGE, PodNames.labelValue(image.getMetadata().getName()));
    }
    labels.put(PodLabels.ROLE, PodLabels.ROLE_TASK);
    labels.put(PodLabels.NAME, "vmtask-agent");
    labels.put(PodLabels.COMPONENT, PodLabels.ROLE_TASK);
    labels.put(PodLabels.MANAGED_BY, PodLabels.OPERATOR);
    labels.put(PodLabels.PART_OF, "vmtask");
    return labels;
  }
}
