package dev.vmtask.node.deviceplugin;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Set;

/**
 * Calls back when one of some files in a directory is created or deleted (or events were lost), so
 * a kubelet restart is noticed at once rather than at the next periodic check. Its thread only
 * blocks for events and hands them on; the work happens on the caller's scheduler.
 */
final class SocketDirectoryWatch implements AutoCloseable {
  private final WatchService service;
  private final Thread thread;

  private SocketDirectoryWatch(WatchService service, Thread thread) {
    this.service = service;
    this.thread = thread;
  }

  /** Watches {@code names} (file names) in {@code directory}; {@code onChange} runs per batch. */
  static SocketDirectoryWatch start(Path directory, Set<Path> names, Runnable onChange)
      throws IOException {
    WatchService service = directory.getFileSystem().newWatchService();
    WatchKey key;
    try {
      key =
          directory.register(
              service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      service.close();
      throw e;
    }
    Thread thread =
        new Thread(
            () -> forward(service, key, names, onChange), "device-plugin-watch " + directory);
    thread.setDaemon(true);
    thread.start();
    return new SocketDirectoryWatch(service, thread);
  }

  /** False once the directory went away (its key is no longer valid) or the watch was closed. */
  boolean watching() {
    return thread.isAlive();
  }

  private static void forward(
      WatchService service, WatchKey watched, Set<Path> names, Runnable onChange) {
    try {
      while (true) {
        WatchKey key = service.take();
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          relevant |=
              event.kind() == StandardWatchEventKinds.OVERFLOW || names.contains(event.context());
        }
        boolean valid = key.reset();
        if (relevant || !valid) {
          onChange.run();
        }
        if (!valid && key == watched) {
          return;
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: the watch is over
    }
  }

  @Override
  public void close() {
    try {
      service.close(); // wakes take() with ClosedWatchServiceException
    } catch (IOException e) {
      thread.interrupt();
    }
  }
}
