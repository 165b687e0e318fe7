package dev.vmtask.operator.pod;

import dev.vmtask.api.task.VirtualMachineTaskSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guest command's variables whose values come from Secrets. The kubelet resolves each into a
 * variable of the agent's container ({@code VMTASK_SECRET_ENV_<n>}); {@code VMTASK_TASK} says only
 * which guest variable reads which of them, so no value is in the pod's spec.
 */
final class GuestSecretEnv {
  static final String PREFIX = "VMTASK_SECRET_ENV_";

  private GuestSecretEnv() {}

  /** Guest variable name to the agent's variable that holds its value. */
  static Map<String, String> names(VirtualMachineTaskSpec spec) {
    Map<String, String> names = new LinkedHashMap<>();
    forEach(spec, (i, e) -> names.put(e.getName(), PREFIX + i));
    return names.isEmpty() ? null : names;
  }

  /** The agent container's variables, each a reference to its Secret's key. */
  static List<EnvVar> podEnv(VirtualMachineTaskSpec spec) {
    List<EnvVar> env = new ArrayList<>();
    forEach(
        spec,
        (i, e) ->
            env.add(
                new EnvVarBuilder()
                    .withName(PREFIX + i)
                    .withNewValueFrom()
                    .withNewSecretKeyRef()
                    .withName(e.getValueFrom().getSecretKeyRef().getName())
                    .withKey(e.getValueFrom().getSecretKeyRef().getKey())
                    .withOptional(false)
                    .endSecretKeyRef()
                    .endValueFrom()
                    .build()));
    return env;
  }

  private interface Entry {
    void accept(int index, dev.vmtask.api.task.EnvVar env);
  }

  private static void forEach(VirtualMachineTaskSpec spec, Entry entry) {
    if (spec.getEnv() == null) {
      return;
    }
    for (int i = 0; i < spec.getEnv().size(); i++) {
      dev.vmtask.api.task.EnvVar e = spec.getEnv().get(i);
      if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
        entry.accept(i, e);
      }
    }
  }
}
