package dev.vmtask.agent.vm;

import dev.vmtask.agent.machine.MachineDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code qemu-system-x86_64} command line of one VM, modelled on taskcluster's (started paused,
 * no defaults, QMP and VNC on unix sockets) without its deprecated options, plus a serial console
 * on stdout, a seccomp sandbox, {@code -no-reboot} and a pid file.
 */
public final class QemuCommand {
  public static final String BINARY = "qemu-system-x86_64";

  private QemuCommand() {}

  /**
   * @param m a resolved machine (limits applied, identity set)
   * @param accel {@link Acceleration#KVM} or {@link Acceleration#TCG}
   * @param disk the per-task overlay (or any disk) and its format
   * @param configDrive a read-only ISO attached as a second disk (cloud-init's), or null
   */
  public static List<String> build(
      String binary,
      MachineDefinition m,
      Acceleration accel,
      Path disk,
      String diskFormat,
      VmNetwork network,
      VmFiles files,
      Path configDrive) {
    return build(binary, m, accel, disk, diskFormat, network, files, configDrive, List.of(), false);
  }

  /**
   * The same with read-only cdroms (ISO files, at most two); {@code cdromsFirst} boots from them
   * before the disk (a blank disk being installed).
   */
  public static List<String> build(
      String binary,
      MachineDefinition m,
      Acceleration accel,
      Path disk,
      String diskFormat,
      VmNetwork network,
      VmFiles files,
      Path configDrive,
      List<Path> cdroms,
      boolean cdromsFirst) {
    if (cdroms.size() > 2) {
      throw new IllegalArgumentException("at most two cdroms, got " + cdroms.size());
    }
    if (accel == Acceleration.AUTO) {
      throw new IllegalArgumentException("resolve auto acceleration before building the command");
    }
    int cpus = m.threads() * m.cores() * m.sockets();
    List<String> a = new ArrayList<>(List.of(binary, "-S", "-no-user-config", "-nodefaults"));
    a.addAll(List.of("-name", "vmtask,debug-threads=on"));
    a.addAll(List.of("-machine", m.chipset()));
    a.addAll(List.of("-accel", accel == Acceleration.KVM ? "kvm" : tcg(cpus)));
    // "host" exists only with KVM; "max" is the richest CPU TCG can emulate.
    a.addAll(List.of("-cpu", accel == Acceleration.TCG ? "max" : m.cpu()));
    a.addAll(
        List.of(
            "-smp",
            "cpus="
                + cpus
                + ",sockets="
                + m.sockets()
                + ",cores="
                + m.cores()
                + ",threads="
                + m.threads()));
    a.addAll(List.of("-m", m.memory() + "M"));
    a.addAll(List.of("-uuid", m.uuid()));
    a.addAll(List.of("-boot", "menu=off,strict=on"));
    a.addAll(List.of("-rtc", "base=utc"));
    // guestfwd starts socat for each guest connection, and both elevateprivileges=deny and
    // =children stop that (measured on QEMU 7.2), so privilege elevation is left to the pod
    // (non-root, no capabilities, no_new_privs).
    a.addAll(List.of("-sandbox", "on,obsolete=deny,resourcecontrol=deny"));
    a.addAll(List.of("-display", "none"));
    a.addAll(
        List.of("-chardev", "socket,id=qmp,server=on,wait=off,path=" + escape(files.qmpSocket())));
    a.addAll(List.of("-mon", "chardev=qmp,mode=control"));
    a.addAll(List.of("-chardev", "stdio,id=console,signal=off"));
    a.addAll(List.of("-serial", "chardev:console"));
    if (!"none".equals(m.graphics())) {
      a.addAll(List.of("-vnc", "unix:" + escape(files.vncSocket()) + ",share=force-shared"));
      a.addAll(List.of("-device", m.graphics() + ",id=video0"));
      addInput(a, m);
    }
    addSound(a, m.sound());
    a.addAll(List.of("-netdev", network.netdev("net0")));
    // romfile= drops the NIC's PXE option ROM: the VM boots from its disk, and initialising the ROM
    // costs boot time under TCG.
    a.addAll(List.of("-device", m.network() + ",netdev=net0,mac=" + m.mac() + ",romfile="));
    a.addAll(
        List.of(
            "-drive",
            "file="
                + escape(disk)
                + ",format="
                + diskFormat
                + ",if=none,id=disk0,cache=unsafe,aio=threads,discard=unmap,rerror=report,werror=report"));
    int diskBootIndex = cdromsFirst ? cdroms.size() + 1 : 1;
    a.addAll(
        List.of(
            "-device",
            "ide-hd".equals(m.storage())
                ? "ide-hd,drive=disk0,bus=ide.0,bootindex=" + diskBootIndex
                : "virtio-blk-pci,drive=disk0,bootindex=" + diskBootIndex));
    if (configDrive != null) {
      addConfigDrive(a, m, configDrive);
    }
    for (int i = 0; i < cdroms.size(); i++) {
      // IDE cdroms: what BIOS El Torito boot and every installer know; QEMU picks a free slot.
      a.addAll(
          List.of(
              "-drive",
              "file="
                  + escape(cdroms.get(i))
                  + ",format=raw,if=none,id=cdrom"
                  + i
                  + ",media=cdrom,readonly=on"));
      a.addAll(
          List.of(
              "-device",
              "ide-cd,drive=cdrom"
                  + i
                  + ",bootindex="
                  + (cdromsFirst ? i + 1 : diskBootIndex + i + 1)));
    }
    a.add("-no-reboot");
    a.addAll(List.of("-pidfile", files.pidFile().toString()));
    return a;
  }

