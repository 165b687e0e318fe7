package dev.vmtask.agent.interactive;

import dev.vmtask.agent.guest.GuestShells;
import dev.vmtask.agent.vm.SerialConsole;
import java.nio.file.Path;

/**
 * What a running VM offers interactive clients: its serial console, its VNC socket (null without a
 * display) and shells through its guest tools.
 */
public record InteractiveVm(SerialConsole console, Path vncSocket, GuestShells shells) {}
