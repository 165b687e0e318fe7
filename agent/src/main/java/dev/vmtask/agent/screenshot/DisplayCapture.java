package dev.vmtask.agent.screenshot;

import dev.vmtask.agent.vm.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Takes a screenshot of a running VM: QEMU writes a PNG of the display to {@code dumpFile} in the
 * VM's private directory, which {@link ScreenshotStore} checks and copies to the destination.
 */
public final class DisplayCapture {
  private final VirtualMachine vm;
  private final Path dumpFile;
  private final ScreenshotStore store;

  public DisplayCapture(VirtualMachine vm, Path dumpFile, ScreenshotStore store) {
    this.vm = vm;
    this.dumpFile = dumpFile;
    this.store = store;
  }

  public StoredScreenshot take(ScreenshotRequest request) throws ScreenshotException {
    if (!vm.isRunning()) {
      throw new ScreenshotException("QEMU had already exited");
    }
    try {
      Files.deleteIfExists(dumpFile);
      vm.screendumpPng(dumpFile);
      if (!Files.exists(dumpFile)) {
        throw new ScreenshotException("QEMU reported a screendump but wrote no file");
      }
      return store.store(dumpFile, request);
    } catch (IOException e) {
      throw new ScreenshotException(e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(dumpFile);
      } catch (IOException e) {
        // the VM directory is deleted with the run
      }
    }
  }
}
