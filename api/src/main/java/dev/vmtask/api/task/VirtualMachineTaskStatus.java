package dev.vmtask.api.task;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed about a task. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VirtualMachineTaskStatus {
  @JsonPropertyDescription("Pending, Scheduled, Booting, Running, Succeeded or Failed.")
  private TaskPhase phase;

  @JsonPropertyDescription("Conditions of types Scheduled, Running, Complete and Failed.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription(
      "Exit code of the last attempt (the guest's, or 125 for other failures).")
  private Integer exitCode;

  @JsonPropertyDescription("Why the task finished (see docs/api.md), e.g. Completed, NonZeroExit.")
  private TaskReason reason;

  @JsonPropertyDescription("Human-readable detail.")
  private String message;

  @JsonPropertyDescription("When the first attempt's pod was created (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the task finished (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("Node of the current or last attempt.")
  private String nodeName;

  @JsonPropertyDescription("Pod of the current or last attempt.")
  private String podName;

  @JsonPropertyDescription("Attempts started so far.")
  private Integer attempts;

  @JsonPropertyDescription("When the next attempt may start, while waiting out a retry backoff.")
  private String nextAttemptTime;

  @JsonPropertyDescription("Artifacts stored by the last attempt.")
  private List<ArtifactResult> artifacts;

  @JsonPropertyDescription("The screenshot the last attempt stored (name screenshot).")
  private ArtifactResult screenshot;

  @JsonPropertyDescription("The image archive the task wrote (spec.output), once it succeeded.")
  private OutputResult output;

  @JsonPropertyDescription("Acceleration the last attempt used: kvm or tcg.")
  private String acceleration;

  @JsonPropertyDescription(
      "Why the last attempt used that acceleration, e.g. tcg because no VM node offers"
          + " devices.vmtask.dev/kvm, with each node's KVM verdict.")
  private String accelerationMessage;

  @JsonPropertyDescription("Stage durations of the last attempt.")
  private Timings timings;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  public TaskPhase getPhase() {
    return phase;
  }

  public void setPhase(TaskPhase phase) {
    this.phase = phase;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Integer getExitCode() {
    return exitCode;
  }

  public void setExitCode(Integer exitCode) {
    this.exitCode = exitCode;
  }

  public TaskReason getReason() {
    return reason;
  }

  public void setReason(TaskReason reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getStartTime() {
    return startTime;
  }

  public void setStartTime(String startTime) {
    this.startTime = startTime;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public void setCompletionTime(String completionTime) {
    this.completionTime = completionTime;
  }

  public String getNodeName() {
    return nodeName;
  }

  public void setNodeName(String nodeName) {
    this.nodeName = nodeName;
  }

  public String getPodName() {
    return podName;
  }

  public void setPodName(String podName) {
    this.podName = podName;
  }

  public Integer getAttempts() {
    return attempts;
  }

  public void setAttempts(Integer attempts) {
    this.attempts = attempts;
  }

  public String getNextAttemptTime() {
    return nextAttemptTime;
  }

  public void setNextAttemptTime(String nextAttemptTime) {
    this.nextAttemptTime = nextAttemptTime;
  }

  public List<ArtifactResult> getArtifacts() {
    return artifacts;
  }

  public void setArtifacts(List<ArtifactResult> artifacts) {
    this.artifacts = artifacts;
  }

  public ArtifactResult getScreenshot() {
    return screenshot;
  }

  public void setScreenshot(ArtifactResult screenshot) {
    this.screenshot = screenshot;
  }

  public String getAcceleration() {
    return acceleration;
  }

  public void setAcceleration(String acceleration) {
    this.acceleration = acceleration;
  }

  public String getAccelerationMessage() {
    return accelerationMessage;
  }

  public void setAccelerationMessage(String accelerationMessage) {
    this.accelerationMessage = accelerationMessage;
  }

  public Timings getTimings() {
    return timings;
  }

  public void setTimings(Timings timings) {
    this.timings = timings;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public OutputResult getOutput() {
    return output;
  }

  public void setOutput(OutputResult output) {
    this.output = output;
  }
}
