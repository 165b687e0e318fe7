package dev.vmtask.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A way to reach the agent's interactive port: the pod's port-forward ({@link PodPortForward}), or
 * in tests a plain socket.
 */
interface Transport {
  /** Opens one two-way byte stream to the port. */
  Link connect() throws IOException;

  /** One two-way byte stream; closing it ends both directions. */
  interface Link extends Closeable {
    InputStream input();

    OutputStream output();

    /**
     * Why the stream ended or could not carry data, when the transport knows (the API server
     * refused the port-forward, nothing listens on the port); null otherwise.
     */
    String failure();
  }
}
