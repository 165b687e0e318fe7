package dev.vmtask.node;

import org.slf4j.Logger;

/**
 * A problem a periodic check keeps finding, logged once until it changes or is resolved, not on
 * every check. Used by one checking thread at a time.
 */
public final class ProblemLog {
  private final Logger log;
  private String last;

  public ProblemLog(Logger log) {
    this.log = log;
  }

  public void warn(String message) {
    if (!message.equals(last)) {
      log.warn(message);
      last = message;
    }
  }

  /** The problem is gone: the next one is logged again, even if it is the same. */
  public void resolved() {
    last = null;
  }
}
