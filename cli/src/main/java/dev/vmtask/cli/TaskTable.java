package dev.vmtask.cli;

import dev.vmtask.api.task.VirtualMachineTask;
import dev.vmtask.api.task.VirtualMachineTaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The table {@code get} prints: one task per line, columns aligned as kubectl aligns them. */
final class TaskTable {
  static final List<String> HEADER =
      List.of("NAME", "PHASE", "REASON", "EXIT", "ATTEMPTS", "NODE", "AGE");

  private TaskTable() {}

  static String render(List<VirtualMachineTask> tasks, Instant now) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(HEADER);
    for (VirtualMachineTask task : tasks) {
      rows.add(row(task, now));
    }
    int[] widths = new int[HEADER.size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(row.get(i));
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - row.get(i).length() + 3));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  static List<String> row(VirtualMachineTask task, Instant now) {
    VirtualMachineTaskStatus s = task.getStatus();
    return List.of(
        task.getMetadata().getName(),
        String.valueOf(TaskLocator.phase(task)),
        s == null || s.getReason() == null ? "" : s.getReason().name(),
        s == null || s.getExitCode() == null ? "" : s.getExitCode().toString(),
        s == null || s.getAttempts() == null ? "" : s.getAttempts().toString(),
        s == null || s.getNodeName() == null ? "" : s.getNodeName(),
        age(task.getMetadata().getCreationTimestamp(), now));
  }

  static String age(String created, Instant now) {
    if (created == null) {
      return "";
    }
    try {
      return humanDuration(Duration.between(Instant.parse(created), now));
    } catch (DateTimeParseException e) {
      return "";
    }
  }

  /** kubectl's rendering of an age: 45s, 3m20s, 17m, 5h3m, 30h, 3d4h, 20d, 2y10d. */
  static String humanDuration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 120) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      return seconds % 60 == 0 ? minutes + "m" : minutes + "m" + seconds % 60 + "s";
    }
    if (minutes < 180) {
      return minutes + "m";
    }
    long hours = minutes / 60;
    if (hours < 8) {
      return minutes % 60 == 0 ? hours + "h" : hours + "h" + minutes % 60 + "m";
    }
    if (hours < 48) {
      return hours + "h";
    }
    long days = hours / 24;
    if (hours < 24 * 8) {
      return hours % 24 == 0 ? days + "d" : days + "d" + hours % 24 + "h";
    }
    if (days < 365 * 2) {
      return days + "d";
    }
    long years = days / 365;
    if (days < 365 * 8) {
      return days % 365 == 0 ? years + "y" : years + "y" + days % 365 + "d";
    }
    return years + "y";
  }
}
