package dev.vmtask.api;

/** The API group and version shared by the vmtask custom resources. */
public final class VmtaskApi {
  public static final String GROUP = "vmtask.dev";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  private VmtaskApi() {}
}
