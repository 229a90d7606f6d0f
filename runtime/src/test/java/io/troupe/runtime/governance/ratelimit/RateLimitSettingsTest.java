package io.troupe.runtime.governance.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.governance.EndpointClass;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped troupe.rate-limits block, per-class overrides, and 0 / off meaning no limit. */
class RateLimitSettingsTest {

  private static RateLimitSettings load(Map<String, Object> overrides) {
    Config config = ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    return RateLimitSettings.from(config);
  }

  @Test
  void shippedDefaultsAreGenerousForReadsAndTightForModelRuns() {
    RateLimitSettings s = load(Map.of());
    assertEquals(List.of(new Limit(600, Limit.MINUTE), new Limit(18000, Limit.HOUR)), s.limitsOf(EndpointClass.READS));
    assertEquals(s.limitsOf(EndpointClass.READS), s.limitsOf(EndpointClass.ADMIN));
    assertEquals(List.of(new Limit(20, Limit.MINUTE), new Limit(300, Limit.HOUR)),
        s.limitsOf(EndpointClass.MODEL_RUNNING));
    assertEquals(List.of(new Limit(120, Limit.MINUTE), new Limit(3600, Limit.HOUR)),
        s.limitsOf(EndpointClass.DECONFLICTION));
    assertEquals(Duration.ofSeconds(1), s.askTimeout());
    assertEquals(10, s.leaseSizeOf(EndpointClass.READS), "600/50 = 12, capped at lease-size");
    assertEquals(2, s.leaseSizeOf(EndpointClass.DECONFLICTION), "120/50");
    assertEquals(1, s.leaseSizeOf(EndpointClass.MODEL_RUNNING), "small limits are never leased ahead");
  }

  @Test
  void aClassWithoutItsOwnValueTakesTheGeneralOne() {
    RateLimitSettings s = load(Map.of("troupe.rate-limits.per-minute", 50,
        "troupe.rate-limits.classes.admin.per-hour", 70));
    assertEquals(List.of(new Limit(50, Limit.MINUTE), new Limit(18000, Limit.HOUR)), s.limitsOf(EndpointClass.READS));
    assertEquals(List.of(new Limit(50, Limit.MINUTE), new Limit(70, Limit.HOUR)), s.limitsOf(EndpointClass.ADMIN));
    assertEquals(new Limit(20, Limit.MINUTE), s.limitsOf(EndpointClass.MODEL_RUNNING).get(0));
  }

  @Test
  void perUserLimitsTakeThePerKeyOnesUnlessSet() {
    RateLimitSettings s = load(Map.of("troupe.rate-limits.per-user.model_running.per-minute", 5,
        "troupe.rate-limits.classes.reads.per-minute", 40));
    assertEquals(List.of(new Limit(5, Limit.MINUTE), new Limit(300, Limit.HOUR)),
        s.userLimitsOf(EndpointClass.MODEL_RUNNING));
    assertEquals(List.of(new Limit(40, Limit.MINUTE), new Limit(18000, Limit.HOUR)), s.userLimitsOf(EndpointClass.READS));
    assertEquals(s.limitsOf(EndpointClass.DECONFLICTION), s.userLimitsOf(EndpointClass.DECONFLICTION));
    assertEquals(s.userLimitsOf(EndpointClass.MODEL_RUNNING), s.limitsOf(RateLimits.userSubject("u-1"), EndpointClass.MODEL_RUNNING));
    assertEquals(s.limitsOf(EndpointClass.MODEL_RUNNING), s.limitsOf("u-1.k-1", EndpointClass.MODEL_RUNNING));
  }

  @Test
  void zeroOrOffMeansNoLimitForThatWindow() {
    RateLimitSettings s = load(Map.of("troupe.rate-limits.classes.reads.per-minute", "off",
        "troupe.rate-limits.classes.reads.per-hour", 0,
        "troupe.rate-limits.classes.admin.per-minute", 0));
    assertTrue(s.limitsOf(EndpointClass.READS).isEmpty(), "both off: not limited at all");
    assertEquals(List.of(new Limit(18000, Limit.HOUR)), s.limitsOf(EndpointClass.ADMIN));
    Config unquotedOff = ConfigFactory.parseString("troupe.rate-limits.per-hour = off")
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    assertEquals(List.of(new Limit(600, Limit.MINUTE)), RateLimitSettings.from(unquotedOff).limitsOf(EndpointClass.READS));
  }

  @Test
  void aBadValueStopsTheNodeWithItsPath() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(Map.of("troupe.rate-limits.classes.reads.per-minute", "ten")));
    assertTrue(e.getMessage().contains("troupe.rate-limits.classes.reads.per-minute"), e.getMessage());
    assertThrows(ConfigException.class, () -> load(Map.of("troupe.rate-limits.per-hour", -1)));
  }
}
