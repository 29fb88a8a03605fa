package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** cors, headers, ip-filter and request-size, through the running gateway. */
class BuiltInPoliciesTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              policies:
                - cors:
                    origins: [ "https://app.example.com" ]
                    methods: [ GET, POST, DELETE ]
                    headers: [ Authorization, Content-Type ]
                    exposeHeaders: [ X-Request-Id ]
                    credentials: true
                    maxAge: 1h
              routes:
                - id: api
                  match: { methods: [ GET, POST ], path: "/api/**" }
                  backend: echo
                  policies:
                    - headers:
                        request: { set: { X-Env: test }, remove: [ Cookie ], add: { X-Added: "1" } }
                        response: { set: { Cache-Control: no-store }, remove: [ Content-Type ] }
                - id: local-only
                  match: { path: "/local/**" }
                  backend: echo
                  policies: [ { ip-filter: { allow: [ 127.0.0.0/8, "::1" ] } } ]
                - id: denied
                  match: { path: "/denied/**" }
                  backend: echo
                  policies: [ { ip-filter: { allow: [ 0.0.0.0/0 ], deny: [ 127.0.0.1 ] } } ]
                - id: small
                  match: { path: "/small/**" }
                  backend: echo
                  policies: [ { request-size: { max: 16 } } ]
              """)
          .backend("echo", TestBackend.echo())
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("echo").reset();
  }

  @Test
  void corsPreflightIsAnsweredAtTheGateway() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.OPTIONS,
                "/api/items",
                Map.of(
                    "Origin", "https://app.example.com",
                    "Access-Control-Request-Method", "POST",
                    "Access-Control-Request-Headers", "content-type, authorization"),
                null);
    assertThat(r.status()).isEqualTo(204);
    assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
    assertThat(r.header("Access-Control-Allow-Methods")).isEqualTo("GET, POST, DELETE");
    assertThat(r.header("Access-Control-Allow-Headers")).isEqualTo("authorization, content-type");
    assertThat(r.header("Access-Control-Allow-Credentials")).isEqualTo("true");
    assertThat(r.header("Access-Control-Max-Age")).isEqualTo("3600");
    assertThat(r.header("Vary")).contains("Origin");
    assertThat(sluice.backend("echo").reached("/api/items")).isFalse();
  }

  @Test
  void corsPreflightFromAnUnknownOriginOrForAnUnlistedHeaderIsRefused() {
    TestResponse evil =
        sluice
            .client()
            .send(
                HttpMethod.OPTIONS,
                "/api/items",
                Map.of("Origin", "https://evil.example", "Access-Control-Request-Method", "GET"),
                null);
    assertThat(evil.status()).isEqualTo(403);
    assertThat(evil.header("Access-Control-Allow-Origin")).isNull();
    TestResponse header =
        sluice
            .client()
            .send(
                HttpMethod.OPTIONS,
                "/api/items",
                Map.of(
                    "Origin", "https://app.example.com",
                    "Access-Control-Request-Method", "GET",
                    "Access-Control-Request-Headers", "x-secret"),
                null);
    assertThat(header.status()).isEqualTo(403);
    assertThat(sluice.backend("echo").reached("/api/items")).isFalse();
  }

  @Test
  void corsPreflightForAMethodTheRouteDoesNotAllowIsA405() {
    // cors allows DELETE, the route does not: the route decides.
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.OPTIONS,
                "/api/items",
                Map.of("Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT"),
                null);
    assertThat(r.status()).isEqualTo(405);
  }

  @Test
  void corsHeadersAreAddedToActualResponsesForAllowedOriginsOnly() {
    TestResponse ok =
        sluice
            .client()
            .send(HttpMethod.GET, "/api/x", Map.of("Origin", "https://app.example.com"), null);
    assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
    assertThat(ok.header("Access-Control-Expose-Headers")).isEqualTo("X-Request-Id");
    TestResponse other =
        sluice
            .client()
            .send(HttpMethod.GET, "/api/x", Map.of("Origin", "https://evil.example"), null);
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.header("Access-Control-Allow-Origin")).isNull();
    assertThat(sluice.client().get("/api/x").header("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void headersAreSetAddedAndRemovedBothWays() {
    TestResponse r =
        sluice
            .client()
            .send(HttpMethod.GET, "/api/h", Map.of("Cookie", "session=1", "X-Env", "prod"), null);
    JsonObject seen = r.json().getJsonObject("headers");
    assertThat(seen.getString("x-env")).isEqualTo("test");
    assertThat(seen.getString("x-added")).isEqualTo("1");
    assertThat(seen.fieldNames()).doesNotContain("cookie");
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.header("Content-Type")).isNull();
  }

  @Test
  void ipFilterAllowsListedAddressesAndDenyWins() {
    assertThat(sluice.client().get("/local/x").status()).isEqualTo(200);
    TestResponse denied = sluice.client().get("/denied/x");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.json().getString("type")).isEqualTo("urn:sluice:problem:forbidden");
    assertThat(sluice.backend("echo").reached("/local/x")).isTrue();
    assertThat(sluice.backend("echo").reached("/denied/x")).isFalse();
  }

  @Test
  void requestSizeRefusesAnnouncedAndStreamedBodiesOverTheRouteLimit() {
    TestResponse announced =
        sluice.client().send(HttpMethod.POST, "/small/x", Map.of(), "x".repeat(17));
    assertThat(announced.status()).isEqualTo(413);
    String chunked =
        sluice
            .client()
            .raw(
                "POST /small/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
                3000);
    assertThat(chunked).startsWith("HTTP/1.1 413");
    assertThat(sluice.backend("echo").received()).noneMatch(r -> r.uri().equals("/small/x"));
    assertThat(sluice.client().send(HttpMethod.POST, "/small/x", Map.of(), "fits").status())
        .isEqualTo(200);
  }
}
