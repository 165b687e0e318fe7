package dev.vmtask.operator.pod;

import dev.vmtask.api.task.Input;
import dev.vmtask.api.task.VirtualMachineTaskSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The task's input files in its pod: input n is the read-only file {@code /inputs/n/file}, a
 * ConfigMap key (projected by the kubelet) or a file of a claim (a sub-path mount). The agent
 * copies each into the guest before the command runs.
 */
final class InputVolumes {
  static final String DIR = "/inputs";
  private static final String FILE = "file";

  private InputVolumes() {}

  /** What {@code VMTASK_TASK} says about the inputs: where each is in the pod and in the guest. */
  static List<AgentTask.Input> forAgent(VirtualMachineTaskSpec spec) {
    if (spec.getInputs() == null || spec.getInputs().isEmpty()) {
      return null;
    }
    List<AgentTask.Input> inputs = new ArrayList<>();
    for (int i = 0; i < spec.getInputs().size(); i++) {
      Input in = spec.getInputs().get(i);
      inputs.add(new AgentTask.Input(in.getPath(), source(i), in.getMode()));
    }
    return inputs;
  }

  /** A volume and a read-only mount per input. */
  static void add(VirtualMachineTaskSpec spec, PodBuilder pod, ContainerBuilder agent) {
    if (spec.getInputs() == null) {
      return;
    }
    for (int i = 0; i < spec.getInputs().size(); i++) {
      Input in = spec.getInputs().get(i);
      String volume = "input-" + i;
      VolumeBuilder v = new VolumeBuilder().withName(volume);
      VolumeMountBuilder mount = new VolumeMountBuilder().withName(volume).withReadOnly(true);
      if (in.getConfigMap() != null) {
        v.withNewConfigMap()
            .withName(in.getConfigMap().getName())
            .addNewItem()
            .withKey(in.getConfigMap().getKey())
            .withPath(FILE)
            .endItem()
            .withOptional(false)
            .endConfigMap();
        mount.withMountPath(DIR + "/" + i);
      } else {
        v.withNewPersistentVolumeClaim()
            .withClaimName(in.getVolume().getClaimName())
            .withReadOnly(true)
            .endPersistentVolumeClaim();
        mount.withMountPath(source(i)).withSubPath(in.getVolume().getSubPath());
      }
      pod.editSpec().addToVolumes(v.build()).endSpec();
      agent.addToVolumeMounts(mount.build());
    }
  }

  private static String source(int i) {
    return DIR + "/" + i + "/" + FILE;
  }
}
