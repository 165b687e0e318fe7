package dev.vmtask.operator.pod;

/** Labels and annotations the operator puts on the pods it creates. */
public final class PodLabels {
  public static final String TASK = "vmtask.dev/task";
  public static final String ATTEMPT = "vmtask.dev/attempt";
  public static final String IMAGE = "vmtask.dev/image";
  public static final String ROLE = "vmtask.dev/role";
  public static final String GENERATION = "vmtask.dev/generation";
  public static final String NODE = "vmtask.dev/node";
  public static final String NAME = "app.kubernetes.io/name";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String PART_OF = "app.kubernetes.io/part-of";

  /** Full (uncut) image name; label values are cut to 63 characters. */
  public static final String IMAGE_ANNOTATION = "vmtask.dev/image-name";

  public static final String OPERATOR = "vmtask-operator";
  public static final String ROLE_TASK = "task";
  public static final String ROLE_FETCH = "fetch";
  public static final String ROLE_PREFETCH = "prefetch";

  /** Selects every pod this operator made. */
  public static final String SELECTOR = MANAGED_BY + "=" + OPERATOR;

  private PodLabels() {}
}
