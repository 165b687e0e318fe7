package dev.vmtask.operator.pod;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every agent pod shares (docs/agent-contract.md): no credentials, a non-root agent that
 * passes the restricted Pod Security Standard, the image as a read-only {@link ImageVolume}, a
 * bounded scratch emptyDir, the operator's node selector and tolerations. Task and fetch pods add
 * their own parts.
 */
final class AgentPodTemplate {
  static final String SCRATCH_DIR = "/scratch";
  static final long AGENT_UID = 10001;
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final OperatorConfig config;

  AgentPodTemplate(OperatorConfig config) {
    this.config = config;
  }

  /**
   * Pod with metadata and the image (none for a blank disk) and scratch volumes (at most {@code
   * scratchLimit}); the caller adds the agent.
   */
  PodBuilder pod(
      String name,
      HasMetadata owner,
      VMImage image,
      Map<String, String> labels,
      Quantity scratchLimit) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(owner.getMetadata().getNamespace())
            .withLabels(labels)
            .withOwnerReferences(ownerReference(owner))
            .endMetadata()
            .withNewSpec()
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withRestartPolicy("Never")
            .withNewSecurityContext()
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .addToVolumes(
                new VolumeBuilder()
                    .withName("scratch")
                    .withNewEmptyDir()
                    .withSizeLimit(scratchLimit)
                    .endEmptyDir()
                    .build())
            .endSpec();
    return image == null ? pod : pod.editSpec().addToVolumes(0, ImageVolume.of(image)).endSpec();
  }

  /** The agent container: non-root, read-only root, the contract's environment. */
  ContainerBuilder agent(String subcommand, VMImage image, AgentTask task, List<EnvVar> extraEnv) {
    List<EnvVar> env = new ArrayList<>();
    env.add(env("VMTASK_TASK", JSON.asJson(task)));
    if (image == null || ImageVolume.fromClaim(image)) {
      env.add(env("VMTASK_CACHE_DIR", SCRATCH_DIR + "/images"));
    } else {
      env.add(env("VMTASK_IMAGE_DIR", ImageVolume.MOUNT_PATH));
    }
    env.add(env("VMTASK_SCRATCH_DIR", SCRATCH_DIR));
    env.add(env("VMTASK_NODE_MAX_CPUS", Integer.toString(config.nodeMaxCpus())));
    env.add(env("VMTASK_NODE_MAX_MEMORY_MIB", Integer.toString(config.nodeMaxMemoryMiB())));
    env.add(
        new EnvVarBuilder()
            .withName("VMTASK_NODE_NAME")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("spec.nodeName")
            .endFieldRef()
            .endValueFrom()
            .build());
    env.addAll(extraEnv);
    return new ContainerBuilder()
        .withName("agent")
        .withImage(config.agentImage())
        .withImagePullPolicy(config.agentImagePullPolicy())
        .withArgs(subcommand)
        .withEnv(env)
        .withTerminationMessagePolicy("File")
        .withSecurityContext(agentSecurityContext())
        .addToVolumeMounts(
            image == null
                ? new VolumeMount[] {mount("scratch", SCRATCH_DIR)}
                : new VolumeMount[] {ImageVolume.mount(image), mount("scratch", SCRATCH_DIR)});
  }

  /** The operator's node selector wins over the task's on a shared key. */
  Map<String, String> nodeSelector(Map<String, String> task) {
    Map<String, String> merged = new LinkedHashMap<>();
    if (task != null) {
      merged.putAll(task);
    }
    merged.putAll(config.vmNodeSelector());
    return merged;
  }

  List<Toleration> tolerations(List<Toleration> task) {
    List<Toleration> merged = new ArrayList<>(config.vmTolerations());
    if (task != null) {
      merged.addAll(task);
    }
    return merged;
  }

  /** Pod deadline: the run time plus an allowance for fetch and boot (the agent's is exact). */
  long activeDeadlineSeconds(long runSeconds) {
    return runSeconds + config.podDeadlineAllowanceSeconds();
  }

  static VolumeMount mount(String volume, String path) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
  }

  static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  static Quantity mebibytes(long mib) {
    return new Quantity(mib + "Mi");
  }

  private static OwnerReference ownerReference(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static SecurityContext agentSecurityContext() {
    return new SecurityContextBuilder()
        .withRunAsUser(AGENT_UID)
        .withRunAsGroup(AGENT_UID)
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .build();
  }
}
