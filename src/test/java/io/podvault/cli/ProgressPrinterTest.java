package io.podvault.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The command line's progress: a bar on a terminal, short plain lines elsewhere")
class ProgressPrinterTest {

  private static JsonObject event(String state, String phase, long rowsDone, long rowsTotal) {
    return new JsonObject().put("type", "job").put("state", state).put("phase", phase).put("phase_text", "Dumping the data")
      .put("table", "Episodes").put("rows_done", rowsDone).put("rows_total", rowsTotal);
  }

  private static String print(boolean terminal, List<JsonObject> events) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressPrinter printer = new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal);
    events.forEach(printer);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("on a terminal one line is redrawn in place with a bar, and ends with a new line")
  void terminalBar() {
    String shown = print(true, List.of(event("running", "dumping", 0, 1_000), event("running", "dumping", 400, 1_000),
      event("succeeded", "dumping", 1_000, 1_000)));
    assertThat(shown.split("\r", -1)).hasSize(4);
    assertThat(shown).contains("[" + "#".repeat(12) + ".".repeat(18) + "]  40% Dumping the data · Episodes (400 of 1,000 rows)")
      .endsWith("[##############################] 100% Dumping the data · Episodes (1,000 of 1,000 rows)" + System.lineSeparator());
  }

  @Test
  @DisplayName("elsewhere a line at each phase and each further tenth, not at every event")
  void plainLines() {
    List<JsonObject> events = new java.util.ArrayList<>();
    for (long rows = 0; rows <= 1_000; rows += 10) {
      events.add(event("running", "dumping", rows, 1_000));
    }
    events.add(event("running", "indexing", 0, 0));
    String shown = print(false, events);
    assertThat(shown).doesNotContain("\r");
    assertThat(shown.lines().toList()).hasSize(12).first().asString().isEqualTo("Dumping the data   0% (0 of 1,000 rows)");
    assertThat(shown.lines().toList().get(5)).isEqualTo("Dumping the data  50% (500 of 1,000 rows)");
  }
}
