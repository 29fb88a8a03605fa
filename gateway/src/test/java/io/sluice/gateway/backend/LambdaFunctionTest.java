package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Reading cold starts from the log tail Lambda returns with {@code LogType: Tail}. */
class LambdaFunctionTest {

  private static String tail(String log) {
    return Base64.getEncoder().encodeToString(log.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theReportLinesInitDurationIsTheColdStart() {
    String log =
        "START RequestId: 6f1b Version: $LATEST\n"
            + "2026-11-23T10:00:00.000Z\t6f1b\tINFO\thandling\n"
            + "END RequestId: 6f1b\n"
            + "REPORT RequestId: 6f1b\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
            + "Memory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 245.67 ms\t\n";
    assertThat(LambdaFunction.initDurationMillis(tail(log))).isEqualTo(245.67);
  }

  @Test
  void aWarmInvocationHasNone() {
    String log =
        "END RequestId: 6f1b\nREPORT RequestId: 6f1b\tDuration: 2.00 ms\t"
            + "Billed Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n";
    assertThat(LambdaFunction.initDurationMillis(tail(log))).isEqualTo(-1);
    assertThat(LambdaFunction.initDurationMillis(null)).isEqualTo(-1);
    assertThat(LambdaFunction.initDurationMillis("")).isEqualTo(-1);
    assertThat(LambdaFunction.initDurationMillis("not base64 !")).isEqualTo(-1);
  }

  @Test
  void aSnapStartRestoreCountsAndTheBilledFieldIsNotTakenForIt() {
    String log =
        "REPORT RequestId: 6f1b\tDuration: 20.00 ms\tBilled Duration: 133 ms\t"
            + "Memory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 310.50 ms\t"
            + "Billed Restore Duration: 113 ms\t\n";
    assertThat(LambdaFunction.initDurationMillis(tail(log))).isEqualTo(310.5);
  }

  @Test
  void whatTheFunctionLogsItselfIsNotTakenForTheReport() {
    String log =
        "2026-11-23T10:00:00.000Z\t6f1b\tINFO\tInit Duration: 999 ms (a line of the handler)\n"
            + "REPORT RequestId: 6f1b\tDuration: 2.00 ms\tBilled Duration: 2 ms\t\n";
    assertThat(LambdaFunction.initDurationMillis(tail(log))).isEqualTo(-1);
  }

  @Test
  void aPingCarriesTheMarker() {
    assertThat(LambdaWarmer.event("orders", 2, 3, "2026-11-23T10:00:00Z").encode())
        .isEqualTo(
            "{\"source\":\"sluice-warmer\",\"backend\":\"orders\",\"instance\":2,"
                + "\"instances\":3,\"time\":\"2026-11-23T10:00:00Z\"}");
  }
}
