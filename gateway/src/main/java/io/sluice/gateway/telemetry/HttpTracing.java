package io.sluice.gateway.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import io.opentelemetry.semconv.UserAgentAttributes;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * Spans of the request path, with the HTTP semantic conventions: a server span per client request
 * (its parent taken from the client's {@code traceparent}), a client span per backend attempt (its
 * context sent on in {@code traceparent}), and an event when a policy answers. Attributes are only
 * worked out for spans that are recorded: an unsampled request costs an id and a header.
 */
public final class HttpTracing {

  /** The route id on server spans (http.route holds the path template). */
  public static final AttributeKey<String> ROUTE_ID = AttributeKey.stringKey("sluice.route.id");

  /** The backend name on client spans. */
  public static final AttributeKey<String> BACKEND = AttributeKey.stringKey("sluice.backend");

  /** On server spans, and on the event: the policy that answered the request itself. */
  public static final AttributeKey<String> POLICY = AttributeKey.stringKey("sluice.policy");

  /** On the event: the problem type of the policy's answer. */
  public static final AttributeKey<String> PROBLEM_TYPE =
      AttributeKey.stringKey("sluice.problem.type");

  /** The event a server span gets when a backend's guard refuses the request. */
  public static final String SHED = "sluice.shed";

  /** On the shed event: why ({@code queue_full}, {@code queue_timeout}, {@code circuit_open}). */
  public static final AttributeKey<String> SHED_REASON =
      AttributeKey.stringKey("sluice.shed.reason");

  /** The event a server span gets when a policy answers (refuses, limits, serves from cache). */
  public static final String POLICY_ANSWERED = "sluice.policy.answered";

  private static final TextMapGetter<MultiMap> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(MultiMap carrier) {
          return carrier.names();
        }

