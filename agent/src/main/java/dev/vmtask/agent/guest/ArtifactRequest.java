package dev.vmtask.agent.guest;

import java.nio.file.Path;

/**
 * One artifact to copy out of the guest: a file is written as {@code destination/<basename>}, a
 * directory as the tree under {@code destination}.
 */
public record ArtifactRequest(String name, String guestPath, boolean directory, Path destination) {}
