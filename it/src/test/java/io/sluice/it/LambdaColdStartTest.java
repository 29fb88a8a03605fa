package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.it.support.Metrics;
import io.sluice.testkit.Await;
import io.sluice.testkit.LambdaEmulator;
import io.sluice.testkit.SluiceExtension;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cold starts and keep-warm pings of lambda backends, through the running gateway and the real SDK
 * against the Invoke API emulator (each qualifier of its {@code cold} function is a function whose
 * first call is a cold start).
 */
class LambdaColdStartTest {

  static final LambdaEmulator lambda = new LambdaEmulator();

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                sampled:
                  type: lambda
                  function: "cold:sampled"
                  region: eu-west-1
                  endpoint: "${lambda}"
                  coldStarts: { sample: 1 }
                unsampled: { type: lambda, function: "cold:unsampled", region: eu-west-1, endpoint: "${lambda}" }
                warmed:
                  type: lambda
                  function: "cold:warmed"
                  region: eu-west-1
                  endpoint: "${lambda}"
                  warm: { every: 1s, instances: 2 }
                  coldStarts: { sample: 1 }
                failing:
                  type: lambda
                  function: error
                  region: eu-west-1
                  endpoint: "${lambda}"
                  warm: { every: 1s, instances: 1 }
                  circuitBreaker: { maxFailures: 1, openFor: 1m }
              routes:
                - { id: sampled, match: { path: /sampled }, backend: sampled }
                - { id: unsampled, match: { path: /unsampled }, backend: unsampled }
                - { id: warmed, match: { path: /warmed }, backend: warmed }
                - { id: failing, match: { path: /failing }, backend: failing }
              """)
          .lambda(lambda)
          .build();

  private static Metrics scrape() {
    return Metrics.parse(sluice.admin().get("/metrics").body());
  }

  @Test
  void aSampledColdStartIsCountedWithItsInitDurationAndIsNoFailure() {
    assertThat(sluice.client().get("/sampled").status()).isEqualTo(200);
    assertThat(sluice.client().get("/sampled").status()).isEqualTo(200);
    Metrics m = scrape();
    String[] request = {"backend", "sampled", "function", "cold:sampled", "trigger", "request"};
    assertThat(m.value("sluice_lambda_log_tails_total", request)).isEqualTo(2);
    assertThat(m.value("sluice_lambda_cold_starts_total", request)).isEqualTo(1);
    assertThat(m.value("sluice_lambda_init_duration_seconds_sum", "backend", "sampled"))
        .isEqualTo(0.12345);
    assertThat(
            lambda.invocations("cold").stream()
                .filter(i -> "sampled".equals(i.qualifier()))
                .map(LambdaEmulator.Invocation::logType))
        .containsOnly("Tail");
    SpanData call =
        sluice.awaitSpan(
            s ->
                s.getKind() == SpanKind.CLIENT
                    && "cold:sampled"
                        .equals(s.getAttributes().get(AttributeKey.stringKey("faas.invoked_name")))
                    && Boolean.TRUE.equals(
                        s.getAttributes().get(AttributeKey.booleanKey("faas.coldstart"))));
    assertThat(call).isNotNull();
  }

  @Test
  void withoutASampleNoLogTailIsAskedFor() {
    assertThat(sluice.client().get("/unsampled").status()).isEqualTo(200);
    assertThat(
            lambda.invocations("cold").stream()
                .filter(i -> "unsampled".equals(i.qualifier()))
                .map(LambdaEmulator.Invocation::logType))
        .containsOnly("None");
    assertThat(
            scrape()
                .value(
                    "sluice_lambda_cold_starts_total",
                    "backend",
                    "unsampled",
                    "trigger",
                    "request"))
        .isZero();
  }

  @Test
  void keepWarmPingsCarryTheMarkerAndAbsorbTheColdStart() {
    Await.until(() -> pings("warmed").size() >= 4, 5); // two rounds of two
    List<LambdaEmulator.Invocation> pings = pings("warmed");
    JsonObject first = pings.get(0).event();
    assertThat(first.getString("source")).isEqualTo("sluice-warmer");
    assertThat(first.getString("backend")).isEqualTo("warmed");
    assertThat(first.getInteger("instances")).isEqualTo(2);
    assertThat(pings.subList(0, 2).stream().map(i -> i.event().getInteger("instance")))
        .containsExactlyInAnyOrder(1, 2);
    assertThat(pings.get(0).type()).isEqualTo("RequestResponse");
    assertThat(pings.get(0).logType()).isEqualTo("Tail");
    Await.until(
        () ->
            scrape().value("sluice_lambda_warm_pings_total", "backend", "warmed", "outcome", "ok")
                >= 4,
        5);

    // The cold start met a ping, not a client.
    assertThat(sluice.client().get("/warmed").status()).isEqualTo(200);
    Metrics m = scrape();
    assertThat(m.value("sluice_lambda_cold_starts_total", "backend", "warmed", "trigger", "warmer"))
        .isEqualTo(1);
    assertThat(
            m.value("sluice_lambda_cold_starts_total", "backend", "warmed", "trigger", "request"))
        .isZero();
    // Pings are not client traffic: the route counts the one request (once it is over).
    Await.until(
        () -> scrape().value("sluice_request_duration_seconds_count", "route", "warmed") >= 1, 5);
    assertThat(scrape().value("sluice_request_duration_seconds_count", "route", "warmed"))
        .isEqualTo(1);
  }

  @Test
  void pingsStopWhileTheCircuitIsOpen() {
    // Failed pings do not open the circuit; a client's failure does.
    Await.until(
        () ->
            scrape()
                    .value(
                        "sluice_lambda_warm_pings_total",
                        "backend",
                        "failing",
                        "outcome",
                        "function_error")
                >= 1,
        5);
    assertThat(sluice.client().get("/failing").status()).isEqualTo(502);
    int sent = pings("failing").size();
    Await.until(
        () ->
            scrape()
                    .value(
                        "sluice_lambda_warm_pings_total",
                        "backend",
                        "failing",
                        "outcome",
                        "skipped_circuit")
                >= 1,
        5);
    assertThat(pings("failing").size())
        .isLessThanOrEqualTo(sent + 1); // one may have been on its way
  }

  private static List<LambdaEmulator.Invocation> pings(String backend) {
    return lambda.invocations().stream()
        .filter(i -> "sluice-warmer".equals(i.event().getString("source")))
        .filter(i -> backend.equals(i.event().getString("backend")))
        .toList();
  }

  @Test
  void aFailedStartStopsItsKeepWarmPings() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      io.sluice.gateway.config.SluiceConfig config =
          new io.sluice.gateway.config.ConfigLoader(k -> null)
              .load(
                  "routes.yaml",
                  null,
                  """
                  gateway:
                    listen: { host: 127.0.0.1, port: %d }
                    admin: { host: 127.0.0.1, port: 0 }
                  backends:
                    leaky:
                      type: lambda
                      function: "cold:leaky"
                      region: eu-west-1
                      endpoint: "%s"
                      warm: { every: 1s }
                  routes:
                    - { id: r, match: { path: /r }, backend: leaky }
                  """
                      .formatted(taken.getLocalPort(), lambda.url()));
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      try {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> Await.result(io.sluice.gateway.server.Gateway.start(vertx, config, 1), 10))
            .hasMessageContaining("Address already in use");
        int sent = pings("leaky").size();
        Thread.sleep(2_500); // two intervals, and the first round's second
        assertThat(pings("leaky").size()).isLessThanOrEqualTo(sent + 1);
      } finally {
        vertx.close();
      }
    }
  }
}
