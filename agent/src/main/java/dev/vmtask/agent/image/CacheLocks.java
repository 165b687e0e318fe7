package dev.vmtask.agent.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * File locks that work both across processes (POSIX locks via {@link FileChannel#lock}) and between
 * threads of one JVM, where the JDK refuses a second lock on the same file ({@link
 * OverlappingFileLockException}): exclusive locks add an in-JVM mutex, shared pins are
 * reference-counted per file.
 */
final class CacheLocks {
  private static final Map<Path, ReentrantLock> MUTEXES = new ConcurrentHashMap<>();
  private static final Map<Path, SharedState> SHARED = new HashMap<>();

  private CacheLocks() {}

  /** An exclusive lock; blocks until held. */
  static Held exclusive(Path file) throws IOException {
    ReentrantLock mutex = MUTEXES.computeIfAbsent(file.toAbsolutePath(), p -> new ReentrantLock());
    mutex.lock();
    try {
      FileChannel ch = open(file);
      FileLock lock = ch.lock();
      return () -> {
        try {
          lock.release();
          ch.close();
        } finally {
          mutex.unlock();
        }
      };
    } catch (IOException | RuntimeException e) {
      mutex.unlock();
      throw e;
    }
  }

  /** An exclusive lock if nobody holds the file (here or in another process), else null. */
  static Held tryExclusive(Path file) throws IOException {
    Path key = file.toAbsolutePath();
    synchronized (SHARED) {
      if (SHARED.containsKey(key)) {
        return null;
      }
      ReentrantLock mutex = MUTEXES.computeIfAbsent(key, p -> new ReentrantLock());
      if (!mutex.tryLock()) {
        return null;
      }
      FileChannel ch = null;
      try {
        ch = open(file);
        FileLock lock = tryLock(ch);
        if (lock == null) {
          ch.close();
          mutex.unlock();
          return null;
        }
        FileChannel channel = ch;
        return () -> {
          try {
            lock.release();
            channel.close();
          } finally {
            mutex.unlock();
          }
        };
      } catch (IOException | RuntimeException e) {
        if (ch != null) {
          ch.close();
        }
        mutex.unlock();
        throw e;
      }
    }
  }

  private static FileLock tryLock(FileChannel ch) throws IOException {
    try {
      return ch.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // this thread already holds it (the mutex is reentrant): busy
    }
  }

  /** A shared pin: many holders, no exclusive lock while any is held. Touches the file's mtime. */
  static Held shared(Path file) throws IOException {
    Path key = file.toAbsolutePath();
    synchronized (SHARED) {
      SharedState s = SHARED.get(key);
      if (s == null) {
        FileChannel ch = open(file);
        try {
          s = new SharedState(ch, ch.lock(0, Long.MAX_VALUE, true));
        } catch (IOException | RuntimeException e) {
          ch.close();
          throw e;
        }
        SHARED.put(key, s);
      }
      s.holders++;
      touch(file);
    }
    boolean[] released = {false};
    return () -> {
      synchronized (SHARED) {
        if (released[0]) {
          return;
        }
        released[0] = true;
        touch(file);
        SharedState s = SHARED.get(key);
        if (--s.holders == 0) {
          SHARED.remove(key);
          s.lock.release();
          s.channel.close();
        }
      }
    };
  }

  private static void touch(Path file) throws IOException {
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
  }

  private static FileChannel open(Path file) throws IOException {
    return FileChannel.open(
        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** A held lock; closing releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  private static final class SharedState {
    final FileChannel channel;
    final FileLock lock;
    int holders;

    SharedState(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }
  }
}
