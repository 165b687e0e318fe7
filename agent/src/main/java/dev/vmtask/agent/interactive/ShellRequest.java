package dev.vmtask.agent.interactive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Pattern;

/**
 * A client's shell request ({@code {"command":[..],"tty":..,"rows":..,"cols":..,"term":..}}),
 * checked and rebuilt field by field so that only what the guest tools expect reaches them.
 */
final class ShellRequest {
  static final int MAX_ARGS = 256;
  static final int MAX_ARG_CHARS = 4096;
  private static final Pattern TERM = Pattern.compile("[A-Za-z0-9._+-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private ShellRequest() {}

  /** The request for the guest; IllegalArgumentException says what is wrong with it. */
  static ObjectNode parse(String json) {
    JsonNode in;
    try {
      in = JSON.readTree(json == null ? "" : json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "the shell request is not JSON: " + e.getOriginalMessage());
    }
    if (in == null || !in.isObject()) {
      throw new IllegalArgumentException("the shell request must be a JSON object");
    }
    ObjectNode out = JSON.createObjectNode();
    ArrayNode command = out.putArray("command");
    JsonNode c = in.path("command");
    if (!c.isMissingNode() && !c.isNull()) {
      if (!c.isArray() || c.size() > MAX_ARGS) {
        throw new IllegalArgumentException(
            "command must be an array of at most " + MAX_ARGS + " strings");
      }
      for (JsonNode a : c) {
        if (!a.isTextual() || a.asText().length() > MAX_ARG_CHARS || a.asText().indexOf(0) >= 0) {
          throw new IllegalArgumentException(
              "command arguments must be strings of at most " + MAX_ARG_CHARS + " characters");
        }
        command.add(a.asText());
      }
    }
    JsonNode tty = in.path("tty");
    if (!tty.isMissingNode() && !tty.isBoolean()) {
      throw new IllegalArgumentException("tty must be true or false");
    }
    out.put("tty", tty.asBoolean(false));
    out.put("rows", dimension(in, "rows", 24));
    out.put("cols", dimension(in, "cols", 80));
    JsonNode term = in.path("term");
    if (!term.isMissingNode()) {
      if (!term.isTextual() || !TERM.matcher(term.asText()).matches()) {
        throw new IllegalArgumentException("term must match " + TERM.pattern());
      }
      out.put("term", term.asText());
    }
    return out;
  }

  private static int dimension(JsonNode in, String field, int fallback) {
    JsonNode n = in.path(field);
    if (n.isMissingNode()) {
      return fallback;
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1 || n.asInt() > 9999) {
      throw new IllegalArgumentException(field + " must be a whole number from 1 to 9999");
    }
    return n.asInt();
  }
}
