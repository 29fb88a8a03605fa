package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProxyingTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
                based: { type: http, targets: [ "${backend:echo}/v2/" ], host: target }
                literal: { type: http, targets: [ "${backend:echo}" ], host: "internal.example:8443" }
                big: { type: http, targets: [ "${backend:big}" ] }
              routes:
                - { id: echo, match: { path: "/echo/**" }, backend: echo }
                - { id: based, match: { path: "/based/{id}" }, backend: based }
                - { id: literal, match: { path: "/literal" }, backend: literal }
                - { id: big, match: { path: "/big" }, backend: big }
              """)
          .backend("echo", TestBackend.echo())
          .backend(
              "big",
              TestBackend.of(
                      req ->
                          req.body()
                              .onSuccess(
                                  body ->
                                      req.response()
                                          .putHeader("x-received", String.valueOf(body.length()))
                                          .end(Buffer.buffer(new byte[3 * 1024 * 1024]))))
                  .recordBodies(false))
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("echo").reset();
  }

  private JsonObject echoed(TestResponse r) {
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  @Test
  void forwardsMethodPathAndQueryUnchanged() {
    TestResponse r =
        sluice.client().send(HttpMethod.PUT, "/echo/a/b%20c?x=1&y=%2F", Map.of(), "payload");
    JsonObject e = echoed(r);
    assertThat(e.getString("method")).isEqualTo("PUT");
    assertThat(e.getString("uri")).isEqualTo("/echo/a/b%20c?x=1&y=%2F");
    assertThat(sluice.backend("echo").last().body().toString()).isEqualTo("payload");
  }

  @Test
  void keepsTheClientsHostByDefault() {
    TestResponse r =
        sluice.client().send(HttpMethod.GET, "/echo/h", Map.of("Host", "shop.example.com"), null);
    JsonObject headers = echoed(r).getJsonObject("headers");
    assertThat(headers.getString("host")).isEqualTo("shop.example.com");
    assertThat(headers.getString("x-forwarded-host")).isEqualTo("shop.example.com");
  }

  @Test
  void rewritesHostToTheTargetAndPrefixesTheTargetPath() {
    JsonObject e = echoed(sluice.client().get("/based/7?q=1"));
    assertThat(e.getString("uri")).isEqualTo("/v2/based/7?q=1");
    assertThat(e.getJsonObject("headers").getString("host"))
        .isEqualTo("127.0.0.1:" + sluice.backend("echo").port());
  }

  @Test
  void rewritesHostToALiteral() {
    JsonObject e = echoed(sluice.client().get("/literal"));
    assertThat(e.getJsonObject("headers").getString("host")).isEqualTo("internal.example:8443");
  }

  @Test
  void dropsHopByHopHeadersAndThoseNamedInConnection() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/echo/hop",
                Map.of(
                    "Connection", "keep-alive, X-Private",
                    "X-Private", "secret",
                    "Keep-Alive", "timeout=5",
                    "Proxy-Authorization", "Basic Zm9vOmJhcg==",
                    "TE", "trailers",
                    "Upgrade", "websocket",
                    "X-Kept", "yes"),
                null);
    JsonObject headers = echoed(r).getJsonObject("headers");
    assertThat(headers.fieldNames())
        .doesNotContain("x-private", "keep-alive", "proxy-authorization", "te", "upgrade")
        .contains("x-kept");
  }

  @Test
  void setsForwardedHeadersAndIgnoresTheClientsCopiesFromAnUntrustedPeer() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/echo/fwd",
                Map.of(
                    "X-Forwarded-For", "6.6.6.6",
                    "X-Forwarded-Proto", "https",
                    "X-Forwarded-Host", "evil.example",
                    "Forwarded", "for=6.6.6.6",
                    "Host", "api.example.com"),
                null);
    JsonObject headers = echoed(r).getJsonObject("headers");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
    assertThat(headers.getString("x-forwarded-host")).isEqualTo("api.example.com");
    assertThat(headers.fieldNames()).doesNotContain("forwarded");
  }

  @Test
  void passesASaneRequestIdOnAndReturnsIt() {
    TestResponse r =
        sluice.client().send(HttpMethod.GET, "/echo/id", Map.of("X-Request-Id", "abc-123"), null);
    assertThat(r.header("X-Request-Id")).isEqualTo("abc-123");
    assertThat(echoed(r).getJsonObject("headers").getString("x-request-id")).isEqualTo("abc-123");
  }

  @Test
  void replacesAnInsaneRequestIdWithANewOne() {
    TestResponse r =
        sluice
            .client()
            .send(HttpMethod.GET, "/echo/id", Map.of("X-Request-Id", "bad id\"<script>"), null);
    String id = r.header("X-Request-Id");
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(echoed(r).getJsonObject("headers").getString("x-request-id")).isEqualTo(id);
  }

  @Test
  void generatesARequestIdWhenThereIsNone() {
    TestResponse a = sluice.client().get("/echo/x");
    TestResponse b = sluice.client().get("/echo/x");
    assertThat(a.header("X-Request-Id"))
        .matches("[0-9a-f]{32}")
        .isNotEqualTo(b.header("X-Request-Id"));
  }

  @Test
  void streamsLargeBodiesBothWays() {
    byte[] upload = new byte[4 * 1024 * 1024];
    TestResponse r =
        sluice
            .client()
            .sendAsync(HttpMethod.POST, "/big", Map.of(), Buffer.buffer(upload))
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-received")).isEqualTo(String.valueOf(upload.length));
    assertThat(r.body().length()).isEqualTo(3 * 1024 * 1024);
  }

  @Test
  void answersHeadWithoutABody() {
    TestResponse r = sluice.client().send(HttpMethod.HEAD, "/echo/head", Map.of(), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
  }
}
