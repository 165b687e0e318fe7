package dev.vmtask.agent.cloudinit;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A NoCloud config drive (an ISO 9660 volume labelled {@code cidata}) that makes cloud-init start
 * the vmtask guest agent for this boot: {@code bootcmd} mounts the drive and runs the agent from
 * it, as a transient systemd unit where systemd runs. Nothing is written to the guest's disk, so
 * the image stays as it was and nothing outlives the task's overlay. An image whose own unit starts
 * the agent is left to it, so the agent never runs twice.
 */
public final class CloudInitDrive {
  public static final String LABEL = "cidata";
  static final String MOUNT_POINT = "/run/vmtask-cidata";

  static final String USER_DATA =
      """
      #cloud-config
      # Written by vmtask: start the vmtask guest agent from this drive for this boot only.
      bootcmd:
        - [sh, -c, 'd=%1$s; mkdir -p "$d" && { mountpoint -q "$d" || mount -o ro -t iso9660 LABEL=%2$s "$d"; } && sh "$d/vmtask-start" "$d"']
      """
          .formatted(MOUNT_POINT, LABEL);

  static final String START_SCRIPT =
      """
      #!/bin/sh
      # Starts the vmtask guest agent from the config drive mounted at $1.
      d=$1
      if systemctl is-enabled --quiet vmtask-guest.service 2>/dev/null; then
        echo "vmtask: the image starts its own guest agent" >/dev/console
        exit 0
      fi
      if [ -d /run/systemd/system ]; then
        exec systemd-run --unit=vmtask-guest-cidata --description="vmtask guest agent" \\
          --property=After=systemd-logind.service \\
          --property=StandardOutput=journal+console --property=StandardError=journal+console \\
          --no-block "$d/vmtask-guest" run
      fi
      setsid "$d/vmtask-guest" run </dev/null >/dev/console 2>&1 &
      """;

  private CloudInitDrive() {}

  /**
   * Writes {@code cidata.iso} into {@code dir} (the VM's private directory) and returns it.
   *
   * @param agentBinary the static guest agent ({@code guest/build-agent.sh})
   * @param instanceId cloud-init's instance id; a new one per VM makes every boot a first boot
   */
  public static Path write(Path dir, Path agentBinary, String instanceId) throws IOException {
    if (!Files.isRegularFile(agentBinary)) {
      throw new IOException(
          "the guest agent binary "
              + agentBinary
              + " is missing (build it with guest/build-agent.sh, or set VMTASK_GUEST_AGENT)");
    }
    Path metaData = Files.writeString(dir.resolve("meta-data"), metaData(instanceId), UTF_8);
    Path userData = Files.writeString(dir.resolve("user-data"), USER_DATA, UTF_8);
    Path start = Files.writeString(dir.resolve("vmtask-start"), START_SCRIPT, UTF_8);
    Path iso = dir.resolve("cidata.iso");
    new IsoImageWriter(LABEL)
        .add("meta-data", metaData)
        .add("user-data", userData)
        .add("vmtask-start", start)
        .add("vmtask-guest", agentBinary)
        .write(iso);
    return iso;
  }

  static String metaData(String instanceId) {
    if (!instanceId.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException("invalid instance id '" + instanceId + "'");
    }
    return "instance-id: " + instanceId + "\nlocal-hostname: vmtask\n";
  }
}
