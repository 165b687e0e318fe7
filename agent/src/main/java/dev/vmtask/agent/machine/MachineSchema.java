package dev.vmtask.agent.machine;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The allowed values of a machine definition: taskcluster's v1 schema plus this project's additions
 * (chipsets {@code pc}/{@code q35}, NIC {@code virtio-net-pci}, storage {@code ide-hd}, graphics
 * {@code none}, CPU model {@code max} for software emulation).
 */
public final class MachineSchema {
  public static final int VERSION = 1;
  public static final int MAX_TOPOLOGY = 255;
  public static final int MAX_MEMORY_MIB = 1024 * 1024;

  /** taskcluster's only chipset; kept readable and mapped to {@code pc}. */
  public static final String LEGACY_CHIPSET = "pc-i440fx-2.8";

  public static final Set<String> CHIPSETS = Set.of("pc", "q35");
  public static final Set<String> CPUS = Set.of("host", "max");
  public static final Set<String> USB = Set.of("piix3-usb-uhci", "piix4-usb-uhci", "nec-usb-xhci");
  public static final Set<String> NETWORKS = Set.of("rtl8139", "e1000", "virtio-net-pci");
  public static final Set<String> STORAGE = Set.of("virtio-blk-pci", "ide-hd");
  public static final Set<String> GRAPHICS =
      Set.of("none", "VGA", "vmware-svga", "qxl-vga", "virtio-vga");
  public static final Set<String> SOUND =
      Set.of(
          "none",
          "AC97",
          "ES1370",
          "hda-duplex/intel-hda",
          "hda-micro/intel-hda",
          "hda-output/intel-hda",
          "hda-duplex/ich9-intel-hda",
          "hda-micro/ich9-intel-hda",
          "hda-output/ich9-intel-hda");
  public static final Set<String> KEYBOARDS = Set.of("usb-kbd", "PS/2");
  public static final Set<String> KEYBOARD_LAYOUTS =
      Set.of(
          "ar", "da", "de", "de-ch", "en-gb", "en-us", "es", "et", "fi", "fo", "fr", "fr-be",
          "fr-ca", "fr-ch", "hr", "hu", "is", "it", "ja", "lt", "lv", "mk", "nl", "nl-be", "no",
          "pl", "pt", "pt-br", "ru", "sl", "sv", "th", "tr");
  public static final Set<String> MICE = Set.of("usb-mouse", "PS/2");
  public static final Set<String> TABLETS = Set.of("usb-tablet", "none");

  /** CPU flags: taskcluster allows none (an enum without options), so only {@code []} passes. */
  public static final Set<String> FLAGS = Set.of();

  /** RFC 4122 UUID, versions 1-5, lower case (taskcluster's pattern). */
  public static final Pattern UUID =
      Pattern.compile("^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

  /** Locally administered unicast MAC, lower case (taskcluster's pattern). */
  public static final Pattern MAC = Pattern.compile("^[0-9a-f][26ae](:[0-9a-f]{2}){5}$");

  private MachineSchema() {}
}
