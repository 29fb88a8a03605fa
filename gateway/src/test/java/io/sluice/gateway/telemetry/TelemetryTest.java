package io.sluice.gateway.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sluice's defaults on top of the OTEL_* configuration, and telemetry with the SDK turned off. */
class TelemetryTest {

  @Test
  void withoutAnEndpointNothingIsExportedAndOneTraceInTwentyIsSampled() {
    Map<String, String> d = Telemetry.defaults(DefaultConfigProperties.createFromMap(Map.of()));
    assertThat(d)
        .containsEntry("otel.service.name", "sluice")
        .containsEntry("otel.traces.exporter", "none")
        .containsEntry("otel.metrics.exporter", "none")
        .containsEntry("otel.logs.exporter", "none")
        .containsEntry("otel.metrics.exemplar.filter", "always_off")
        .containsEntry("otel.exporter.otlp.protocol", "http/protobuf")
        .containsEntry("otel.traces.sampler", "parentbased_traceidratio")
        .containsEntry("otel.traces.sampler.arg", "0.01");
  }

  @Test
  void anOtlpEndpointTurnsTheTraceExporterOn() {
    assertThat(
            Telemetry.defaults(
                DefaultConfigProperties.createFromMap(
                    Map.of("otel.exporter.otlp.endpoint", "http://collector:4318"))))
        .containsEntry("otel.traces.exporter", "otlp");
    assertThat(
            Telemetry.defaults(
                DefaultConfigProperties.createFromMap(
                    Map.of("otel.exporter.otlp.traces.endpoint", "http://collector:4318"))))
        .containsEntry("otel.traces.exporter", "otlp");
  }

  @Test
  void whatTheEnvironmentSetsIsKept() {
    Map<String, String> d =
        Telemetry.defaults(
            DefaultConfigProperties.createFromMap(
                Map.of(
                    "otel.traces.exporter", "console",
                    "otel.traces.sampler", "always_on",
                    "otel.service.name", "edge-eu",
                    "otel.exporter.otlp.protocol", "grpc")));
    assertThat(d)
        .doesNotContainKeys(
            "otel.traces.exporter",
            "otel.traces.sampler",
            "otel.traces.sampler.arg",
            "otel.service.name",
            "otel.exporter.otlp.protocol");
  }

  @Test
  void withTheSdkDisabledThereAreNoSpansButMetricsAreStillServed() throws Exception {
    try (Telemetry t = Telemetry.configure(Map.of("otel.sdk.disabled", "true"), null)) {
      assertThat(t.tracing()).isFalse();
      Span span = t.tracer().spanBuilder("GET").startSpan();
      assertThat(span.getSpanContext().isValid()).isFalse();
      assertThat(span.isRecording()).isFalse();
      t.metrics().started();
      t.metrics().route("orders").ended("GET", 200, 1_000_000);
      String text = new String(t.scrape(null).body(), StandardCharsets.UTF_8);
      assertThat(text)
          .contains(
              "sluice_request_duration_seconds_count{method=\"GET\",route=\"orders\","
                  + "status_class=\"2xx\"} 1")
          .contains("sluice_requests_active 0");
    }
  }

  @Test
  void unknownMethodsAreOneLabelValue() throws Exception {
    try (Telemetry t = Telemetry.configure(Map.of("otel.sdk.disabled", "true"), null)) {
      GatewayMetrics.Route r = t.metrics().route("any");
      for (String m : new String[] {"BREW", "PROPFIND", "get", "GET"}) {
        t.metrics().started();
        r.ended(m, 599, 1000);
      }
      String text = new String(t.scrape("text/plain").body(), StandardCharsets.UTF_8);
      assertThat(text)
          .contains("method=\"_OTHER\",route=\"any\",status_class=\"5xx\"} 3")
          .contains("method=\"GET\",route=\"any\",status_class=\"5xx\"} 1")
          .doesNotContain("BREW");
    }
  }
}
