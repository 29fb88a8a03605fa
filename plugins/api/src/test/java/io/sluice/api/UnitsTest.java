package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {

  @Test
  void parsesDurations() {
    assertThat(Units.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Units.duration("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Units.duration("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Units.duration("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(Units.duration("2d")).isEqualTo(Duration.ofDays(2));
    assertThatThrownBy(() -> Units.duration("5 s")).hasMessageContaining("expected: a duration");
  }

  @Test
  void parsesSizes() {
    assertThat(Units.size("1024")).isEqualTo(1024);
    assertThat(Units.size("64KiB")).isEqualTo(65536);
    assertThat(Units.size("10MiB")).isEqualTo(10L << 20);
    assertThat(Units.size("1GB")).isEqualTo(1_000_000_000L);
    assertThatThrownBy(() -> Units.size("10mb")).hasMessageContaining("expected: a size");
  }

  @Test
  void formatsDurationsBack() {
    assertThat(Units.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Units.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Units.format(Duration.ofDays(1))).isEqualTo("1d");
  }
}
