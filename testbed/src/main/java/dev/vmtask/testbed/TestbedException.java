package dev.vmtask.testbed;

/** The testbed could not be started or used; the message includes what the scripts printed. */
public class TestbedException extends RuntimeException {
  public TestbedException(String message, String scriptOutput) {
    super(message + (scriptOutput.isBlank() ? "" : "; output:\n" + scriptOutput.strip()));
  }

  public TestbedException(String message, Throwable cause) {
    super(message, cause);
  }
}
