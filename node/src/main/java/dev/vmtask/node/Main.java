package dev.vmtask.node;

/** Entry point of the node daemon. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.err.println("vmtask-node: not wired yet");
    System.exit(2);
  }
}
