package dev.vmtask.cli;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Drops the agent's own lines ({@code vmtask-agent: ...}) from a task pod's log, passing the guest
 * command's output through. It decides as soon as a line's first bytes tell, so that a prompt
 * without a newline still shows while following the log.
 */
final class AgentLineFilter extends FilterOutputStream {
  static final byte[] PREFIX = "vmtask-agent: ".getBytes(StandardCharsets.US_ASCII);

  /** The start of the current line, while it may still turn out to be the agent's. */
  private final ByteArrayOutputStream undecided = new ByteArrayOutputStream();

  private boolean dropping;
  private boolean passing;

  AgentLineFilter(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    if (passing) {
      out.write(b);
    } else if (!dropping) {
      undecided.write(b);
      int n = undecided.size();
      if (b != PREFIX[n - 1]) {
        passing = true;
        undecided.writeTo(out);
        undecided.reset();
      } else if (n == PREFIX.length) {
        dropping = true;
        undecided.reset();
      }
    }
    if (b == '\n') {
      passing = false;
      dropping = false;
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    int end = off + len;
    int i = off;
    while (i < end) {
      if (passing || dropping) {
        // Whole runs up to the end of the line at once rather than byte by byte.
        int nl = i;
        while (nl < end && b[nl] != '\n') {
          nl++;
        }
        int stop = nl < end ? nl + 1 : end;
        if (passing) {
          out.write(b, i, stop - i);
        }
        if (nl < end) {
          passing = false;
          dropping = false;
        }
        i = stop;
      } else {
        write(b[i++] & 0xff);
      }
    }
  }

  /** At the end of the log: a last line shorter than the prefix is output, not agent's. */
  void finish() throws IOException {
    undecided.writeTo(out);
    undecided.reset();
    out.flush();
  }
}
