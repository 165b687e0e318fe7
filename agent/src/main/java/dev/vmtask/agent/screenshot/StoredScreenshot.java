package dev.vmtask.agent.screenshot;

/**
 * A screenshot in its destination; {@code path} is relative to the destination ({@value
 * ScreenshotRequest#FILE_NAME}).
 */
public record StoredScreenshot(long sizeBytes, String sha256, String path, int width, int height) {}
