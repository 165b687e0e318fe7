package dev.vmtask.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmtask.agent.machine.InvalidMachineException;
import dev.vmtask.agent.machine.MachineDefinition;
import dev.vmtask.agent.machine.MachineJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A published cache entry as described by its {@code entry.json}.
 *
 * @param sha256 hex digest of the fetched file; also the entry's directory name
 * @param baseFile the file a VM's overlay is backed by (layer.qcow2, disk.qcow2 or disk.img)
 * @param baseFormat {@code qcow2} or {@code raw}
 * @param sizeBytes the fetched file's size
 * @param allocatedBytes disk space the entry's files take (data blocks; holes excluded)
 */
public record CacheEntry(
    String sha256,
    ImageFormat format,
    String baseFile,
    String baseFormat,
    long sizeBytes,
    long virtualSizeBytes,
    long allocatedBytes,
    Optional<MachineDefinition> machine,
    Instant created) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static CacheEntry of(ImageIntake.Result r, Instant created) {
    return new CacheEntry(
        r.sha256(),
        r.format(),
        r.baseFile(),
        r.baseFormat(),
        r.sizeBytes(),
        r.virtualSizeBytes(),
        r.allocatedBytes(),
        Optional.ofNullable(r.machine()),
        created);
  }

  void write(Path file) throws IOException {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("digest", "sha256:" + sha256);
    o.put("format", format.id());
    o.put("baseFile", baseFile);
    o.put("baseFormat", baseFormat);
    o.put("sizeBytes", sizeBytes);
    o.put("virtualSizeBytes", virtualSizeBytes);
    o.put("allocatedBytes", allocatedBytes);
    machine.ifPresent(m -> o.set("machine", MachineJson.toJson(m)));
    o.put("created", created.toString());
    Files.write(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  static CacheEntry read(Path file) throws IOException {
    JsonNode o = MAPPER.readTree(Files.readAllBytes(file));
    String digest = o.path("digest").asText();
    Optional<MachineDefinition> machine = Optional.empty();
    if (o.hasNonNull("machine")) {
      try {
        machine = Optional.of(MachineJson.parse(MAPPER.writeValueAsBytes(o.get("machine"))));
      } catch (InvalidMachineException e) {
        throw new IOException("corrupt " + file + ": " + e.getMessage(), e);
      }
    }
    return new CacheEntry(
        digest.substring(digest.indexOf(':') + 1),
        ImageFormat.parse(o.path("format").asText()),
        o.path("baseFile").asText(),
        o.path("baseFormat").asText(),
        o.path("sizeBytes").asLong(),
        o.path("virtualSizeBytes").asLong(),
        o.path("allocatedBytes").asLong(),
        machine,
        Instant.parse(o.path("created").asText()));
  }
}
