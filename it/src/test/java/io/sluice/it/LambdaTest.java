package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.it.support.Idp;
import io.sluice.it.support.Metrics;
import io.sluice.testkit.LambdaEmulator;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lambda backends through the running gateway: the real AWS SDK client, over Sluice's Vert.x HTTP
 * client, against a loopback emulator of the Invoke API that checks every request's SigV4
 * signature.
 */
class LambdaTest {

  static final LambdaEmulator lambda = new LambdaEmulator();
  static final KeyPair RSA = Idp.rsa(2048);
  static final Idp idp = new Idp();

  static {
    idp.publish("/keys.json", Map.of("k1", RSA.getPublic()));
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                orders: { type: lambda, function: echo, region: eu-west-1, endpoint: "${lambda}" }
                v1: { type: lambda, function: "echo:live", region: eu-west-1, endpoint: "${lambda}", payload: v1 }
                bare: { type: lambda, function: bare, region: eu-west-1, endpoint: "${lambda}" }
                cookies: { type: lambda, function: cookies, region: eu-west-1, endpoint: "${lambda}" }
                error: { type: lambda, function: error, region: eu-west-1, endpoint: "${lambda}" }
                malformed: { type: lambda, function: malformed, region: eu-west-1, endpoint: "${lambda}" }
                missing: { type: lambda, function: nope, region: eu-west-1, endpoint: "${lambda}" }
                throttled:
                  type: lambda
                  function: throttled
                  region: eu-west-1
                  endpoint: "${lambda}"
                  retry: { attempts: 3, backoff: 1ms }
                slow: { type: lambda, function: slow, region: eu-west-1, endpoint: "${lambda}", timeout: 300ms }
                async: { type: lambda, function: echo, region: eu-west-1, endpoint: "${lambda}", invocation: async }
                limited:
                  type: lambda
                  function: slow
                  region: eu-west-1
                  endpoint: "${lambda}"
                  timeout: 5s
                  concurrency: { max: 1 }
                breaking:
                  type: lambda
                  function: error
                  region: eu-west-1
                  endpoint: "${lambda}"
                  circuitBreaker: { maxFailures: 2, openFor: 1m }
                throttledBreaking:
                  type: lambda
                  function: throttled
                  region: eu-west-1
                  endpoint: "${lambda}"
                  retry: { attempts: 1 }
                  circuitBreaker: { maxFailures: 2, openFor: 1m }
              routes:
                - { id: orders, match: { path: "/orders/{id}" }, backend: orders }
                - { id: v1, match: { path: "/v1/{id}" }, backend: v1 }
                - { id: bare, match: { path: /bare }, backend: bare }
                - { id: cookies, match: { path: /cookies }, backend: cookies }
                - { id: error, match: { path: /error }, backend: error }
                - { id: malformed, match: { path: /malformed }, backend: malformed }
                - { id: missing, match: { path: /missing }, backend: missing }
                - { id: throttled, match: { path: /throttled }, backend: throttled }
                - { id: slow, match: { path: /slow }, backend: slow }
                - { id: async, match: { path: /async }, backend: async }
                - { id: limited, match: { path: /limited }, backend: limited }
                - { id: breaking, match: { path: /breaking }, backend: breaking }
                - { id: throttled-breaking, match: { path: /throttled-breaking }, backend: throttledBreaking }
                - id: secured
                  match: { path: "/secured/{id}" }
                  backend: orders
                  policies:
                    - jwt: { issuer: "https://idp.test/", audiences: [ orders-api ], jwks: "${backend:idp}/keys.json" }
              """)
          .backend("idp", idp.server())
          .lambda(lambda)
          .build();

  @AfterEach
  void everyRequestWasSignedRight() {
    assertThat(lambda.signatureFailures()).as("requests with a bad SigV4 signature").isZero();
  }

  @Test
  void aRequestBecomesAnHttpApiEventAsApiGatewayBuildsIt() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/orders/42?tag=a&tag=b&q=x%20y",
                Map.of("Cookie", "s=1; t=2", "X-Tenant", "acme", "traceparent", TRACEPARENT),
                null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    JsonObject event = r.json();
    assertThat(event.getString("version")).isEqualTo("2.0");
    assertThat(event.getString("routeKey")).isEqualTo("GET /orders/{id}");
    assertThat(event.getString("rawPath")).isEqualTo("/orders/42");
    assertThat(event.getString("rawQueryString")).isEqualTo("tag=a&tag=b&q=x%20y");
    assertThat(event.getJsonArray("cookies").getList()).containsExactly("s=1", "t=2");
    JsonObject headers = event.getJsonObject("headers");
    assertThat(headers.getString("x-tenant")).isEqualTo("acme");
    assertThat(headers.containsKey("cookie")).isFalse();
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-request-id")).isEqualTo(r.header("X-Request-Id"));
    // The trace goes on: the client's trace id, the gateway's span as parent.
    assertThat(headers.getString("traceparent"))
        .startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
        .doesNotContain("00f067aa0ba902b7");
    assertThat(event.getJsonObject("queryStringParameters").getMap())
        .containsEntry("tag", "a,b")
        .containsEntry("q", "x y");
    assertThat(event.getJsonObject("pathParameters").getString("id")).isEqualTo("42");
    JsonObject context = event.getJsonObject("requestContext");
    assertThat(context.getString("requestId")).isEqualTo(r.header("X-Request-Id"));
    assertThat(context.getJsonObject("http").getString("method")).isEqualTo("GET");
    assertThat(context.getJsonObject("http").getString("sourceIp")).isEqualTo("127.0.0.1");
    assertThat(context.getLong("timeEpoch")).isPositive();
    assertThat(event.getBoolean("isBase64Encoded")).isFalse();
    assertThat(event.containsKey("body")).isFalse();

    SpanData client =
        sluice.awaitSpan(
            s ->
                s.getKind() == SpanKind.CLIENT
                    && s.getTraceId().equals("4bf92f3577b34da6a3ce929d0e0e4736"));
    assertThat(client.getAttributes().get(AttributeKey.stringKey("faas.invoked_name")))
        .isEqualTo("echo");
    assertThat(client.getAttributes().get(AttributeKey.stringKey("faas.invoked_provider")))
        .isEqualTo("aws");
    assertThat(client.getAttributes().get(AttributeKey.stringKey("cloud.region")))
        .isEqualTo("eu-west-1");
  }

  @Test
  void theJwtPolicysClaimsAndScopesReachTheFunctionAsApiGatewaysAuthorizerContext() {
    String token =
        Idp.token("k1", "alice")
            .claim("scope", "orders:read orders:write")
            .signWith(RSA.getPrivate())
            .compact();
    TestResponse r =
        sluice
            .client()
            .send(HttpMethod.GET, "/secured/9", Map.of("Authorization", "Bearer " + token), null);
    assertThat(r.status()).isEqualTo(200);
    JsonObject jwt =
        r.json().getJsonObject("requestContext").getJsonObject("authorizer").getJsonObject("jwt");
    assertThat(jwt.getJsonObject("claims").getString("sub")).isEqualTo("alice");
    assertThat(jwt.getJsonObject("claims").getString("iss")).isEqualTo("https://idp.test/");
    assertThat(jwt.getJsonArray("scopes").getList()).containsExactly("orders:read", "orders:write");
    assertThat(sluice.client().get("/secured/9").status()).isEqualTo(401);
  }

  @Test
  void textBodiesGoAsTextAndOthersAsBase64() {
    JsonObject json =
        sluice
            .client()
            .send(
                HttpMethod.POST,
                "/orders/1",
                Map.of("Content-Type", "application/json"),
                "{\"qty\":2}")
            .json();
    assertThat(json.getString("body")).isEqualTo("{\"qty\":2}");
    assertThat(json.getBoolean("isBase64Encoded")).isFalse();

    byte[] bytes = {0, 1, 2, (byte) 0xff};
    TestResponse r =
        io.sluice.testkit.Await.result(
            sluice
                .client()
                .sendAsync(
                    HttpMethod.PUT,
                    "/orders/2",
                    Map.of("Content-Type", "application/octet-stream"),
                    Buffer.buffer(bytes)),
            10);
    JsonObject binary = r.json();
    assertThat(binary.getBoolean("isBase64Encoded")).isTrue();
    assertThat(Base64.getDecoder().decode(binary.getString("body"))).isEqualTo(bytes);
  }

  @Test
  void payloadFormatOneKeepsRepeatsAsListsAndTheQualifierIsSent() {
    TestResponse r =
        sluice.client().send(HttpMethod.GET, "/v1/7?tag=a&tag=b", Map.of("X-Tenant", "acme"), null);
    assertThat(r.status()).isEqualTo(200);
    JsonObject event = r.json();
    assertThat(event.getString("version")).isEqualTo("1.0");
    assertThat(event.getString("httpMethod")).isEqualTo("GET");
    assertThat(event.getString("resource")).isEqualTo("/v1/{id}");
    assertThat(event.getJsonObject("multiValueQueryStringParameters").getJsonArray("tag").getList())
        .containsExactly("a", "b");
    assertThat(event.getJsonObject("queryStringParameters").getString("tag")).isEqualTo("b");
    assertThat(event.getJsonObject("multiValueHeaders").getJsonArray("X-Tenant").getList())
        .containsExactly("acme");
    assertThat(event.getJsonObject("pathParameters").getString("id")).isEqualTo("7");
    assertThat(event.getValue("body")).isNull();
    List<LambdaEmulator.Invocation> calls = lambda.invocations("echo");
    assertThat(calls.get(calls.size() - 1).qualifier()).isEqualTo("live");
  }

  @Test
  void bareJsonIsA200AndProxyResponsesCarryStatusCookiesAndBinaryBodies() {
    TestResponse bare = sluice.client().get("/bare");
    assertThat(bare.status()).isEqualTo(200);
    assertThat(bare.header("content-type")).isEqualTo("application/json");
    assertThat(bare.json().getString("hello")).isEqualTo("world");

    TestResponse cookies = sluice.client().get("/cookies");
    assertThat(cookies.status()).isEqualTo(201);
    assertThat(cookies.headers().getAll("set-cookie"))
        .containsExactly("a=1; Path=/", "b=2; HttpOnly");
    assertThat(cookies.header("content-type")).isEqualTo("image/png");
    // The base64 body decoded: four bytes, the first not text.
    assertThat(cookies.header("content-length")).isEqualTo("4");
    assertThat(cookies.body()).endsWith("PNG");
  }

  @Test
  void functionErrorsAndBrokenAnswersAre502WithNothingOfTheFunctionsText() {
    TestResponse error = sluice.client().get("/error");
    assertThat(error.status()).isEqualTo(502);
    assertThat(error.json().getString("type")).isEqualTo("urn:sluice:problem:function-error");
    assertThat(error.body()).doesNotContain("hunter2").doesNotContain("index.js");

    TestResponse malformed = sluice.client().get("/malformed");
    assertThat(malformed.status()).isEqualTo(502);
    assertThat(malformed.json().getString("type")).isEqualTo("urn:sluice:problem:bad-gateway");

    TestResponse missing = sluice.client().get("/missing");
    assertThat(missing.status()).isEqualTo(502);
    assertThat(missing.body()).doesNotContain("Function not found");
  }

  @Test
  void throttlesAreRetriedThenAnswered503WithRetryAfter() {
    Metrics m0 = Metrics.parse(sluice.admin().get("/metrics").body());
    int before = lambda.invocations("throttled").size();
    lambda.throttle(2);
    TestResponse ok = sluice.client().get("/throttled");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(lambda.invocations("throttled").size() - before).isEqualTo(3);

    lambda.throttle(100);
    TestResponse refused = sluice.client().get("/throttled");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getString("type")).isEqualTo("urn:sluice:problem:overloaded");
    assertThat(refused.header("Retry-After")).isEqualTo("1");
    lambda.throttle(0);
    Metrics m1 = Metrics.parse(sluice.admin().get("/metrics").body());
    // 2 throttles before the success, then 3 attempts throttled
    assertThat(
            m1.delta(
                m0,
                "sluice_lambda_throttles_total",
                "backend",
                "throttled",
                "function",
                "throttled"))
        .isEqualTo(5);
  }

  @Test
  void aSlowFunctionIsA504() {
    long t0 = System.nanoTime();
    TestResponse r = sluice.client().get("/slow");
    assertThat(r.status()).isEqualTo(504);
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 900L);
  }

  @Test
  void anEventOverLambdasLimitIsRefusedWithoutInvoking() {
    int before = lambda.invocations().size();
    int refusedBefore = lambda.tooLargeRefusals();
    byte[] big = new byte[5 * 1024 * 1024]; // base64 in the event: 6.7 MB, over the 6 MB limit
    TestResponse r =
        io.sluice.testkit.Await.result(
            sluice
                .client()
                .sendAsync(
                    HttpMethod.POST,
                    "/orders/3",
                    Map.of("Content-Type", "application/octet-stream"),
                    Buffer.buffer(big)),
            30);
    assertThat(r.status()).isEqualTo(413);
    assertThat(lambda.invocations().size()).isEqualTo(before);
    assertThat(lambda.tooLargeRefusals()).as("nothing was sent").isEqualTo(refusedBefore);
  }

  @Test
  void lambdasOwnPayloadLimitIsA413Too() {
    lambda.payloadLimit(2_000);
    try {
      TestResponse r =
          sluice
              .client()
              .send(
                  HttpMethod.POST, "/orders/4", Map.of(), "{\"a\":\"" + "x".repeat(3_000) + "\"}");
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:body-too-large");
      assertThat(lambda.tooLargeRefusals()).isPositive();
    } finally {
      lambda.payloadLimit(-1);
    }
  }

  @Test
  void anAsyncInvocationIsAccepted202WithTheLambdaRequestId() {
    TestResponse r = sluice.client().send(HttpMethod.POST, "/async", Map.of(), "{\"a\":1}");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.header("X-Amzn-RequestId")).isNotBlank();
    List<LambdaEmulator.Invocation> calls = lambda.invocations("echo");
    assertThat(calls.get(calls.size() - 1).type()).isEqualTo("Event");
  }

  @Test
  void aConcurrencyLimitShedsBeforeLambdaWouldThrottle() {
    int before = lambda.invocations("slow").size();
    List<TestResponse> answers =
        io.sluice.testkit.Await.result(
            io.vertx.core.Future.all(
                    List.of(
                        sluice.client().sendAsync(HttpMethod.GET, "/limited", Map.of(), null),
                        sluice.client().sendAsync(HttpMethod.GET, "/limited", Map.of(), null),
                        sluice.client().sendAsync(HttpMethod.GET, "/limited", Map.of(), null)))
                .map(f -> f.<TestResponse>list()),
            10);
    assertThat(answers).extracting(TestResponse::status).containsExactlyInAnyOrder(200, 503, 503);
    assertThat(answers.stream().filter(a -> a.status() == 503).map(a -> a.header("Retry-After")))
        .containsOnly("1");
    assertThat(lambda.invocations("slow").size() - before).isEqualTo(1);
  }

  @Test
  void functionErrorsAndThrottlesOpenTheCircuit() {
    assertThat(sluice.client().get("/breaking").status()).isEqualTo(502);
    assertThat(sluice.client().get("/breaking").status()).isEqualTo(502);
    awaitOpen("breaking"); // the breaker counts the answer just after it is sent
    int calls = lambda.invocations("error").size();
    TestResponse open = sluice.client().get("/breaking");
    assertThat(open.status()).isEqualTo(503);
    assertThat(open.header("Retry-After")).isNotNull();
    assertThat(lambda.invocations("error").size()).as("not invoked").isEqualTo(calls);

    lambda.throttle(100);
    try {
      assertThat(sluice.client().get("/throttled-breaking").status()).isEqualTo(503);
      assertThat(sluice.client().get("/throttled-breaking").status()).isEqualTo(503);
      awaitOpen("throttledBreaking");
      int throttledCalls = lambda.invocations("throttled").size();
      assertThat(sluice.client().get("/throttled-breaking").status()).isEqualTo(503);
      assertThat(lambda.invocations("throttled").size()).isEqualTo(throttledCalls);
    } finally {
      lambda.throttle(0);
    }
  }

  private static void awaitOpen(String backend) {
    io.sluice.testkit.Await.until(
        () ->
            Metrics.parse(sluice.admin().get("/metrics").body())
                    .value("sluice_backend_circuit_state", "backend", backend)
                == 2,
        5);
  }
}
