package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.image.SecretKeyRef;
import io.fabric8.generator.annotation.Required;

/** Where the value of a guest command's environment variable comes from. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EnvVarSource {
  @JsonPropertyDescription(
      "A key of a Secret in the task's namespace. The kubelet hands its value to the task's agent,"
          + " which passes it to the guest command only: it is not in the task, its pod's spec, its"
          + " status or the agent's own log lines. A missing Secret or key holds the pod"
          + " (CreateContainerConfigError in the Running condition).")
  @Required
  private SecretKeyRef secretKeyRef;

  public EnvVarSource() {}

  public EnvVarSource(SecretKeyRef secretKeyRef) {
    this.secretKeyRef = secretKeyRef;
  }

  public SecretKeyRef getSecretKeyRef() {
    return secretKeyRef;
  }

  public void setSecretKeyRef(SecretKeyRef secretKeyRef) {
    this.secretKeyRef = secretKeyRef;
  }
}
