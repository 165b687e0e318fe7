package dev.vmtask.agent.interactive;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** The client end of the interactive protocol, as kubectl vmtask speaks it, for tests. */
public final class InteractiveClient implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String answer;

  private InteractiveClient(int port, String request) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(120_000);
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
    out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    answer = InteractiveServer.readLine(in);
  }

  /** Opens a connection: {@code request} is e.g. "VMTASK1 console". */
  public static InteractiveClient open(int port, String request) throws IOException {
    return new InteractiveClient(port, request);
  }

  /** The server's answer line: OK or ERROR ... */
  public String answer() {
    return answer;
  }

  public DataInputStream in() {
    return in;
  }

  public DataOutputStream out() {
    return out;
  }

  /** Reads the raw stream until {@code marker} appeared; returns what was read. */
  public String readUntil(String marker) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("stream ended before " + marker + "; got: " + seen);
      }
      seen.write(b);
    }
    return seen.toString(StandardCharsets.UTF_8);
  }

  public void sendFrame(char type, byte[] payload) throws IOException {
    out.writeByte(type);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  /** A shell session's result: everything written to stdout and stderr, and the exit status. */
  public record ShellResult(String stdout, String stderr, int exitStatus) {}

  /** Reads frames until the exit frame; a failure frame throws. */
  public ShellResult readShellResult() throws IOException {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    while (true) {
      int type = in.readUnsignedByte();
      int length = in.readInt();
      byte[] payload = in.readNBytes(length);
      switch (type) {
        case 'o' -> stdout.write(payload);
        case 'e' -> stderr.write(payload);
        case 'x' -> {
          return new ShellResult(
              stdout.toString(StandardCharsets.UTF_8),
              stderr.toString(StandardCharsets.UTF_8),
              java.nio.ByteBuffer.wrap(payload).getInt());
        }
        case 'f' ->
            throw new IOException("shell failed: " + new String(payload, StandardCharsets.UTF_8));
        default -> throw new IOException("unexpected frame type " + type);
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
