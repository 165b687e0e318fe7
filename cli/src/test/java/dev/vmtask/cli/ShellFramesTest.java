package dev.vmtask.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ShellFramesTest {
  @Test
  void framesRoundTrip() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] big = new byte[ShellFrames.MAX_PAYLOAD];
    Arrays.fill(big, (byte) 7);
    ShellFrames.write(out, ShellFrames.STDIN, "hello".getBytes(StandardCharsets.UTF_8));
    ShellFrames.write(out, ShellFrames.STDIN_CLOSED, new byte[0]);
    ShellFrames.write(out, ShellFrames.RESIZE, ShellFrames.resize(50, 132));
    ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(42));
    ShellFrames.write(out, ShellFrames.STDOUT, big);
    ShellFrames.write(out, ShellFrames.STDERR, "xabc".getBytes(StandardCharsets.UTF_8), 1, 2);

    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    ShellFrames.Frame f = ShellFrames.read(in);
    assertThat(f.type()).isEqualTo((byte) 'i');
    assertThat(f.text()).isEqualTo("hello");
    f = ShellFrames.read(in);
    assertThat(f.type()).isEqualTo((byte) 'c');
    assertThat(f.payload()).isEmpty();
    f = ShellFrames.read(in);
    assertThat(f.type()).isEqualTo((byte) 'r');
    ByteBuffer size = ByteBuffer.wrap(f.payload());
    assertThat(size.getShort() & 0xffff).isEqualTo(50);
    assertThat(size.getShort() & 0xffff).isEqualTo(132);
    f = ShellFrames.read(in);
    assertThat(f.exitStatus()).isEqualTo(42);
    f = ShellFrames.read(in);
    assertThat(f.type()).isEqualTo((byte) 'o');
    assertThat(f.payload()).isEqualTo(big);
    f = ShellFrames.read(in);
    assertThat(f.text()).isEqualTo("ab");
    assertThat(ShellFrames.read(in)).isNull();
  }

  @Test
  void theWireFormatIsTypeLengthPayload() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ShellFrames.write(out, ShellFrames.STDIN, new byte[] {1, 2, 3});
    assertThat(out.toByteArray()).containsExactly('i', 0, 0, 0, 3, 1, 2, 3);
    out.reset();
    ShellFrames.write(out, ShellFrames.EXIT, ShellFrames.exit(-1));
    assertThat(out.toByteArray()).containsExactly('x', 0, 0, 0, 4, -1, -1, -1, -1);
  }

  @Test
  void aPayloadOverTheLimitIsRefusedBothWays() {
    byte[] tooBig = new byte[ShellFrames.MAX_PAYLOAD + 1];
    assertThatThrownBy(
            () -> ShellFrames.write(new ByteArrayOutputStream(), ShellFrames.STDIN, tooBig))
        .isInstanceOf(ProtocolException.class);

    byte[] header = ByteBuffer.allocate(5).put((byte) 'o').putInt(65537).array();
    assertThatThrownBy(() -> ShellFrames.read(new ByteArrayInputStream(header)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("65537");
    // A length with the top bit set is a huge unsigned length, not a negative one.
    byte[] huge = ByteBuffer.allocate(5).put((byte) 'o').putInt(-1).array();
    assertThatThrownBy(() -> ShellFrames.read(new ByteArrayInputStream(huge)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("4294967295");
  }

  @Test
  void aStreamEndingInsideAFrameIsAnError() {
    assertThatThrownBy(() -> ShellFrames.read(new ByteArrayInputStream(new byte[] {'o', 0, 0})))
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(
            () -> ShellFrames.read(new ByteArrayInputStream(new byte[] {'o', 0, 0, 0, 5, 1, 2})))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void anExitFrameMustCarryFourBytes() {
    ShellFrames.Frame frame = new ShellFrames.Frame(ShellFrames.EXIT, new byte[] {1});
    assertThatThrownBy(frame::exitStatus).isInstanceOf(ProtocolException.class);
  }
}
