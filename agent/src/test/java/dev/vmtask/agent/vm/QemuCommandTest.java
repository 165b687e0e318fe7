package dev.vmtask.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtask.agent.machine.MachineDefinition;
import dev.vmtask.agent.machine.MachineLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QemuCommandTest {
  private static final VmFiles FILES = new VmFiles(Path.of("/scratch/vm1"));
  private static final VmNetwork NONE =
      new VmNetwork(new InetSocketAddress("127.0.0.1", 4321), false);

  private static MachineDefinition machine(MachineDefinition task) throws Exception {
    return MachineDefinition.resolve(List.of(task), new MachineLimits(2048, 4, 1), new Random(1));
  }

  private static String after(List<String> argv, String option) {
    return argv.get(argv.indexOf(option) + 1);
  }

  @Test
  void batchMachineUnderTcg() throws Exception {
    MachineDefinition m = machine(MachineDefinition.builder().cpus(2).memory(512).build());
    List<String> a =
        QemuCommand.build(
            "qemu", m, Acceleration.TCG, Path.of("/s/disk.qcow2"), "qcow2", NONE, FILES, null);

    assertThat(a.subList(0, 4)).containsExactly("qemu", "-S", "-no-user-config", "-nodefaults");
    assertThat(after(a, "-accel")).isEqualTo("tcg,thread=multi");
    assertThat(after(a, "-cpu")).isEqualTo("max"); // "host" does not exist under TCG
    assertThat(after(a, "-smp")).isEqualTo("cpus=2,sockets=1,cores=2,threads=1");
    assertThat(after(a, "-m")).isEqualTo("512M");
    assertThat(after(a, "-uuid")).isEqualTo(m.uuid());
    assertThat(after(a, "-netdev"))
        .isEqualTo(
            "user,id=net0,net=169.254.0.0/16,restrict=on,"
                + "guestfwd=tcp:169.254.169.254:80-cmd:socat -t 3600 - TCP:127.0.0.1:4321");
    assertThat(a).contains("e1000,netdev=net0,mac=" + m.mac() + ",romfile=");
    assertThat(a).contains("virtio-blk-pci,drive=disk0,bootindex=1");
    assertThat(after(a, "-drive")).startsWith("file=/s/disk.qcow2,format=qcow2,if=none,id=disk0");
    assertThat(a).contains("-no-reboot", "-pidfile", "/scratch/vm1/qemu.pid");
    assertThat(after(a, "-sandbox")).startsWith("on,");
    assertThat(a).doesNotContain("-vnc", "-realtime", "-k");
  }

  @Test
  void graphicsMachineUnderKvmWithOutboundNetwork() throws Exception {
    MachineDefinition m =
        machine(
            MachineDefinition.builder()
                .cpus(1)
                .chipset("q35")
                .graphics("VGA")
                .storage("ide-hd")
                .network("virtio-net-pci")
                .sound("hda-duplex/ich9-intel-hda")
                .build());
    VmNetwork outbound = new VmNetwork(new InetSocketAddress("127.0.0.1", 1), true);
    List<String> a =
        QemuCommand.build(
            "qemu", m, Acceleration.KVM, Path.of("/d,1.img"), "raw", outbound, FILES, null);

    assertThat(after(a, "-machine")).isEqualTo("q35");
    assertThat(after(a, "-accel")).isEqualTo("kvm");
    assertThat(after(a, "-cpu")).isEqualTo("host");
    assertThat(after(a, "-vnc")).isEqualTo("unix:/scratch/vm1/vnc.sock,share=force-shared");
    assertThat(a).contains("VGA,id=video0", "nec-usb-xhci,id=usb", "usb-tablet,bus=usb.0");
    // the HDA controller comes before its codec
    assertThat(a.indexOf("ich9-intel-hda,id=sound0"))
        .isLessThan(a.indexOf("hda-duplex,bus=sound0.0"));
    assertThat(a).contains("ide-hd,drive=disk0,bus=ide.0,bootindex=1");
    assertThat(after(a, "-netdev")).contains("restrict=off");
    assertThat(after(a, "-drive")).startsWith("file=/d,,1.img,format=raw"); // comma escaped
  }

  @Test
  void cdromsAreReadOnlyAndBootFirstOnlyWhenAsked() throws Exception {
    MachineDefinition virtio = machine(MachineDefinition.builder().cpus(1).build());
    List<Path> isos = List.of(Path.of("/cd/a.iso"), Path.of("/cd/b,c.iso"));

    List<String> install =
        QemuCommand.build(
            "q", virtio, Acceleration.TCG, Path.of("/d"), "qcow2", NONE, FILES, null, isos, true);
    List<String> run =
        QemuCommand.build(
            "q", virtio, Acceleration.TCG, Path.of("/d"), "qcow2", NONE, FILES, null, isos, false);

    assertThat(install)
        .contains(
            "file=/cd/a.iso,format=raw,if=none,id=cdrom0,media=cdrom,readonly=on",
            "file=/cd/b,,c.iso,format=raw,if=none,id=cdrom1,media=cdrom,readonly=on",
            "ide-cd,drive=cdrom0,bootindex=1",
            "ide-cd,drive=cdrom1,bootindex=2",
            "virtio-blk-pci,drive=disk0,bootindex=3");
    assertThat(run)
        .contains(
            "virtio-blk-pci,drive=disk0,bootindex=1",
            "ide-cd,drive=cdrom0,bootindex=2",
            "ide-cd,drive=cdrom1,bootindex=3");
  }

  @Test
  void aConfigDriveIsReadOnlyOnTheDiskBusAndNeverBoots() throws Exception {
    MachineDefinition virtio = machine(MachineDefinition.builder().cpus(1).build());
    Path iso = Path.of("/scratch/vm1/cidata.iso");
    List<String> a =
        QemuCommand.build("q", virtio, Acceleration.TCG, Path.of("/d"), "qcow2", NONE, FILES, iso);

    assertThat(a)
        .contains(
            "file=/scratch/vm1/cidata.iso,format=raw,if=none,id=config0,readonly=on",
            "virtio-blk-pci,drive=config0");
    assertThat(a.stream().filter(s -> s.contains("bootindex"))).hasSize(1);

    MachineDefinition ide = machine(MachineDefinition.builder().cpus(1).storage("ide-hd").build());
    assertThat(
            QemuCommand.build("q", ide, Acceleration.TCG, Path.of("/d"), "raw", NONE, FILES, iso))
        .contains("ide-cd,drive=config0,bus=ide.1");
  }

  @Test
  void autoMustBeResolvedFirst() throws Exception {
    MachineDefinition m = machine(MachineDefinition.builder().cpus(1).build());
    assertThatThrownBy(
            () ->
                QemuCommand.build(
                    "q", m, Acceleration.AUTO, Path.of("/d"), "raw", NONE, FILES, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