  /** On the machine's disk bus, so a guest that can read its disk can read this one too. */
  private static void addConfigDrive(List<String> a, MachineDefinition m, Path iso) {
    a.addAll(
        List.of("-drive", "file=" + escape(iso) + ",format=raw,if=none,id=config0,readonly=on"));
    a.addAll(
        List.of(
            "-device",
            "ide-hd".equals(m.storage())
                ? "ide-cd,drive=config0,bus=ide.1"
                : "virtio-blk-pci,drive=config0"));
  }

  private static String tcg(int cpus) {
    return cpus > 1 ? "tcg,thread=multi" : "tcg";
  }

  private static void addInput(List<String> a, MachineDefinition m) {
    boolean usbKeyboard = "usb-kbd".equals(m.keyboard());
    boolean usbMouse = "usb-mouse".equals(m.mouse());
    boolean usbTablet = "usb-tablet".equals(m.tablet());
    if (!(usbKeyboard || usbMouse || usbTablet)) {
      return; // PS/2 keyboard and mouse are built into the chipset
    }
    a.addAll(List.of("-device", m.usb() + ",id=usb"));
    if (usbKeyboard) {
      a.addAll(List.of("-device", "usb-kbd,bus=usb.0"));
    }
    if (usbMouse) {
      a.addAll(List.of("-device", "usb-mouse,bus=usb.0"));
    }
    if (usbTablet) {
      a.addAll(List.of("-device", "usb-tablet,bus=usb.0"));
    }
    a.addAll(List.of("-k", m.keyboardLayout()));
  }

  private static void addSound(List<String> a, String sound) {
    if (sound == null || sound.equals("none")) {
      return;
    }
    int slash = sound.indexOf('/');
    if (slash < 0) {
      a.addAll(List.of("-device", sound + ",id=sound0"));
    } else {
      // The HDA controller must exist before its codec.
      a.addAll(List.of("-device", sound.substring(slash + 1) + ",id=sound0"));
      a.addAll(List.of("-device", sound.substring(0, slash) + ",bus=sound0.0"));
    }
  }

  /** QEMU option values separate keys with commas; a literal comma is written twice. */
  static String escape(Path p) {
    return p.toString().replace(",", ",,");
  }
}
