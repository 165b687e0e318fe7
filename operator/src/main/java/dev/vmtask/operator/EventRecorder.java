package dev.vmtask.operator;

import dev.vmtask.operator.pod.PodNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventSeries;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts events.k8s.io/v1 Events for transitions. Posting is asynchronous so a slow API server never
 * holds a reconciliation; when the queue is full an event is dropped (and logged), as the kubelet's
 * recorder does.
 */
public final class EventRecorder implements AutoCloseable {
  public static final String CONTROLLER = "vmtask.dev/operator";
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final int NOTE_MAX = 1024;
  private static final int NAME_MAX = 253;
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final KubernetesClient client;
  private final String instance;
  private final ExecutorService executor =
      new ThreadPoolExecutor(
          1,
          2,
          30,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(10_000),
          r -> {
            Thread t = new Thread(r, "vmtask-events");
            t.setDaemon(true);
            return t;
          },
          (r, e) -> log.warn("event queue full; dropping an event"));

  public EventRecorder(KubernetesClient client, String instance) {
    this.client = client;
    this.instance = instance;
  }

  public void normal(HasMetadata regarding, String reason, String action, String note) {
    record(regarding, "Normal", reason, action, note);
  }

  public void warning(HasMetadata regarding, String reason, String action, String note) {
    record(regarding, "Warning", reason, action, note);
  }

  private void record(
      HasMetadata regarding, String type, String reason, String action, String note) {
    var meta = regarding.getMetadata();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name(regarding, type, reason, action, note))
            .withNamespace(meta.getNamespace())
            .endMetadata()
            .withRegarding(
                new ObjectReferenceBuilder()
                    .withApiVersion(regarding.getApiVersion())
                    .withKind(regarding.getKind())
                    .withName(meta.getName())
                    .withNamespace(meta.getNamespace())
                    .withUid(meta.getUid())
                    .build())
            .withType(type)
            .withReason(reason)
            .withAction(action)
            .withNote(note != null && note.length() > NOTE_MAX ? note.substring(0, NOTE_MAX) : note)
            .withEventTime(new MicroTime(MICROS.format(Instant.now())))
            .withReportingController(CONTROLLER)
            .withReportingInstance(instance)
            .build();
    executor.execute(
        () -> {
          try {
            post(event);
          } catch (RuntimeException e) {
            log.debug("could not post event {} for {}: {}", reason, meta.getName(), e.getMessage());
          }
        });
  }

  /** Creates the event, or, when the same one was posted before, counts it in its series. */
  private void post(Event event) {
    var events = client.events().v1().events().inNamespace(event.getMetadata().getNamespace());
    try {
      events.resource(event).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      events
          .withName(event.getMetadata().getName())
          .edit(
              seen -> {
                int count = seen.getSeries() == null ? 1 : seen.getSeries().getCount();
                seen.setSeries(new EventSeries(count + 1, event.getEventTime()));
                return seen;
              });
    }
  }

  /**
   * The same event about the same object always has the same name, so a repeat is counted in the
   * first one's series (as client-go's recorder does) instead of adding an object.
   */
  static String name(
      HasMetadata regarding, String type, String reason, String action, String note) {
    var meta = regarding.getMetadata();
    String key = String.join("\n", meta.getUid(), type, reason, action, String.valueOf(note));
    String hash = PodNames.hash(key);
    String base = meta.getName();
    int room = NAME_MAX - hash.length() - 1;
    return (base.length() > room ? base.substring(0, room) : base) + "." + hash;
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
