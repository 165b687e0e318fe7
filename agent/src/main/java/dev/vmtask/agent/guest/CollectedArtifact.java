package dev.vmtask.agent.guest;

/** A file copied out of the guest; {@code path} is relative to its request's destination. */
public record CollectedArtifact(String name, long sizeBytes, String sha256, String path) {}
