package io.troupe.runtime.governance.cost;

import io.troupe.runtime.readside.CostQueries;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The arithmetic of the cost reports: the forecast's least-squares line and model recommendations. */
public final class CostReports {

  private CostReports() {}

  public record DailyCost(LocalDate date, double costUsd) {}

  public record Forecast(String method, int lookbackDays, String userId, String agent, double slopeUsdPerDay,
                  double interceptUsd, List<DailyCost> dailyTotals, List<DailyCost> forecast, double next7DaysUsd,
                  double monthToDateUsd, double projectedMonthUsd) {}

  public record Alternative(String model, double avgCostUsd, double savingsPercent) {}

  public record Recommendation(String agent, String model, String pricedAs, boolean priced, long calls, double avgInputTokens,
                        double avgOutputTokens, double avgCostUsd, List<Alternative> cheaperModels, String advice) {}

  public static final String FORECAST_METHOD = "linear least-squares fit y = intercept + slope * day over the daily cost"
      + " totals (UTC days) of the lookback period, today excluded as incomplete; extrapolated from today, predictions"
      + " below 0 count as 0";

  /**
   * Fits the daily totals (oldest first, x = 0, 1, ...) and predicts from today (x = n) on.
   * {@code monthToDateUsd} is what this month cost before today; {@code daysLeftInMonth} counts today.
   */
  public static Forecast forecast(List<DailyCost> daily, String userId, String agent, double monthToDateUsd,
                           int daysLeftInMonth, LocalDate today) {
    int n = daily.size();
    double meanX = (n - 1) / 2.0;
    double meanY = daily.stream().mapToDouble(DailyCost::costUsd).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < n; i++) {
      sxy += (i - meanX) * (daily.get(i).costUsd() - meanY);
      sxx += (i - meanX) * (i - meanX);
    }
    double slope = sxx == 0 ? 0 : sxy / sxx;
    double intercept = meanY - slope * meanX;
    List<DailyCost> ahead = new ArrayList<>();
    int horizon = Math.max(7, daysLeftInMonth);
    for (int k = 0; k < horizon; k++) {
      ahead.add(new DailyCost(today.plusDays(k), Math.max(0, intercept + slope * (n + k))));
    }
    double next7 = ahead.subList(0, 7).stream().mapToDouble(DailyCost::costUsd).sum();
    double restOfMonth = ahead.subList(0, daysLeftInMonth).stream().mapToDouble(DailyCost::costUsd).sum();
    return new Forecast(FORECAST_METHOD, n, userId, agent, slope, intercept, daily, ahead.subList(0, 7), next7,
        monthToDateUsd, monthToDateUsd + restOfMonth);
  }

  /**
   * For each agent and model: the same average token mix priced at every cheaper chat model of the
   * table (embedding models excluded), cheapest first, at most three.
   */
  public static List<Recommendation> recommendations(List<CostQueries.AgentModelMix> mixes, PricingTable pricing) {
    List<Recommendation> out = new ArrayList<>();
    for (CostQueries.AgentModelMix m : mixes) {
      if (!m.priced()) {
        out.add(new Recommendation(m.agent(), m.model(), null, false, m.calls(), m.avgInputTokens(),
            m.avgOutputTokens(), 0, List.of(), "model " + m.model() + " is not in the pricing table: its calls are"
            + " counted in tokens only; add it to troupe.costs.pricing to compare"));
        continue;
      }
      double current = cost(pricing.priceOf(m.pricedAs()).orElseThrow(), m);
      List<Alternative> cheaper = pricing.prices().stream()
          .filter(p -> !p.model().contains("embedding") && !p.model().equalsIgnoreCase(m.pricedAs()))
          .map(p -> new Alternative(p.model(), cost(p, m), current == 0 ? 0 : 100 * (current - cost(p, m)) / current))
          .filter(a -> a.avgCostUsd() < current)
          .sorted(Comparator.comparingDouble(Alternative::avgCostUsd))
          .limit(3)
          .toList();
      String advice = cheaper.isEmpty() ? "no cheaper model in the pricing table"
          : "priced at " + cheaper.get(0).model() + " the same calls would cost "
              + String.format(java.util.Locale.ROOT, "%.0f", cheaper.get(0).savingsPercent())
              + "% less; check the agent's answers on it before switching";
      out.add(new Recommendation(m.agent(), m.model(), m.pricedAs(), true, m.calls(), m.avgInputTokens(),
          m.avgOutputTokens(), current, cheaper, advice));
    }
    return out;
  }

  private static double cost(PricingTable.Price p, CostQueries.AgentModelMix m) {
    return (m.avgInputTokens() * p.inputPerMillionUsd() + m.avgOutputTokens() * p.outputPerMillionUsd()) / 1_000_000.0;
  }

  public static List<DailyCost> days(Map<LocalDate, Double> totals) {
    return totals.entrySet().stream().map(e -> new DailyCost(e.getKey(), e.getValue())).toList();
  }
}
