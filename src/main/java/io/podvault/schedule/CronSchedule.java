package io.podvault.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A backup schedule's cron expression: PinePods' six fields, seconds first, as its Settings page writes them
 * ({@code 0 0 2 * * *} daily at 02:00, {@code 0 0 3 * * 0} Sundays at 03:00, with Spring's rules), or the classic
 * five ({@code 0 2 * * *}, Unix's). Times are those of the zone the caller gives, the server's own.
 */
public final class CronSchedule {

  private static final CronParser SIX_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));
  private static final CronParser FIVE_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final int MAX_LENGTH = 200;

  private final String expression;
  private final ExecutionTime times;

  private CronSchedule(String expression, ExecutionTime times) {
    this.expression = expression;
    this.times = times;
  }

  /** Reads an expression; one that is not a valid cron expression of either form is refused, saying why. */
  public static CronSchedule parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("the cron expression is empty");
    }
    if (expression.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("the cron expression is longer than " + MAX_LENGTH + " characters");
    }
    String trimmed = expression.trim().replaceAll("\\s+", " ");
    int fields = trimmed.split(" ").length;
    if (fields != 5 && fields != 6) {
      throw new IllegalArgumentException("'" + trimmed + "' has " + fields + " fields: give six, seconds first as PinePods"
        + " writes them (0 0 2 * * * is daily at 02:00), or the classic five (0 2 * * *)");
    }
    CronSchedule schedule;
    try {
      Cron cron = (fields == 6 ? SIX_FIELDS : FIVE_FIELDS).parse(trimmed);
      cron.validate();
      schedule = new CronSchedule(trimmed, ExecutionTime.forCron(cron));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + trimmed + "' is not a valid cron expression: " + e.getMessage(), e);
    }
    if (schedule.next(ZonedDateTime.now()).isEmpty()) {
      throw new IllegalArgumentException("'" + trimmed + "' never runs");
    }
    return schedule;
  }

  /** The expression as given, its spaces normalised. */
  public String expression() {
    return expression;
  }

  /** The first run strictly after {@code after}; empty for an expression that runs no more. */
  public Optional<ZonedDateTime> next(ZonedDateTime after) {
    return times.nextExecution(after);
  }

  /** The next {@code count} runs after {@code after}. */
  public List<ZonedDateTime> nextRuns(ZonedDateTime after, int count) {
    List<ZonedDateTime> runs = new ArrayList<>();
    ZonedDateTime at = after;
    while (runs.size() < count) {
      Optional<ZonedDateTime> next = next(at);
      if (next.isEmpty()) {
        break;
      }
      runs.add(next.get());
      at = next.get();
    }
    return runs;
  }
}
