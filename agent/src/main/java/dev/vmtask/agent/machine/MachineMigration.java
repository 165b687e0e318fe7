package dev.vmtask.agent.machine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * taskcluster's v0 to v1 migration. v0 had no {@code version}, nested {@code cpu{threads, cores,
 * sockets}}, {@code network{device, mac}}, {@code keyboard{layout}} and {@code sound{device,
 * controller}}; v1 is flat. As in taskcluster, threads default to 1, graphics become {@code
 * vmware-svga}, the tablet {@code none} and sound {@code device/controller} (just {@code device}
 * for the {@code pci} controller). One difference: the v0 NIC model is kept (taskcluster always
 * wrote e1000).
 */
final class MachineMigration {
  private static final List<String> V0_KEYS =
      List.of("uuid", "memory", "cpu", "network", "keyboard", "sound");

  private MachineMigration() {}

  static ObjectNode v0ToV1(ObjectNode v0, String heading) throws InvalidMachineException {
    List<String> problems = new ArrayList<>();
    v0.fieldNames()
        .forEachRemaining(
            k -> {
              if (!V0_KEYS.contains(k)) {
                problems.add(k + ": unknown field (a definition without 'version' is read as v0)");
              }
            });
    for (String nested : List.of("cpu", "network", "keyboard", "sound")) {
      JsonNode n = v0.get(nested);
      if (n != null && !n.isNull() && !n.isObject()) {
        problems.add(nested + ": must be an object in a v0 definition");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidMachineException(heading, problems);
    }
    ObjectNode v1 = v0.objectNode();
    v1.put("version", 1);
    copy(v0, "uuid", v1, "uuid");
    v1.put("chipset", "pc");
    v1.put("cpu", "host");
    v1.putArray("flags");
    v1.put("threads", 1);
    JsonNode cpu = v0.path("cpu");
    copy(cpu, "threads", v1, "threads");
    copy(cpu, "cores", v1, "cores");
    copy(cpu, "sockets", v1, "sockets");
    JsonNode memory = v0.get("memory");
    if (memory != null && !(memory.isIntegralNumber() && memory.asLong() == 0)) {
      v1.set("memory", memory); // v0 used 0 for "unset"
    }
    v1.put("usb", "nec-usb-xhci");
    JsonNode network = v0.path("network");
    v1.put("network", network.path("device").asText("e1000"));
    copy(network, "mac", v1, "mac");
    v1.put("storage", "virtio-blk-pci");
    v1.put("graphics", "vmware-svga");
    JsonNode sound = v0.get("sound");
    if (sound == null || sound.isNull()) {
      v1.put("sound", "none");
    } else {
      String device = sound.path("device").asText("");
      String controller = sound.path("controller").asText("");
      v1.put("sound", "pci".equals(controller) ? device : device + "/" + controller);
    }
    v1.put("keyboard", "usb-kbd");
    copy(v0.path("keyboard"), "layout", v1, "keyboardLayout");
    v1.put("mouse", "usb-mouse");
    v1.put("tablet", "none");
    for (String nested : List.of("cpu", "network", "keyboard", "sound")) {
      checkNestedKeys(v0.path(nested), nested, problems);
    }
    if (!problems.isEmpty()) {
      throw new InvalidMachineException(heading, problems);
    }
    return v1;
  }

  private static void checkNestedKeys(JsonNode n, String name, List<String> problems) {
    List<String> allowed =
        switch (name) {
          case "cpu" -> List.of("threads", "cores", "sockets");
          case "network" -> List.of("device", "mac");
          case "keyboard" -> List.of("layout");
          default -> List.of("device", "controller");
        };
    n.fieldNames()
        .forEachRemaining(
            k -> {
              if (!allowed.contains(k)) {
                problems.add(name + "." + k + ": unknown field");
              }
            });
  }

  private static void copy(JsonNode from, String key, ObjectNode to, String toKey) {
    JsonNode v = from.get(key);
    if (v != null && !v.isNull()) {
      to.set(toKey, v);
    }
  }
}
