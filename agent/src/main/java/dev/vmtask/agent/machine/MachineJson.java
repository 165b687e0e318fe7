package dev.vmtask.agent.machine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes machine definitions: an image's {@code machine.json} (taskcluster v1, or v0
 * migrated to v1) and the {@code machine} object of the operator's task JSON.
 */
public final class MachineJson {
  /** Largest accepted {@code machine.json}, as in taskcluster. */
  public static final int MAX_BYTES = 1024 * 1024;

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private MachineJson() {}

  /** Parses a {@code machine.json}; every schema problem is listed with its JSON path. */
  public static MachineDefinition parse(byte[] json) throws InvalidMachineException {
    String heading = "Invalid machine definition in 'machine.json'";
    if (json.length > MAX_BYTES) {
      throw new InvalidMachineException(
          "machine.json is " + json.length + " bytes, larger than the limit of " + MAX_BYTES);
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidMachineException(
          "Invalid JSON in 'machine.json': " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidMachineException("Invalid JSON in 'machine.json': " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidMachineException(heading, List.of("(root): must be a JSON object"));
    }
    if (!root.has("version")) {
      root = MachineMigration.v0ToV1((ObjectNode) root, heading);
    }
    return readV1((ObjectNode) root, heading);
  }

  /**
   * Reads the task JSON's {@code machine} object ({@code cpus, threads, cores, sockets, memoryMiB,
   * chipset, network, storage, graphics}); {@code null} or a missing object is an empty machine.
   * {@code path} names the object in messages, e.g. {@code "machine"}.
   */
  public static MachineDefinition fromTask(JsonNode node, String path)
      throws InvalidMachineException {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return MachineDefinition.EMPTY;
    }
    String heading = "Invalid machine in the task";
    if (!node.isObject()) {
      throw new InvalidMachineException(heading, List.of(path + ": must be a JSON object"));
    }
    Fields f = new Fields(node, path + ".");
    MachineDefinition m =
        MachineDefinition.builder()
            .cpus(f.integer("cpus", 1, MachineSchema.MAX_TOPOLOGY))
            .threads(f.integer("threads", 1, MachineSchema.MAX_TOPOLOGY))
            .cores(f.integer("cores", 1, MachineSchema.MAX_TOPOLOGY))
            .sockets(f.integer("sockets", 1, MachineSchema.MAX_TOPOLOGY))
            .memory(f.integer("memoryMiB", 1, MachineSchema.MAX_MEMORY_MIB))
            .chipset(chipset(f.enumeration("chipset", MachineSchema.CHIPSETS, true)))
            .network(f.enumeration("network", MachineSchema.NETWORKS, false))
            .storage(f.enumeration("storage", MachineSchema.STORAGE, false))
            .graphics(f.enumeration("graphics", MachineSchema.GRAPHICS, false))
            .build();
    f.finish(heading);
    if (m.cpus() == null && m.hasCpuRequest()) {
      // A task's topology is its request: do not let unset dimensions grow to the node's maximum.
      m = m.toBuilder().cpus(orOne(m.threads()) * orOne(m.cores()) * orOne(m.sockets())).build();
    }
    return m;
  }

  private static int orOne(Integer v) {
    return v == null ? 1 : v;
  }

  /** The v1 JSON form (unset fields left out), as stored in the cache's {@code entry.json}. */
  public static ObjectNode toJson(MachineDefinition m) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    putIf(o, "version", m.version());
    putIf(o, "uuid", m.uuid());
    putIf(o, "chipset", m.chipset());
    putIf(o, "cpu", m.cpu());
    if (m.flags() != null) {
      m.flags().forEach(o.putArray("flags")::add);
    }
    putIf(o, "threads", m.threads());
    putIf(o, "cores", m.cores());
    putIf(o, "sockets", m.sockets());
    putIf(o, "cpus", m.cpus());
    putIf(o, "memory", m.memory());
    putIf(o, "usb", m.usb());
    putIf(o, "network", m.network());
    putIf(o, "mac", m.mac());
    putIf(o, "storage", m.storage());
    putIf(o, "graphics", m.graphics());
    putIf(o, "sound", m.sound());
    putIf(o, "keyboard", m.keyboard());
    putIf(o, "keyboardLayout", m.keyboardLayout());
    putIf(o, "mouse", m.mouse());
    putIf(o, "tablet", m.tablet());
    return o;
  }

