package dev.vmtask.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The API server's side of one {@code pods/portforward} websocket (protocol v4.channel.k8s.io), for
 * tests: it accepts the upgrade, announces the port on the data and error channels, then hands the
 * data channel to a {@link FakeAgent.Script} as plain streams, or reports an error on the error
 * channel as the kubelet does when nothing listens on the port.
 */
final class FakePortForwardServer implements AutoCloseable {
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket server;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  final CompletableFuture<String> upgradePath = new CompletableFuture<>();

  /** Serves one port-forward whose data channel plays {@code script}. */
  static FakePortForwardServer serving(int port, FakeAgent.Script script) throws IOException {
    return new FakePortForwardServer(port, script, null);
  }

  /** Serves one port-forward that fails with {@code error} on the error channel. */
  static FakePortForwardServer failing(int port, String error) throws IOException {
    return new FakePortForwardServer(port, null, error);
  }

  private FakePortForwardServer(int port, FakeAgent.Script script, String error)
      throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                serve(s, port, script, error);
                done.complete(null);
              } catch (Throwable e) {
                done.completeExceptionally(e);
              }
            },
            "fake-portforward");
    t.setDaemon(true);
    t.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  void awaitDone() throws Exception {
    done.get(10, TimeUnit.SECONDS);
  }

  private void serve(Socket s, int port, FakeAgent.Script script, String error) throws Exception {
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    String key = null;
    String requestLine = null;
    for (String line; !(line = headerLine(in)).isEmpty(); ) {
      if (requestLine == null) {
        requestLine = line;
      } else if (line.toLowerCase().startsWith("sec-websocket-key:")) {
        key = line.substring(line.indexOf(':') + 1).trim();
      }
    }
    upgradePath.complete(requestLine.split(" ")[1]);
    String accept =
        Base64.getEncoder()
            .encodeToString(
                MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + accept
                + "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    byte[] portBytes = {(byte) port, (byte) (port >> 8)};
    sendFrame(out, 0x2, new byte[] {0, portBytes[0], portBytes[1]});
    sendFrame(out, 0x2, new byte[] {1, portBytes[0], portBytes[1]});
    if (error != null) {
      byte[] text = error.getBytes(StandardCharsets.UTF_8);
      byte[] payload = new byte[text.length + 1];
      payload[0] = 1;
      System.arraycopy(text, 0, payload, 1, text.length);
      sendFrame(out, 0x2, payload);
      sendFrame(out, 0x8, new byte[] {0x03, (byte) 0xe8});
      drain(in);
      return;
    }
    PipedOutputStream toAgent = new PipedOutputStream();
    PipedInputStream agentIn = new PipedInputStream(toAgent, 1 << 20);
    Thread reader =
        new Thread(
            () -> {
              try {
                readFrames(in, out, toAgent);
              } catch (IOException e) {
                // the client went away
              } finally {
                try {
                  toAgent.close();
                } catch (IOException e) {
                  // nothing to do
                }
              }
            },
            "fake-portforward-reader");
    reader.setDaemon(true);
    reader.start();
    OutputStream agentOut =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            byte[] payload = new byte[len + 1];
            System.arraycopy(b, off, payload, 1, len);
            sendFrame(out, 0x2, payload);
          }
        };
    String request = InteractiveChannel.readLine(agentIn);
    script.play(request, agentIn, agentOut);
    // The agent closed its connection: the API server ends the websocket.
    sendFrame(out, 0x8, new byte[] {0x03, (byte) 0xe8});
    reader.join(5000);
  }

  private static String headerLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new IOException("end of stream in the upgrade request");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  private static synchronized void sendFrame(OutputStream out, int opcode, byte[] payload)
      throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x80 | opcode);
    if (payload.length < 126) {
      frame.write(payload.length);
    } else if (payload.length < 65536) {
      frame.write(126);
      frame.write(payload.length >> 8);
      frame.write(payload.length);
    } else {
      frame.write(127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >> shift));
      }
    }
    frame.write(payload);
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Client frames are masked; data frames carry the channel byte first. */
  private static void readFrames(InputStream raw, OutputStream out, OutputStream toAgent)
      throws IOException {
    DataInputStream in = new DataInputStream(raw);
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return;
      }
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] mask = new byte[4];
      if ((b1 & 0x80) != 0) {
        in.readFully(mask);
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i % 4];
      }
      switch (b0 & 0x0f) {
        case 0x2 -> {
          if (payload.length > 1 && payload[0] == 0) {
            toAgent.write(payload, 1, payload.length - 1);
            toAgent.flush();
          }
        }
        case 0x8 -> {
          return;
        }
        case 0x9 -> sendFrame(out, 0xA, payload);
        default -> {
          // text, pong, continuation: not used by the port-forward client
        }
      }
    }
  }

  private static void drain(InputStream in) {
    try {
      in.readAllBytes();
    } catch (IOException e) {
      // the client closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
