package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.VmtaskApi;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Boot a VMImage, run a command in the guest, report its exit code, log and files. */
@Group(VmtaskApi.GROUP)
@Version(VmtaskApi.VERSION)
@ShortNames("vmt")
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Exit",
    jsonPath = ".status.exitCode",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Node",
    jsonPath = ".status.nodeName",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class VirtualMachineTask
    extends CustomResource<VirtualMachineTaskSpec, VirtualMachineTaskStatus> implements Namespaced {
  // Overridden only to describe spec and status in the CRD (kubectl explain).
  @Override
  @JsonPropertyDescription("What to run; immutable once created.")
  public VirtualMachineTaskSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the operator observed; written by the operator only.")
  public VirtualMachineTaskStatus getStatus() {
    return super.getStatus();
  }
}
