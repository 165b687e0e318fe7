package dev.vmtask.api.image;

/** Where a VMImage is in its life. */
public enum ImagePhase {
  /** Not validated yet: a fetch pod is pending or running. */
  Pending,
  /** Fetched and validated; tasks may boot it. */
  Ready,
  /** Fetching or validation failed; see status.message. Tasks using it fail with ImageFailed. */
  Failed
}
