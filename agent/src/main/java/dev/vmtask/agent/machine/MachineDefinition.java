package dev.vmtask.agent.machine;

import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * The virtual hardware of one VM: taskcluster's machine definition v1 plus {@code cpus} (total
 * vCPUs). A {@code null} component is unset and may be filled by {@link #withDefaults}; after
 * {@link #applyLimits} every CPU and memory component is set.
 *
 * <p>Resolution order for a VM: {@code task.withDefaults(image).withDefaults(node)
 * .withDefaults(BUILT_IN).withIdentity(random).applyLimits(limits)}; see {@link #resolve}.
 */
public record MachineDefinition(
    Integer version,
    String uuid,
    String chipset,
    String cpu,
    List<String> flags,
    Integer threads,
    Integer cores,
    Integer sockets,
    Integer cpus,
    Integer memory,
    String usb,
    String network,
    String mac,
    String storage,
    String graphics,
    String sound,
    String keyboard,
    String keyboardLayout,
    String mouse,
    String tablet) {

  /** Nothing set: inherits everything. */
  public static final MachineDefinition EMPTY = builder().build();

  /**
   * The built-in defaults: taskcluster's, except graphics {@code none} (batch jobs need no
   * display). No uuid or mac: {@link #withIdentity} gives each VM its own.
   */
  public static final MachineDefinition BUILT_IN =
      builder()
          .version(MachineSchema.VERSION)
          .chipset("pc")
          .cpu("host")
          .flags(List.of())
          .usb("nec-usb-xhci")
          .network("e1000")
          .storage("virtio-blk-pci")
          .graphics("none")
          .sound("none")
          .keyboard("usb-kbd")
          .keyboardLayout("en-us")
          .mouse("usb-mouse")
          .tablet("usb-tablet")
          .build();

  /**
   * Devices for a standalone qcow2 or raw disk, which has no machine.json: virtio network and disk,
   * as KubeVirt gives, because cloud kernels (Debian's among them) have no e1000 driver. Archives
   * keep taskcluster's defaults.
   */
  public static final MachineDefinition STANDALONE_DISK =
      builder().network("virtio-net-pci").storage("virtio-blk-pci").build();

  public MachineDefinition {
    flags = flags == null ? null : List.copyOf(flags);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** True when this layer says anything about the CPU shape (cpus or any topology field). */
  public boolean hasCpuRequest() {
    return cpus != null || threads != null || cores != null || sockets != null;
  }

  /**
   * Fields unset here are taken from {@code other}. The CPU shape ({@code cpus}, {@code threads},
   * {@code cores}, {@code sockets}) is one decision: a layer that sets any of them keeps its own
   * and inherits none of the others, so a task asking for 4 cpus is not combined with an image's
   * {@code cores: 3}.
   */
  public MachineDefinition withDefaults(MachineDefinition other) {
    MachineDefinition cpuSource = hasCpuRequest() ? this : other;
    return new MachineDefinition(
        first(version, other.version),
        first(uuid, other.uuid),
        first(chipset, other.chipset),
        first(cpu, other.cpu),
        first(flags, other.flags),
        cpuSource.threads,
        cpuSource.cores,
        cpuSource.sockets,
        cpuSource.cpus,
        first(memory, other.memory),
        first(usb, other.usb),
        first(network, other.network),
        first(mac, other.mac),
        first(storage, other.storage),
        first(graphics, other.graphics),
        first(sound, other.sound),
        first(keyboard, other.keyboard),
        first(keyboardLayout, other.keyboardLayout),
        first(mouse, other.mouse),
        first(tablet, other.tablet));
  }

  /** Fills an unset uuid (random v4) and mac (random, locally administered, unicast). */
  public MachineDefinition withIdentity(RandomGenerator random) {
    Builder b = toBuilder();
    if (uuid == null) {
      b.uuid(new UUID((random.nextLong() & ~0xf000L) | 0x4000L, randomVariant(random)).toString());
    }
    if (mac == null) {
      b.mac(randomMac(random));
    }
    return b.build();
  }

  /** See {@link MachineLimits} and {@link CpuTopology} for the algorithm. */
  public MachineDefinition applyLimits(MachineLimits limits) throws InvalidMachineException {
    return CpuTopology.apply(this, limits);
  }

  /**
   * The machine of one VM from its layers, highest precedence first (task, image, node), then the
   * built-in defaults, a fresh identity and the node limits.
   */
  public static MachineDefinition resolve(
      List<MachineDefinition> layers, MachineLimits limits, RandomGenerator random)
      throws InvalidMachineException {
    MachineDefinition merged = EMPTY;
    for (MachineDefinition layer : layers) {
      merged = merged.withDefaults(layer);
    }
    return merged.withDefaults(BUILT_IN).withIdentity(random).applyLimits(limits);
  }

  private static long randomVariant(RandomGenerator random) {
    return (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
  }

  private static String randomMac(RandomGenerator random) {
    byte[] b = new byte[6];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    b[0] = (byte) ((b[0] & 0xfc) | 0x02); // locally administered, unicast
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < b.length; i++) {
      s.append(i == 0 ? "" : ":").append(String.format(Locale.ROOT, "%02x", b[i] & 0xff));
    }
    return s.toString();
  }

  private static <T> T first(T a, T b) {
    return a != null ? a : b;
  }

  /** Builds a definition field by field; unset fields stay {@code null}. */
  public static final class Builder {
    private Integer version;
    private String uuid;
    private String chipset;
    private String cpu;
    private List<String> flags;
    private Integer threads;
    private Integer cores;
    private Integer sockets;
    private Integer cpus;
    private Integer memory;
    private String usb;
    private String network;
    private String mac;
    private String storage;
    private String graphics;
    private String sound;
    private String keyboard;
    private String keyboardLayout;
    private String mouse;
    private String tablet;

    private Builder() {}

    private Builder(MachineDefinition m) {
      version = m.version;
      uuid = m.uuid;
      chipset = m.chipset;
      cpu = m.cpu;
      flags = m.flags;
      threads = m.threads;
      cores = m.cores;
      sockets = m.sockets;
      cpus = m.cpus;
      memory = m.memory;
      usb = m.usb;
      network = m.network;
      mac = m.mac;
      storage = m.storage;
      graphics = m.graphics;
      sound = m.sound;
      keyboard = m.keyboard;
      keyboardLayout = m.keyboardLayout;
      mouse = m.mouse;
      tablet = m.tablet;
    }

    public Builder version(Integer v) {
      version = v;
      return this;
    }

    public Builder uuid(String v) {
      uuid = v;
      return this;
    }

    public Builder chipset(String v) {
      chipset = v;
      return this;
    }

    public Builder cpu(String v) {
      cpu = v;
      return this;
    }

    public Builder flags(List<String> v) {
      flags = v;
      return this;
    }

    public Builder threads(Integer v) {
      threads = v;
      return this;
    }

    public Builder cores(Integer v) {
      cores = v;
      return this;
    }

    public Builder sockets(Integer v) {
      sockets = v;
      return this;
    }

    public Builder cpus(Integer v) {
      cpus = v;
      return this;
    }

    public Builder memory(Integer v) {
      memory = v;
      return this;
    }

    public Builder usb(String v) {
      usb = v;
      return this;
    }

    public Builder network(String v) {
      network = v;
      return this;
    }

    public Builder mac(String v) {
      mac = v;
      return this;
    }

    public Builder storage(String v) {
      storage = v;
      return this;
    }

    public Builder graphics(String v) {
      graphics = v;
      return this;
    }

    public Builder sound(String v) {
      sound = v;
      return this;
    }

    public Builder keyboard(String v) {
      keyboard = v;
      return this;
    }

    public Builder keyboardLayout(String v) {
      keyboardLayout = v;
      return this;
    }

    public Builder mouse(String v) {
      mouse = v;
      return this;
    }

    public Builder tablet(String v) {
      tablet = v;
      return this;
    }

    public MachineDefinition build() {
      return new MachineDefinition(
          version,
          uuid,
          chipset,
          cpu,
          flags,
          threads,
          cores,
          sockets,
          cpus,
          memory,
          usb,
          network,
          mac,
          storage,
          graphics,
          sound,
          keyboard,
          keyboardLayout,
          mouse,
          tablet);
    }
  }
}
