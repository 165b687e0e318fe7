package dev.vmtask.api.machine;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The virtual hardware. Every field is optional: a task's value wins over its image's, which wins
 * over the node's limits and the agent's built-in defaults.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.cpus) || !(has(self.threads) || has(self.cores) || has(self.sockets))"
            + " || (has(self.threads) ? self.threads : 1) * (has(self.cores) ? self.cores : 1)"
            + " * (has(self.sockets) ? self.sockets : 1) == self.cpus",
    message = "threads * cores * sockets must equal cpus (an unset topology field counts as 1)")
public class Machine {
  @JsonPropertyDescription("Number of virtual CPUs (1-64).")
  @Min(1)
  @Max(64)
  private Integer cpus;

  @JsonPropertyDescription("Threads per core (1-64); with cpus set, threads*cores*sockets == cpus.")
  @Min(1)
  @Max(64)
  private Integer threads;

  @JsonPropertyDescription("Cores per socket (1-64).")
  @Min(1)
  @Max(64)
  private Integer cores;

  @JsonPropertyDescription("Number of CPU sockets (1-64).")
  @Min(1)
  @Max(64)
  private Integer sockets;

  @JsonPropertyDescription("Guest memory in MiB (64-262144).")
  @Min(64)
  @Max(262144)
  private Integer memoryMiB;

  @JsonPropertyDescription("Emulated chipset: pc (i440FX) or q35.")
  private Chipset chipset;

  @JsonPropertyDescription("Emulated network card.")
  private NetworkDevice network;

  @JsonPropertyDescription("Disk controller of the boot disk.")
  private StorageDevice storage;

  @JsonPropertyDescription("Display adapter; none runs headless.")
  private Graphics graphics;

  public Integer getCpus() {
    return cpus;
  }

  public void setCpus(Integer cpus) {
    this.cpus = cpus;
  }

  public Integer getThreads() {
    return threads;
  }

  public void setThreads(Integer threads) {
    this.threads = threads;
  }

  public Integer getCores() {
    return cores;
  }

  public void setCores(Integer cores) {
    this.cores = cores;
  }

  public Integer getSockets() {
    return sockets;
  }

  public void setSockets(Integer sockets) {
    this.sockets = sockets;
  }

  public Integer getMemoryMiB() {
    return memoryMiB;
  }

  public void setMemoryMiB(Integer memoryMiB) {
    this.memoryMiB = memoryMiB;
  }

  public Chipset getChipset() {
    return chipset;
  }

  public void setChipset(Chipset chipset) {
    this.chipset = chipset;
  }

  public NetworkDevice getNetwork() {
    return network;
  }

  public void setNetwork(NetworkDevice network) {
    this.network = network;
  }

  public StorageDevice getStorage() {
    return storage;
  }

  public void setStorage(StorageDevice storage) {
    this.storage = storage;
  }

  public Graphics getGraphics() {
    return graphics;
  }

  public void setGraphics(Graphics graphics) {
    this.graphics = graphics;
  }
}
