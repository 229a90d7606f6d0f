package io.troupe.runtime.governance.cost;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Dollars per million tokens, per model, from {@code troupe.costs.pricing}. A model name matches
 * the longest configured name it starts with, so dated releases ({@code gpt-4o-2024-08-06}) take
 * their family's price and {@code gpt-4o-mini} is not priced as {@code gpt-4o}. A model no entry
 * matches costs nothing here and is flagged {@code priced = false}: its tokens are still counted.
 *
 * <p>An entry may also give the model's context window in tokens (prompt and reply together). The
 * same longest-prefix rule finds it; a model whose entry gives none, or that matches no entry, is
 * taken to have {@link #DEFAULT_CONTEXT_WINDOW_TOKENS}.
 */
public final class PricingTable {

  /**
   * The context window assumed for a model the table does not know: 128k tokens, the window of
   * the common current chat models (gpt-4o, gpt-4-turbo); a model with a smaller one needs an
   * entry, or requests to it may be cut short or refused by its provider.
   */
  public static final int DEFAULT_CONTEXT_WINDOW_TOKENS = 128_000;

  /** One model's price in dollars per 1M tokens, and its context window when known. */
  public record Price(String model, double inputPerMillionUsd, double outputPerMillionUsd,
                      OptionalInt contextWindowTokens) {

    public Price {
      contextWindowTokens = contextWindowTokens == null ? OptionalInt.empty() : contextWindowTokens;
      if (contextWindowTokens.isPresent() && contextWindowTokens.getAsInt() <= 0) {
        throw new IllegalArgumentException(model + ": a context window must be positive");
      }
    }

    /** A price without a known context window. */
    public Price(String model, double inputPerMillionUsd, double outputPerMillionUsd) {
      this(model, inputPerMillionUsd, outputPerMillionUsd, OptionalInt.empty());
    }

    public double costUsd(long inputTokens, long outputTokens) {
      return (inputTokens * inputPerMillionUsd + outputTokens * outputPerMillionUsd) / 1_000_000.0;
    }
  }

  /** What a call cost: the table entry it was priced as (null when unpriced). */
  public record Cost(String model, String pricedAs, long inputTokens, long outputTokens, double costUsd,
                     boolean priced) {}

  private final Map<String, Price> prices;

  public PricingTable(List<Price> prices) {
    Map<String, Price> byName = new TreeMap<>();
    prices.forEach(p -> byName.put(p.model().toLowerCase(Locale.ROOT), p));
    this.prices = Map.copyOf(byName);
  }

  /**
   * Reads {@code { "gpt-4o" { input = 2.50, output = 10.00, context-window = 128000 }, ... }}
   * ({@code context-window} optional). Names are the block's keys taken whole (quoted in HOCON
   * when they hold a dot, like "gpt-3.5-turbo").
   */
  public static PricingTable fromConfig(Config pricing) {
    List<Price> prices = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : pricing.root().entrySet()) {
      Config entry = pricing.getConfig(com.typesafe.config.ConfigUtil.joinPath(e.getKey()));
      double input = entry.getDouble("input");
      double output = entry.getDouble("output");
      if (input < 0 || output < 0) {
        throw new IllegalArgumentException("troupe.costs.pricing." + e.getKey() + ": prices must not be negative");
      }
      OptionalInt window = OptionalInt.empty();
      if (entry.hasPath("context-window")) {
        int tokens = entry.getInt("context-window");
        if (tokens <= 0) {
          throw new IllegalArgumentException("troupe.costs.pricing." + e.getKey() + ".context-window must be positive");
        }
        window = OptionalInt.of(tokens);
      }
      prices.add(new Price(e.getKey(), input, output, window));
    }
    return new PricingTable(prices);
  }

  /** The entry a model name is priced as: the longest configured name it starts with (ignoring case). */
  public Optional<Price> priceOf(String model) {
    if (model == null) {
      return Optional.empty();
    }
    String name = model.toLowerCase(Locale.ROOT);
    return prices.entrySet().stream()
        .filter(e -> name.startsWith(e.getKey()))
        .max(Comparator.comparingInt(e -> e.getKey().length()))
        .map(Map.Entry::getValue);
  }

  /** The context window of the entry a model name matches, when that entry gives one. */
  public OptionalInt contextWindowOf(String model) {
    return priceOf(model).map(Price::contextWindowTokens).orElse(OptionalInt.empty());
  }

  /** The model's context window, or {@link #DEFAULT_CONTEXT_WINDOW_TOKENS} when the table does not know it. */
  public int contextWindowTokensOf(String model) {
    return contextWindowOf(model).orElse(DEFAULT_CONTEXT_WINDOW_TOKENS);
  }

  public Cost cost(String model, long inputTokens, long outputTokens) {
    return priceOf(model)
        .map(p -> new Cost(model, p.model(), inputTokens, outputTokens, p.costUsd(inputTokens, outputTokens), true))
        .orElseGet(() -> new Cost(model, null, inputTokens, outputTokens, 0.0, false));
  }

  /** Every entry, by name. */
  public List<Price> prices() {
    return List.copyOf(prices.values());
  }
}
