package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

  @Test
  void readsSecondsAndHttpDates() {
    assertThat(HttpBackendHandler.retryAfterMillis("2")).isEqualTo(2000);
    assertThat(HttpBackendHandler.retryAfterMillis(" 0 ")).isZero();
    String inAMinute =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    assertThat(HttpBackendHandler.retryAfterMillis(inAMinute)).isBetween(50_000L, 60_000L);
    String past = "Sun, 06 Nov 1994 08:49:37 GMT";
    assertThat(HttpBackendHandler.retryAfterMillis(past)).isZero();
  }

  @Test
  void absentOrUnreadableIsMinusOne() {
    assertThat(HttpBackendHandler.retryAfterMillis(null)).isEqualTo(-1);
    assertThat(HttpBackendHandler.retryAfterMillis("soon")).isEqualTo(-1);
    assertThat(HttpBackendHandler.retryAfterMillis("99999999999999999999")).isEqualTo(-1);
  }
}
