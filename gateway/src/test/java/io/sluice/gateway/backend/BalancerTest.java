package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.sluice.gateway.config.SluiceConfig.Balance;
import io.sluice.gateway.config.SluiceConfig.HealthCheck;
import io.sluice.gateway.config.SluiceConfig.Outlier;
import io.sluice.gateway.config.SluiceConfig.Target;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancerTest {

  private static final Target[] THREE = {
    new Target("a", 1, ""), new Target("b", 2, ""), new Target("c", 3, "")
  };

  private static TargetHealth health(Outlier outlier, HealthCheck check) {
    return new TargetHealth("b", THREE, outlier, check, OpenTelemetry.noop().getMeter("test"));
  }

  @Test
  void aRetryAvoidsTheTargetsAlreadyTried() {
    for (Balance policy : Balance.values()) {
      Balancer b = new Balancer(policy, 3, health(null, null));
      for (int i = 0; i < 20; i++) {
        assertThat(b.pick(0b011)).as(policy.name()).isEqualTo(2);
      }
      // Every target tried: one of them again rather than none.
      assertThat(b.pick(0b111)).isBetween(0, 2);
    }
  }

  @Test
  void anEjectedTargetIsSkippedButTheLastOneStays() {
    TargetHealth h = health(new Outlier(2, Duration.ofMinutes(1)), null);
    Balancer b = new Balancer(Balance.ROUND_ROBIN, 3, h);
    h.failed(0);
    h.failed(0); // ejected
    h.failed(1);
    h.failed(1); // ejected
    h.failed(2);
    h.failed(2); // the last one: stays
    Set<Integer> picked = new HashSet<>();
    for (int i = 0; i < 9; i++) {
      picked.add(b.pick());
    }
    assertThat(picked).containsExactly(2);
  }

  @Test
  void failoverTakesTheFirstTargetInServiceAndGoesBackWhenItReturns() {
    TargetHealth h = health(new Outlier(1, Duration.ofMillis(200)), null);
    Balancer b = new Balancer(Balance.FAILOVER, 3, h);
    for (int i = 0; i < 5; i++) {
      assertThat(b.pick()).isZero();
    }
    assertThat(b.pick(0b001)).as("a retry goes to the next region").isEqualTo(1);
    h.failed(0); // ejected for 200 ms
    assertThat(b.pick()).isEqualTo(1);
    h.failed(1);
    assertThat(b.pick()).isEqualTo(2);
    assertThat(b.pick(0b100)).as("2 tried, 0 and 1 out: a tried one in service").isEqualTo(2);
    long back = System.nanoTime() + Duration.ofMillis(250).toNanos();
    while (System.nanoTime() < back) {
      Thread.onSpinWait();
    }
    assertThat(b.pick()).as("the preferred region is back").isZero();
  }

  @Test
  void aSuccessClearsTheRunOfFailures() {
    TargetHealth h = health(new Outlier(2, Duration.ofMinutes(1)), null);
    h.failed(0);
    h.succeeded(0);
    h.failed(0);
    assertThat(h.inService(0, System.nanoTime())).isTrue();
  }

  @Test
  void whenEveryTargetFailsItsChecksAllAreUsed() {
    TargetHealth h =
        health(null, new HealthCheck("/h", Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1));
    Balancer b = new Balancer(Balance.ROUND_ROBIN, 3, h);
    h.checked(0, false, "test");
    Set<Integer> picked = new HashSet<>();
    for (int i = 0; i < 9; i++) {
      picked.add(b.pick());
    }
    assertThat(picked).containsExactlyInAnyOrder(1, 2);
    h.checked(1, false, "test");
    h.checked(2, false, "test");
    picked.clear();
    for (int i = 0; i < 9; i++) {
      picked.add(b.pick());
    }
    assertThat(picked).containsExactlyInAnyOrder(0, 1, 2);
  }
}