        @Override
        public String get(MultiMap carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private static final TextMapSetter<MultiMap> SETTER =
      (carrier, key, value) -> carrier.set(key, value);

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  public HttpTracing(Telemetry telemetry) {
    this.tracer = telemetry.tracer();
    this.propagator = telemetry.propagator();
  }

  /** Starts the server span of a client request, a child of the client's trace when it sent one. */
  public Span startServer(HttpServerRequest req, String clientAddress) {
    Context parent = propagator.extract(Context.root(), req.headers(), GETTER);
    String method = req.method().name();
    Span span =
        tracer
            .spanBuilder(spanName(method))
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .startSpan();
    if (span.isRecording()) {
      method(span, method);
      span.setAttribute(UrlAttributes.URL_PATH, req.path());
      span.setAttribute(UrlAttributes.URL_SCHEME, req.isSSL() ? "https" : "http");
      HostAndPort authority = req.authority();
      if (authority != null) {
        span.setAttribute(ServerAttributes.SERVER_ADDRESS, authority.host());
        if (authority.port() > 0) {
          span.setAttribute(ServerAttributes.SERVER_PORT, (long) authority.port());
        }
      }
      if (clientAddress != null) {
        span.setAttribute(ClientAttributes.CLIENT_ADDRESS, clientAddress);
      }
      span.setAttribute(NetworkAttributes.NETWORK_PROTOCOL_VERSION, version(req));
      String agent = req.getHeader("user-agent");
      if (agent != null) {
        span.setAttribute(UserAgentAttributes.USER_AGENT_ORIGINAL, agent);
      }
    }
    return span;
  }

  /** Names the server span after the route it matched: {@code GET /orders/{id}}. */
  public static void routed(Span span, String method, String template, String routeId) {
    if (span.isRecording()) {
      span.updateName(spanName(method) + " " + template);
      span.setAttribute(HttpAttributes.HTTP_ROUTE, template);
      span.setAttribute(ROUTE_ID, routeId);
    }
  }

  /** Records that a policy answered the request itself (refused it, limited it, served it). */
  public static void policyAnswered(Span span, String policy, int status, String problemType) {
    if (span.isRecording()) {
      span.setAttribute(POLICY, policy);
      span.addEvent(
          POLICY_ANSWERED,
          problemType == null
              ? Attributes.of(
                  POLICY, policy, HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status)
              : Attributes.of(
                  POLICY,
                  policy,
                  HttpAttributes.HTTP_RESPONSE_STATUS_CODE,
                  (long) status,
                  PROBLEM_TYPE,
                  problemType));
    }
  }

  /** Records that the request was refused without a backend call (a limit, an open circuit). */
  public static void shed(Span span, String backend, String reason) {
    if (span.isRecording()) {
      span.addEvent(
          SHED,
          backend == null
              ? Attributes.of(SHED_REASON, reason)
              : Attributes.of(BACKEND, backend, SHED_REASON, reason));
    }
  }

  /**
   * Ends the server span: the status, and an error for 5xx answers and for clients that went away
   * before the response ended.
   */
  public static void endServer(Span span, int status, boolean clientClosed) {
    if (span.isRecording()) {
      if (clientClosed) {
        span.setAttribute(ErrorAttributes.ERROR_TYPE, "client_closed");
        span.setStatus(StatusCode.ERROR, "client closed the connection");
      } else {
        span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        if (status >= 500) {
          span.setAttribute(ErrorAttributes.ERROR_TYPE, String.valueOf(status));
          span.setStatus(StatusCode.ERROR);
        }
      }
    }
    span.end();
  }

  /**
   * Starts the client span of one backend attempt, a child of the request's server span. A trace
   * that is not recorded gets no client span: the backend's parent is then the server span's
   * context, which is all an unrecorded trace needs (its id, and the sampled flag off), and the
   * attempt costs no span of its own.
   */
  public Span startClient(
      Span server, String method, String backend, String scheme, String host, int port) {
    if (!server.isRecording()) {
      return server;
    }
    Span span =
        tracer
            .spanBuilder(spanName(method))
            .setParent(Context.root().with(server))
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    if (span.isRecording()) {
      method(span, method);
      span.setAttribute(BACKEND, backend);
      span.setAttribute(ServerAttributes.SERVER_ADDRESS, host);
      span.setAttribute(ServerAttributes.SERVER_PORT, (long) port);
      span.setAttribute(UrlAttributes.URL_SCHEME, scheme);
    }
    return span;
  }

  /**
   * Writes the span's context into the backend request's headers ({@code traceparent}, {@code
   * tracestate}), replacing what the client sent.
   */
  public void inject(Span span, MultiMap headers) {
    headers.remove("tracestate");
    propagator.inject(Context.root().with(span), headers, SETTER);
  }

  /**
   * The full URL of a backend attempt, without its query string (which may carry credentials), when
   * the span is recorded.
   */
  public static void url(Span span, String scheme, String host, int port, String pathAndQuery) {
    if (span.isRecording()) {
      int q = pathAndQuery.indexOf('?');
      String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
      span.setAttribute(UrlAttributes.URL_FULL, scheme + "://" + host + ":" + port + path);
    }
  }

  /** The attributes of a function invocation: faas.invoked_name, _provider, cloud.region. */
  public static void faas(Span span, String function, String provider, String region) {
    if (span.isRecording()) {
      span.setAttribute("faas.invoked_name", function);
      span.setAttribute("faas.invoked_provider", provider);
      if (region != null) {
        span.setAttribute("faas.invoked_region", region);
        span.setAttribute("cloud.region", region);
      }
    }
  }

  /** Marks a function call that met a cold start ({@code faas.coldstart}). */
  public static void coldStart(Span span) {
    if (span.isRecording()) {
      span.setAttribute("faas.coldstart", true);
    }
  }

  /** Marks an attempt as the {@code count}-th resend of the request (a retry). */
  public static void resent(Span span, int count) {
    if (count > 0 && span.isRecording()) {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_RESEND_COUNT, (long) count);
    }
  }

  /** Ends a backend attempt that got a response. */
  public static void endClient(Span span, int status) {
    if (span.isRecording()) {
      span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
      if (status >= 500) {
        span.setAttribute(ErrorAttributes.ERROR_TYPE, String.valueOf(status));
        span.setStatus(StatusCode.ERROR);
      }
    }
    span.end();
  }

  /** Ends a backend attempt that failed: {@code errorType} such as "timeout". */
  public static void endClient(Span span, String errorType) {
    if (span.isRecording()) {
      span.setAttribute(ErrorAttributes.ERROR_TYPE, errorType);
      span.setStatus(StatusCode.ERROR, errorType);
    }
    span.end();
  }

  /** The span's trace id (32 hex digits), or null when it has none. */
  public static String traceId(Span span) {
    return span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : null;
  }

  private static void method(Span span, String method) {
    if (knownMethod(method)) {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, method);
    } else {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, "_OTHER");
      span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD_ORIGINAL, method);
    }
  }

  /** The method, or {@code HTTP} for one outside the standard set (names stay bounded). */
  private static String spanName(String method) {
    return knownMethod(method) ? method : "HTTP";
  }

  private static boolean knownMethod(String method) {
    return GatewayMetrics.methodIndex(method) < 9;
  }

  private static String version(HttpServerRequest req) {
    return switch (req.version()) {
      case HTTP_1_0 -> "1.0";
      case HTTP_1_1 -> "1.1";
      case HTTP_2 -> "2";
    };
  }
}
