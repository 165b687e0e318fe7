package dev.vmtask.cli;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The frames of a shell session on the interactive channel: one type byte, a 4-byte big-endian
 * payload length, the payload (at most {@link #MAX_PAYLOAD} bytes). The client sends stdin, resize
 * and stdin-closed; the server sends stdout, stderr, the exit status or a failure.
 */
final class ShellFrames {
  static final int MAX_PAYLOAD = 65536;

  static final byte STDIN = 'i';
  static final byte RESIZE = 'r';
  static final byte STDIN_CLOSED = 'c';
  static final byte STDOUT = 'o';
  static final byte STDERR = 'e';
  static final byte EXIT = 'x';
  static final byte FAILURE = 'f';

  /** One frame as read. */
  record Frame(byte type, byte[] payload) {
    /** The payload of an exit frame: a big-endian int32. */
    int exitStatus() throws ProtocolException {
      if (payload.length != 4) {
        throw new ProtocolException("exit frame of " + payload.length + " bytes, expected 4");
      }
      return ByteBuffer.wrap(payload).getInt();
    }

    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private ShellFrames() {}

  /**
   * Writes one frame as a single write, so that frames from several threads never interleave when
   * the caller holds a lock on {@code out}.
   */
  static void write(OutputStream out, byte type, byte[] payload, int offset, int length)
      throws IOException {
    if (length > MAX_PAYLOAD) {
      throw new ProtocolException(
          "frame payload of " + length + " bytes, more than " + MAX_PAYLOAD);
    }
    byte[] frame = new byte[5 + length];
    ByteBuffer.wrap(frame).put(type).putInt(length).put(payload, offset, length);
    out.write(frame);
    out.flush();
  }

  static void write(OutputStream out, byte type, byte[] payload) throws IOException {
    write(out, type, payload, 0, payload.length);
  }

  /** The payload of a resize frame: rows and columns as big-endian uint16. */
  static byte[] resize(int rows, int cols) {
    return ByteBuffer.allocate(4).putShort((short) rows).putShort((short) cols).array();
  }

  /** The payload of an exit frame. */
  static byte[] exit(int status) {
    return ByteBuffer.allocate(4).putInt(status).array();
  }

  /**
   * The next frame, or null when the stream ends between frames; a stream that ends inside a frame,
   * or a length over the limit, is an error.
   */
  static Frame read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    byte[] header = in.readNBytes(4);
    if (header.length < 4) {
      throw new EOFException("the stream ended inside a frame header");
    }
    long length = ByteBuffer.wrap(header).getInt() & 0xffffffffL;
    if (length > MAX_PAYLOAD) {
      throw new ProtocolException(
          "frame '" + (char) type + "' of " + length + " bytes, more than " + MAX_PAYLOAD);
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new EOFException("the stream ended inside a frame");
    }
    return new Frame((byte) type, payload);
  }
}
