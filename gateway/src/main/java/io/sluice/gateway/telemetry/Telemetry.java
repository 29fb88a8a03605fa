package io.sluice.gateway.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.metrics.ExemplarFilter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's OpenTelemetry: traces and metrics, configured by the standard {@code OTEL_*}
 * environment variables (and {@code otel.*} system properties) through the SDK's autoconfigure
 * module, with Sluice's defaults where they are silent:
 *
 * <ul>
 *   <li>{@code otel.service.name}: {@code sluice};
 *   <li>{@code otel.traces.exporter}: {@code otlp} when an OTLP endpoint is set, {@code none}
 *       otherwise (nothing is exported, but trace ids are still made, logged and propagated);
 *   <li>{@code otel.exporter.otlp.protocol}: {@code http/protobuf}, sent with the JDK's HTTP client
 *       (no gRPC stack is bundled);
 *   <li>{@code otel.traces.sampler}: {@code parentbased_traceidratio} at {@link
 *       #DEFAULT_SAMPLE_RATIO}: a client's sampled {@code traceparent} is always followed;
 *   <li>{@code otel.metrics.exemplar.filter}: {@code always_off};
 *   <li>{@code otel.metrics.exporter} and {@code otel.logs.exporter}: {@code none}. Metrics are
 *       always served as Prometheus text by the admin listener ({@link #scrape}); set {@code
 *       OTEL_METRICS_EXPORTER=otlp} to push them as well.
 * </ul>
 *
 * {@code OTEL_SDK_DISABLED=true} turns tracing and every export off; {@code /metrics} still works.
 */
public final class Telemetry implements AutoCloseable {

  /** The instrumentation scope of every Sluice instrument (and of policies' own). */
  public static final String SCOPE = "io.sluice";

  /**
   * The share of new traces sampled when {@code OTEL_TRACES_SAMPLER} is not set: 1%, as Kong's
   * {@code tracing_sampling_rate}. At 50,000 requests a second that is still 500 traces a second
   * per gateway; recording and exporting 5% cost more than the 10% of throughput tracing may take
   * (bench/RESULTS.md).
   */
  public static final String DEFAULT_SAMPLE_RATIO = "0.01";

  private final OpenTelemetry otel;
  private final AutoCloseable sdk;
  private final PrometheusMetricReader prometheus;
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Tracer tracer;
  private final Meter meter;
  private final GatewayMetrics metrics;
  private final boolean tracing;
  private final HttpTracing http;

  private Telemetry(
      OpenTelemetry otel, AutoCloseable sdk, PrometheusMetricReader prometheus, boolean tracing) {
    this.otel = otel;
    this.sdk = sdk;
    this.prometheus = prometheus;
    this.tracing = tracing;
    this.tracer =
        tracing
            ? otel.getTracerProvider().get(SCOPE)
            : TracerProvider.noop().get(SCOPE); // no spans, no ids: the client's context passes
    this.meter = otel.getMeterProvider().get(SCOPE);
    this.metrics = new GatewayMetrics(meter);
    this.http = new HttpTracing(this);
  }

  /** Configured from the environment, as the {@code run} command starts it. */
  public static Telemetry fromEnvironment() {
    return configure(Map.of(), null);
  }

  /**
   * Configured from the environment with {@code overrides} on top (they win), and, when {@code
   * spans} is not null, every ended span handed to it at once (tests use the SDK's in-memory
   * exporter).
   */
  public static Telemetry configure(Map<String, String> overrides, SpanExporter spans) {
    PrometheusMetricReader prometheus =
        PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
    if (disabled(overrides)) {
      SdkMeterProvider meters =
          SdkMeterProvider.builder()
              .setExemplarFilter(ExemplarFilter.alwaysOff())
              .registerMetricReader(prometheus)
              .build();
      OpenTelemetry otel =
          new OpenTelemetry() {
            @Override
            public TracerProvider getTracerProvider() {
              return TracerProvider.noop();
            }

            @Override
            public io.opentelemetry.api.metrics.MeterProvider getMeterProvider() {
              return meters;
            }

            @Override
            public io.opentelemetry.context.propagation.ContextPropagators getPropagators() {
              return io.opentelemetry.context.propagation.ContextPropagators.noop();
            }
          };
      return new Telemetry(otel, meters, prometheus, false);
    }
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesCustomizer(Telemetry::defaults)
            .addPropertiesCustomizer(c -> overrides)
            .addMeterProviderCustomizer((b, c) -> b.registerMetricReader(prometheus))
            .addTracerProviderCustomizer(
                (b, c) -> spans == null ? b : b.addSpanProcessor(SimpleSpanProcessor.create(spans)))
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    return new Telemetry(sdk, sdk, prometheus, true);
  }

  private static boolean disabled(Map<String, String> overrides) {
    String v = overrides.get("otel.sdk.disabled");
    if (v == null) {
      v = System.getProperty("otel.sdk.disabled");
    }
    if (v == null) {
      v = System.getenv("OTEL_SDK_DISABLED");
    }
    return v != null && v.trim().toLowerCase(Locale.ROOT).equals("true");
  }

  /** Sluice's defaults, for what the environment does not set. */
  static Map<String, String> defaults(ConfigProperties c) {
    Map<String, String> d = new HashMap<>();
    if (c.getString("otel.service.name") == null) {
      d.put("otel.service.name", "sluice");
    }
    if (c.getString("otel.traces.exporter") == null) {
      boolean endpoint =
          c.getString("otel.exporter.otlp.endpoint") != null
              || c.getString("otel.exporter.otlp.traces.endpoint") != null;
      d.put("otel.traces.exporter", endpoint ? "otlp" : "none");
    }
    if (c.getString("otel.exporter.otlp.protocol") == null) {
      d.put("otel.exporter.otlp.protocol", "http/protobuf");
    }
    if (c.getString("otel.metrics.exporter") == null) {
      d.put("otel.metrics.exporter", "none");
    }
    if (c.getString("otel.metrics.exemplar.filter") == null) {
      // Spans are never made current (requests are not thread-bound), so a trace-based filter
      // would look up the context on every measurement and never find a sampled span.
      d.put("otel.metrics.exemplar.filter", "always_off");
    }
    if (c.getString("otel.logs.exporter") == null) {
      d.put("otel.logs.exporter", "none");
    }
    if (c.getString("otel.traces.sampler") == null) {
      d.put("otel.traces.sampler", "parentbased_traceidratio");
      if (c.getString("otel.traces.sampler.arg") == null) {
        d.put("otel.traces.sampler.arg", DEFAULT_SAMPLE_RATIO);
      }
    }
    return d;
  }

  /** The tracer for request and backend spans (a no-op one when tracing is off). */
  public Tracer tracer() {
    return tracer;
  }

  /** Whether spans are made at all ({@code OTEL_SDK_DISABLED} is not set). */
  public boolean tracing() {
    return tracing;
  }

  /** Reads and writes trace context headers ({@code OTEL_PROPAGATORS}: W3C by default). */
  public TextMapPropagator propagator() {
    return otel.getPropagators().getTextMapPropagator();
  }

  /** The meter for Sluice's and policies' instruments. */
  public Meter meter() {
    return meter;
  }

  /** Spans of the request path. */
  public HttpTracing http() {
    return http;
  }

  /** The gateway's own instruments. */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** A scrape: the content type and the body, in the format the {@code Accept} header asks for. */
  public record Scrape(String contentType, byte[] body) {}

  /**
   * Collects every metric and writes it as Prometheus text (or OpenMetrics when {@code accept} asks
   * for it). Work proportional to the number of series: call it off the event loop.
   */
  public Scrape scrape(String accept) throws IOException {
    ExpositionFormatWriter writer = formats.findWriter(accept);
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    writer.write(out, prometheus.collect());
    return new Scrape(writer.getContentType(), out.toByteArray());
  }

  /** Flushes what is pending (up to a few seconds when an exporter is slow) and stops. Blocks. */
  @Override
  public void close() {
    try {
      if (sdk instanceof OpenTelemetrySdk s) {
        s.shutdown().join(10, TimeUnit.SECONDS);
      } else {
        sdk.close();
      }
    } catch (Exception e) {
      // Closing is best effort: nothing is lost but spans an exporter could not take.
    }
  }
}
