package io.troupe.runtime.governance.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.readside.CostQueries;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forecast's least-squares line and the cheaper-model arithmetic, on known figures. */
class CostReportsTest {

  private static final LocalDate TODAY = LocalDate.parse("2026-11-22");
  private static final PricingTable PRICES = new PricingTable(List.of(
      new PricingTable.Price("gpt-4o", 2.50, 10.00), new PricingTable.Price("gpt-4o-mini", 0.15, 0.60),
      new PricingTable.Price("gpt-3.5-turbo", 0.50, 1.50), new PricingTable.Price("gpt-4-turbo", 10, 30),
      new PricingTable.Price("text-embedding-3-small", 0.02, 0)));

  private static List<CostReports.DailyCost> series(double... values) {
    List<CostReports.DailyCost> days = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      days.add(new CostReports.DailyCost(TODAY.minusDays(values.length - i), values[i]));
    }
    return days;
  }

  @Test
  void aStraightLineIsFoundAndExtendedFromToday() {
    CostReports.Forecast f = CostReports.forecast(series(1, 3, 5, 7), null, null, 10.0, 9, TODAY);
    assertEquals(2.0, f.slopeUsdPerDay(), 1e-12);
    assertEquals(1.0, f.interceptUsd(), 1e-12);
    assertEquals(TODAY, f.forecast().get(0).date());
    assertEquals(9.0, f.forecast().get(0).costUsd(), 1e-12, "today is x = 4");
    assertEquals(9 + 11 + 13 + 15 + 17 + 19 + 21, f.next7DaysUsd(), 1e-9);
    assertEquals(10.0 + 9 + 11 + 13 + 15 + 17 + 19 + 21 + 23 + 25, f.projectedMonthUsd(), 1e-9);
    assertTrue(f.method().contains("least-squares"));
  }

  @Test
  void noisyFiguresGetTheBestFitAndAFallingTrendStopsAtZero() {
    CostReports.Forecast noisy = CostReports.forecast(series(2, 1, 4, 3), null, null, 0, 7, TODAY);
    assertEquals(0.6, noisy.slopeUsdPerDay(), 1e-12); // sxy = 3, sxx = 5
    assertEquals(1.6, noisy.interceptUsd(), 1e-12);
    CostReports.Forecast falling = CostReports.forecast(series(6, 4, 2, 0), null, null, 0, 7, TODAY);
    assertEquals(-2.0, falling.slopeUsdPerDay(), 1e-12);
    assertEquals(0.0, falling.next7DaysUsd(), "no negative spending");
    CostReports.Forecast flat = CostReports.forecast(series(0, 0), null, null, 0, 7, TODAY);
    assertEquals(0.0, flat.slopeUsdPerDay());
  }

  @Test
  void cheaperChatModelsAreListedCheapestFirstWithTheirSavings() {
    List<CostReports.Recommendation> recs = CostReports.recommendations(List.of(
        new CostQueries.AgentModelMix("planner", "gpt-4o-2024-08-06", "gpt-4o", true, 10, 1000, 500, 0.0075),
        new CostQueries.AgentModelMix("local", "llama-3", null, false, 3, 100, 10, 0)), PRICES);
    CostReports.Recommendation planner = recs.get(0);
    assertEquals(0.0075, planner.avgCostUsd(), 1e-12); // 1000 x 2.5 + 500 x 10 per 1M
    assertEquals(List.of("gpt-4o-mini", "gpt-3.5-turbo"), planner.cheaperModels().stream()
        .map(CostReports.Alternative::model).toList(), "dearer and embedding models are left out");
    assertEquals(100 * (0.0075 - 0.00045) / 0.0075, planner.cheaperModels().get(0).savingsPercent(), 1e-9);
    assertTrue(planner.advice().contains("gpt-4o-mini"));
    CostReports.Recommendation local = recs.get(1);
    assertFalse(local.priced());
    assertTrue(local.cheaperModels().isEmpty());
    assertTrue(local.advice().contains("not in the pricing table"));
  }
}
