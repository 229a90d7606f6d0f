package io.troupe.runtime.governance.cost;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.Optional;

/** A budget's period: a UTC calendar day, ISO week (from Monday), or month. */
public enum BudgetPeriod {
  DAY, WEEK, MONTH;

  /** The start of the period that holds {@code at}. */
  public Instant start(Instant at) {
    LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
    LocalDate first = switch (this) {
      case DAY -> day;
      case WEEK -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      case MONTH -> day.withDayOfMonth(1);
    };
    return first.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** The end (exclusive) of the period that holds {@code at}. */
  public Instant end(Instant at) {
    LocalDate first = LocalDate.ofInstant(start(at), ZoneOffset.UTC);
    LocalDate next = switch (this) {
      case DAY -> first.plusDays(1);
      case WEEK -> first.plusWeeks(1);
      case MONTH -> first.plusMonths(1);
    };
    return next.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** "day", "week" or "month" (any case). */
  public static Optional<BudgetPeriod> parse(String text) {
    for (BudgetPeriod p : values()) {
      if (p.name().equalsIgnoreCase(text)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
