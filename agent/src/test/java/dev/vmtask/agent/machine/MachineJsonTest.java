package dev.vmtask.agent.machine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class MachineJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static MachineDefinition parse(String json) throws InvalidMachineException {
    return MachineJson.parse(json.getBytes(UTF_8));
  }

  private static InvalidMachineException rejected(String json) {
    try {
      parse(json);
    } catch (InvalidMachineException e) {
      return e;
    }
    throw new AssertionError("accepted: " + json);
  }

  @Test
  void parsesAFullV1Definition() throws Exception {
    MachineDefinition m =
        parse(
            """
            {"version": 1, "uuid": "52bab607-10f1-4049-a0f8-ee4725cb715b",
             "chipset": "pc-i440fx-2.8", "cpu": "host", "flags": [], "threads": 1, "cores": 2,
             "sockets": 1, "memory": 1024, "usb": "nec-usb-xhci", "network": "virtio-net-pci",
             "mac": "aa:54:1a:30:5c:de", "storage": "ide-hd", "graphics": "qxl-vga",
             "sound": "hda-duplex/ich9-intel-hda", "keyboard": "PS/2", "keyboardLayout": "de-ch",
             "mouse": "usb-mouse", "tablet": "none"}
            """);
    assertThat(m.chipset()).as("legacy chipset maps to pc").isEqualTo("pc");
    assertThat(m.cores()).isEqualTo(2);
    assertThat(m.memory()).isEqualTo(1024);
    assertThat(m.network()).isEqualTo("virtio-net-pci");
    assertThat(m.storage()).isEqualTo("ide-hd");
    assertThat(m.sound()).isEqualTo("hda-duplex/ich9-intel-hda");
    assertThat(m.keyboardLayout()).isEqualTo("de-ch");
    assertThat(m.flags()).isEmpty();
    assertThat(m.cpus()).isNull();
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    MachineDefinition m =
        MachineDefinition.BUILT_IN.toBuilder()
            .memory(300)
            .cores(2)
            .mac("02:00:00:00:00:01")
            .build();
    byte[] json = MAPPER.writeValueAsBytes(MachineJson.toJson(m));
    assertThat(MachineJson.parse(json)).isEqualTo(m);
  }

  @Test
  void listsEveryProblemWithItsPath() {
    InvalidMachineException e =
        rejected(
            """
            {"version": 1, "memory": 0, "cores": 256, "threads": 1.5, "network": "ne2k",
             "uuid": "52BAB607-10F1-4049-A0F8-EE4725CB715B", "mac": "01:00:00:00:00:00",
             "flags": ["avx"], "keyboardLayout": "xx", "bogus": true, "chipset": 3}
            """);
    assertThat(e.getMessage()).startsWith("Invalid machine definition in 'machine.json':");
    assertThat(e.problems())
        .containsExactlyInAnyOrder(
            "memory: must be between 1 and 1048576, got 0",
            "cores: must be between 1 and 255, got 256",
            "threads: must be an integer, got 1.5",
            "network: must be one of [e1000, rtl8139, virtio-net-pci], got \"ne2k\"",
            "uuid: must be a lower-case RFC 4122 UUID matching "
                + MachineSchema.UUID.pattern()
                + ", got \"52BAB607-10F1-4049-A0F8-EE4725CB715B\"",
            "mac: must be a lower-case locally administered unicast MAC matching "
                + MachineSchema.MAC.pattern()
                + ", got \"01:00:00:00:00:00\"",
            "flags[0]: no CPU flags are allowed, got \"avx\"",
            "keyboardLayout: must be one of "
                + new java.util.TreeSet<>(MachineSchema.KEYBOARD_LAYOUTS)
                + ", got \"xx\"",
            "bogus: unknown field",
            "chipset: must be one of [pc, q35], got 3");
  }

  @Test
  void rejectsWrongVersionAndNonObjects() {
    assertThat(rejected("{\"version\": 2}").problems())
        .containsExactly("version: must be 1, got 2");
    assertThat(rejected("{\"version\": \"1\"}").problems())
        .containsExactly("version: must be an integer, got \"1\"");
    assertThat(rejected("[1]").problems()).containsExactly("(root): must be a JSON object");
  }

  @Test
  void rejectsInvalidJson() {
    assertThat(rejected("{\"version\": 1,").getMessage())
        .startsWith("Invalid JSON in 'machine.json'");
    assertThat(rejected("{\"version\": 1, \"memory\": 1, \"memory\": 2}").getMessage())
        .contains("Duplicate field 'memory'");
  }

  @Test
  void rejectsMoreThanOneMebibyte() {
    byte[] big = new byte[MachineJson.MAX_BYTES + 1];
    java.util.Arrays.fill(big, (byte) ' ');
    assertThatThrownBy(() -> MachineJson.parse(big))
        .isInstanceOf(InvalidMachineException.class)
        .hasMessage("machine.json is 1048577 bytes, larger than the limit of 1048576");
  }

  @Test
  void migratesV0() throws Exception {
    MachineDefinition m =
        parse(
            """
            {"uuid": "52bab607-10f1-4049-a0f8-ee4725cb715b", "memory": 0,
             "cpu": {"cores": 2}, "network": {"device": "rtl8139", "mac": "aa:54:1a:30:5c:de"},
             "keyboard": {"layout": "en-us"}, "sound": {"device": "hda-duplex", "controller": "intel-hda"}}
            """);
    assertThat(m.version()).isEqualTo(1);
    assertThat(m.threads()).isEqualTo(1);
    assertThat(m.cores()).isEqualTo(2);
    assertThat(m.memory()).as("v0 memory 0 means unset").isNull();
    assertThat(m.network()).isEqualTo("rtl8139");
    assertThat(m.mac()).isEqualTo("aa:54:1a:30:5c:de");
    assertThat(m.graphics()).isEqualTo("vmware-svga");
    assertThat(m.tablet()).isEqualTo("none");
    assertThat(m.sound()).isEqualTo("hda-duplex/intel-hda");
    MachineDefinition pci =
        parse(
            "{\"keyboard\": {\"layout\": \"fr\"}, \"sound\": {\"device\": \"AC97\", \"controller\": \"pci\"}}");
    assertThat(pci.sound()).isEqualTo("AC97");
    assertThat(pci.keyboardLayout()).isEqualTo("fr");
  }

  @Test
  void v0WithUnknownFieldsIsRejected() {
    assertThat(rejected("{\"cpu\": {\"cores\": 2, \"turbo\": 1}, \"disk\": 1}").problems())
        .containsExactlyInAnyOrder(
            "disk: unknown field (a definition without 'version' is read as v0)");
    assertThat(rejected("{\"cpu\": {\"cores\": 2, \"turbo\": 1}}").problems())
        .containsExactly("cpu.turbo: unknown field");
    assertThat(rejected("{\"keyboard\": {\"layout\": \"xx\"}}").problems())
        .singleElement()
        .asString()
        .startsWith("keyboardLayout: must be one of");
  }

  @Test
  void readsTheTaskMachine() throws Exception {
    MachineDefinition m =
        MachineJson.fromTask(
            MAPPER.readTree(
                """
                {"cpus": 2, "threads": 1, "cores": 2, "sockets": 1, "memoryMiB": 512,
                 "chipset": "q35", "network": "virtio-net-pci", "storage": "ide-hd", "graphics": "none"}
                """),
            "machine");
    assertThat(m.cpus()).isEqualTo(2);
    assertThat(m.memory()).isEqualTo(512);
    assertThat(m.chipset()).isEqualTo("q35");
    assertThat(m.graphics()).isEqualTo("none");
    assertThat(MachineJson.fromTask(null, "machine")).isEqualTo(MachineDefinition.EMPTY);
    assertThat(MachineJson.fromTask(MAPPER.readTree("{\"memoryMiB\": null}"), "machine"))
        .isEqualTo(MachineDefinition.EMPTY);
  }

  @Test
  void aTaskTopologyIsItsRequest() throws Exception {
    MachineDefinition m =
        MachineJson.fromTask(MAPPER.readTree("{\"cores\": 2}"), "machine")
            .applyLimits(new MachineLimits(1024, 8, 2));
    assertThat(new int[] {m.threads(), m.cores(), m.sockets()}).containsExactly(1, 2, 1);
  }

  @Test
  void taskMachineErrorsNameTheirPath() {
    assertThatThrownBy(
            () ->
                MachineJson.fromTask(
                    MAPPER.readTree("{\"cpus\": 0, \"memory\": 5, \"graphics\": \"cirrus\"}"),
                    "image.machine"))
        .isInstanceOf(InvalidMachineException.class)
        .satisfies(
            e ->
                assertThat(((InvalidMachineException) e).problems())
                    .containsExactlyInAnyOrder(
                        "image.machine.cpus: must be between 1 and 255, got 0",
                        "image.machine.graphics: must be one of [VGA, none, qxl-vga, virtio-vga,"
                            + " vmware-svga], got \"cirrus\"",
                        "image.machine.memory: unknown field"));
  }
}
