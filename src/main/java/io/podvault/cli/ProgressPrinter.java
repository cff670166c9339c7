package io.podvault.cli;

import static io.podvault.contract.Fields.*;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Shows a job's progress: on a terminal, one line redrawn in place with a bar; otherwise (a log, a pipe) a plain line
 * at each new phase and each further tenth of the work, so that a cron mail stays short.
 */
final class ProgressPrinter implements Consumer<JsonObject> {

  private static final int BAR_WIDTH = 30;

  private final PrintStream out;
  private final boolean terminal;
  private String phase;
  private int tenth = -1;
  private int drawnWidth;

  ProgressPrinter(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public synchronized void accept(JsonObject event) {
    Double fraction = fraction(event);
    String state = event.getString(STATE);
    String text = event.getString(PHASE_TEXT, event.getString(PHASE));
    if (terminal) {
      draw(fraction, text, event);
      if (!STATE_RUNNING.equals(state)) {
        out.println();
        drawnWidth = 0;
      }
      return;
    }
    boolean newPhase = !event.getString(PHASE, "").equals(phase);
    int nowTenth = fraction == null ? -1 : (int) Math.floor(fraction * 10);
    if (newPhase || nowTenth > tenth) {
      phase = event.getString(PHASE, "");
      tenth = newPhase ? nowTenth : Math.max(tenth, nowTenth);
      out.println(text + (fraction == null ? "" : String.format(Locale.ROOT, " %3d%%", percent(fraction))) + counts(event));
    }
  }

  private void draw(Double fraction, String text, JsonObject event) {
    StringBuilder line = new StringBuilder("\r[");
    int filled = fraction == null ? 0 : (int) Math.round(fraction * BAR_WIDTH);
    line.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
    line.append(fraction == null ? "    " : String.format(Locale.ROOT, "%3d%% ", percent(fraction)));
    line.append(text);
    String table = event.getString(TABLE);
    if (table != null) {
      line.append(" · ").append(table);
    }
    line.append(counts(event));
    int width = line.length();
    // Spaces over what is left of a longer line drawn before.
    line.append(" ".repeat(Math.max(0, drawnWidth - width)));
    drawnWidth = width;
    out.print(line);
    out.flush();
  }

  /** The share of the work done, by rows when they are counted, else by bytes; null when unknown. */
  private static Double fraction(JsonObject event) {
    Long rowsTotal = event.getLong(ROWS_TOTAL);
    if (rowsTotal != null && rowsTotal > 0 && event.getLong(ROWS_DONE) != null) {
      return Math.min(1.0, event.getLong(ROWS_DONE) / (double) rowsTotal);
    }
    Long bytesTotal = event.getLong(BYTES_TOTAL);
    if (bytesTotal != null && bytesTotal > 0 && event.getLong(BYTES_DONE) != null) {
      return Math.min(1.0, event.getLong(BYTES_DONE) / (double) bytesTotal);
    }
    return null;
  }

  private static int percent(double fraction) {
    return (int) Math.floor(fraction * 100);
  }

  private static String counts(JsonObject event) {
    Long done = event.getLong(ROWS_DONE);
    Long total = event.getLong(ROWS_TOTAL);
    if (done == null || total == null) {
      return "";
    }
    return String.format(Locale.ROOT, " (%,d of %,d rows)", done, total);
  }
}