  static MachineDefinition readV1(ObjectNode root, String heading) throws InvalidMachineException {
    Fields f = new Fields(root, "");
    Integer version = f.integer("version", Integer.MIN_VALUE, Integer.MAX_VALUE);
    if (version != null && version != MachineSchema.VERSION) {
      f.problem("version", "must be " + MachineSchema.VERSION + ", got " + version);
    }
    MachineDefinition m =
        MachineDefinition.builder()
            .version(version)
            .uuid(f.pattern("uuid", MachineSchema.UUID, "a lower-case RFC 4122 UUID"))
            .chipset(chipset(f.enumeration("chipset", MachineSchema.CHIPSETS, true)))
            .cpu(f.enumeration("cpu", MachineSchema.CPUS, false))
            .flags(f.flags("flags"))
            .threads(f.integer("threads", 1, MachineSchema.MAX_TOPOLOGY))
            .cores(f.integer("cores", 1, MachineSchema.MAX_TOPOLOGY))
            .sockets(f.integer("sockets", 1, MachineSchema.MAX_TOPOLOGY))
            .cpus(f.integer("cpus", 1, MachineSchema.MAX_TOPOLOGY))
            .memory(f.integer("memory", 1, MachineSchema.MAX_MEMORY_MIB))
            .usb(f.enumeration("usb", MachineSchema.USB, false))
            .network(f.enumeration("network", MachineSchema.NETWORKS, false))
            .mac(
                f.pattern(
                    "mac", MachineSchema.MAC, "a lower-case locally administered unicast MAC"))
            .storage(f.enumeration("storage", MachineSchema.STORAGE, false))
            .graphics(f.enumeration("graphics", MachineSchema.GRAPHICS, false))
            .sound(f.enumeration("sound", MachineSchema.SOUND, false))
            .keyboard(f.enumeration("keyboard", MachineSchema.KEYBOARDS, false))
            .keyboardLayout(f.enumeration("keyboardLayout", MachineSchema.KEYBOARD_LAYOUTS, false))
            .mouse(f.enumeration("mouse", MachineSchema.MICE, false))
            .tablet(f.enumeration("tablet", MachineSchema.TABLETS, false))
            .build();
    f.finish(heading);
    return m;
  }

  private static String chipset(String value) {
    return MachineSchema.LEGACY_CHIPSET.equals(value) ? "pc" : value;
  }

  private static void putIf(ObjectNode o, String key, Object value) {
    if (value instanceof Integer i) {
      o.put(key, i);
    } else if (value instanceof String s) {
      o.put(key, s);
    }
  }

  /** Reads typed fields of one JSON object, collecting every problem and the keys it knows. */
  private static final class Fields {
    private final JsonNode object;
    private final String prefix;
    private final List<String> known = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    Fields(JsonNode object, String prefix) {
      this.object = object;
      this.prefix = prefix;
    }

    void problem(String key, String message) {
      problems.add(prefix + key + ": " + message);
    }

    private JsonNode get(String key) {
      known.add(key);
      JsonNode v = object.get(key);
      return v == null || v.isNull() ? null : v;
    }

    Integer integer(String key, int min, int max) {
      JsonNode v = get(key);
      if (v == null) {
        return null;
      }
      if (!v.isIntegralNumber() || !v.canConvertToInt()) {
        problem(key, "must be an integer, got " + describe(v));
        return null;
      }
      int i = v.intValue();
      if (i < min || i > max) {
        problem(key, "must be between " + min + " and " + max + ", got " + i);
        return null;
      }
      return i;
    }

    String enumeration(String key, java.util.Set<String> options, boolean legacyChipset) {
      JsonNode v = get(key);
      if (v == null) {
        return null;
      }
      if (v.isTextual()
          && (options.contains(v.textValue())
              || (legacyChipset && MachineSchema.LEGACY_CHIPSET.equals(v.textValue())))) {
        return v.textValue();
      }
      problem(key, "must be one of " + new java.util.TreeSet<>(options) + ", got " + describe(v));
      return null;
    }

    String pattern(String key, java.util.regex.Pattern pattern, String what) {
      JsonNode v = get(key);
      if (v == null) {
        return null;
      }
      if (v.isTextual() && pattern.matcher(v.textValue()).matches()) {
        return v.textValue();
      }
      problem(key, "must be " + what + " matching " + pattern.pattern() + ", got " + describe(v));
      return null;
    }

    List<String> flags(String key) {
      JsonNode v = get(key);
      if (v == null) {
        return null;
      }
      if (!v.isArray()) {
        problem(key, "must be an array, got " + describe(v));
        return null;
      }
      List<String> flags = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        JsonNode flag = v.get(i);
        if (flag.isTextual() && MachineSchema.FLAGS.contains(flag.textValue())) {
          flags.add(flag.textValue());
        } else {
          problems.add(
              prefix + key + "[" + i + "]: no CPU flags are allowed, got " + describe(flag));
        }
      }
      return flags;
    }

    void finish(String heading) throws InvalidMachineException {
      object
          .fieldNames()
          .forEachRemaining(
              name -> {
                if (!known.contains(name)) {
                  problems.add(prefix + name + ": unknown field");
                }
              });
      if (!problems.isEmpty()) {
        throw new InvalidMachineException(heading, problems);
      }
    }

    private static String describe(JsonNode v) {
      String text = v.toString();
      return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }
  }
}
