package dev.vmtask.api.image;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.vmtask.api.VmtaskApi;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A VM disk image that tasks boot from: where to fetch it, its checksum, its machine defaults. */
@Group(VmtaskApi.GROUP)
@Version(VmtaskApi.VERSION)
@ShortNames("vmimg")
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Digest",
    jsonPath = ".status.shortDigest",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Size",
    jsonPath = ".status.sizeBytes",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class VMImage extends CustomResource<VMImageSpec, VMImageStatus> implements Namespaced {
  // Overridden only to describe spec and status in the CRD (kubectl explain).
  @Override
  @JsonPropertyDescription("What the image is; set by its owner.")
  public VMImageSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the operator observed; written by the operator only.")
  public VMImageStatus getStatus() {
    return super.getStatus();
  }
}
