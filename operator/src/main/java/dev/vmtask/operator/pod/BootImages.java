package dev.vmtask.operator.pod;

import dev.vmtask.api.image.VMImage;
import java.util.List;

/**
 * The validated VMImages a task attempt boots: {@code disk} (null for a blank disk) and its cdroms,
 * in the spec's order.
 */
public record BootImages(VMImage disk, List<VMImage> cdroms) {
  public BootImages {
    cdroms = List.copyOf(cdroms);
  }
}
