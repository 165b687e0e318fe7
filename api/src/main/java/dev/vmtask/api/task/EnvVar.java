package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One environment variable of the guest command. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!(has(self.value) && has(self.valueFrom))",
    message = "an env entry has either value or valueFrom, not both")
public class EnvVar {
  @JsonPropertyDescription("Variable name, a C identifier.")
  @Required
  @Size(max = 128)
  @Pattern("^[A-Za-z_][A-Za-z0-9_]{0,127}$")
  private String name;

  @JsonPropertyDescription("Value (may be empty).")
  @Size(max = 32768)
  private String value;

  @JsonPropertyDescription("The value from a Secret instead (exclusive with value).")
  private EnvVarSource valueFrom;

  public EnvVar() {}

  public EnvVar(String name, String value) {
    this.name = name;
    this.value = value;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public EnvVarSource getValueFrom() {
    return valueFrom;
  }

  public void setValueFrom(EnvVarSource valueFrom) {
    this.valueFrom = valueFrom;
  }

  public String getValue() {
    return value;
  }

  public void setValue(String value) {
    this.value = value;
  }
}
