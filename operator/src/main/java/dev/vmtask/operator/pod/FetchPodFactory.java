package dev.vmtask.operator.pod;

import dev.vmtask.api.image.VMImage;
import dev.vmtask.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the pods that run {@code vmtask-agent fetch} for an image: one that validates a generation
 * of the image on any VM node, and one per node for prefetching.
 */
public final class FetchPodFactory {
  /** Fetching streams through fixed-size buffers; it needs no guest memory. */
  static final int FETCH_MEMORY_MIB = 256;

  private final AgentPodTemplate template;

  public FetchPodFactory(OperatorConfig config) {
    this.template = new AgentPodTemplate(config);
  }

  /** The pod validating {@code image} at its current generation. */
  public Pod validation(VMImage image) {
    long generation = image.getMetadata().getGeneration();
    String name = PodNames.fetchPod(image.getMetadata().getName(), generation);
    return build(image, name, PodLabels.ROLE_FETCH).build();
  }

  /** The pod fetching {@code image} onto {@code nodeName}. */
  public Pod prefetch(VMImage image, String nodeName) {
    long generation = image.getMetadata().getGeneration();
    String name = PodNames.prefetchPod(image.getMetadata().getName(), generation, nodeName);
    return build(image, name, PodLabels.ROLE_PREFETCH)
        .editMetadata()
        .addToLabels(PodLabels.NODE, PodNames.labelValue(nodeName))
        .endMetadata()
        .editSpec()
        .withNewAffinity()
        .withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm()
        .withMatchFields(
            new NodeSelectorRequirementBuilder()
                .withKey("metadata.name")
                .withOperator("In")
                .withValues(nodeName)
                .build())
        .endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  AgentTask agentTask(VMImage image) {
    return new AgentTask(
        image.getMetadata().getNamespace(),
        image.getMetadata().getName(),
        image.getMetadata().getUid(),
        image.getMetadata().getGeneration().intValue(),
        ImageSource.describe(image),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private PodBuilder build(VMImage image, String name, String role) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(PodLabels.IMAGE, PodNames.labelValue(image.getMetadata().getName()));
    labels.put(PodLabels.ROLE, role);
    labels.put(PodLabels.GENERATION, Long.toString(image.getMetadata().getGeneration()));
    labels.put(PodLabels.NAME, "vmtask-agent");
    labels.put(PodLabels.COMPONENT, role);
    labels.put(PodLabels.MANAGED_BY, PodLabels.OPERATOR);
    labels.put(PodLabels.PART_OF, "vmtask");
    Quantity memory = AgentPodTemplate.mebibytes(FETCH_MEMORY_MIB);
    return template
        .pod(name, image, image, labels, ImageVolume.scratchLimit(image))
        .editMetadata()
        .addToAnnotations(PodLabels.IMAGE_ANNOTATION, image.getMetadata().getName())
        .endMetadata()
        .editSpec()
        // Nothing runs after the fetch, so the fetch allowance alone bounds the pod.
        .withActiveDeadlineSeconds(template.activeDeadlineSeconds(0))
        .withNodeSelector(template.nodeSelector(null))
        .withTolerations(template.tolerations(null))
        .withContainers(
            template
                .agent("fetch", image, agentTask(image), List.of())
                .withResources(
                    new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("250m"))
                        .addToRequests("memory", memory)
                        .addToLimits("memory", memory)
                        // The agent only reads the mounted image, and its JVM writes little;
                        // an image from a claim is imported into scratch to be checked.
                        .addToRequests("ephemeral-storage", new Quantity("64Mi"))
                        .addToLimits(
                            "ephemeral-storage",
                            ImageVolume.fromClaim(image)
                                ? ImageVolume.scratchLimit(image)
                                : new Quantity("256Mi"))
                        .build())
                .build())
        .endSpec();
  }
}
