package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin API on the admin port: behind the bearer token from the route file (itself from the
 * environment), routes with their chains and no secrets, backends with their live state, cache
 * purge.
 */
class AdminApiTest {

  static final String TOKEN = "admin-token-0123456789abcdef";
  static final String KEY = "k-0123456789-secret";
  static final String HMAC = "hmac-secret-0123456789-0123456789-0123456789";

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                admin: { token: "${env:ADMIN_TOKEN}" }
                redis: { url: "redis://user:${env:KEY}@127.0.0.1:1" }
              backends:
                api:
                  type: http
                  targets: [ "${backend:api}" ]
                  concurrency: { max: 10 }
                  circuitBreaker: { maxFailures: 3 }
                fn: { type: azure-function, url: "${backend:api}/api/x?code=${env:KEY}", key: "${env:KEY}" }
              routes:
                - id: cached
                  match: { path: "/c/**" }
                  backend: api
                  policies:
                    - api-key: { keys: [ { id: app, key: "${env:KEY}" } ] }
                    - cache: { ttl: 1h, perPrincipal: true }
                - { id: fn, match: { path: /fn }, backend: fn }
                - id: hs
                  match: { path: /hs }
                  backend: api
                  policies:
                    - jwt: { issuer: "https://issuer.example", audiences: [ api ], algorithms: [ HS256 ], keys: [ { secret: "${env:HMAC}" } ] }
              """)
          .env("HMAC", HMAC)
          .env("ADMIN_TOKEN", TOKEN)
          .env("KEY", KEY)
          .backend("api", TestBackend.echo())
          .build();

  private static TestResponse admin(HttpMethod method, String path, String token) {
    return sluice
        .admin()
        .send(
            method,
            path,
            token == null ? Map.of() : Map.of("Authorization", "Bearer " + token),
            null);
  }

  @Test
  void withoutTheTokenNothingIsShownAndTheProbesStayOpen() {
    assertThat(admin(HttpMethod.GET, "/admin/routes", null).status()).isEqualTo(401);
    TestResponse wrong = admin(HttpMethod.GET, "/admin/backends", "admin-token-0123456789abcdeX");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(admin(HttpMethod.POST, "/admin/cache/purge", null).status()).isEqualTo(401);
    assertThat(admin(HttpMethod.GET, "/admin/config", null).status()).isEqualTo(401);
    assertThat(admin(HttpMethod.POST, "/admin/reload", null).status()).isEqualTo(401);
    assertThat(sluice.admin().get("/healthz").status()).isEqualTo(200);
    assertThat(sluice.admin().get("/metrics").status()).isEqualTo(200);
    assertThat(admin(HttpMethod.GET, "/admin/nothing", TOKEN).status()).isEqualTo(404);
  }

  @Test
  void routesShowTheChainsAndNoSecret() {
    TestResponse r = admin(HttpMethod.GET, "/admin/routes", TOKEN);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(KEY).doesNotContain(TOKEN);
    JsonObject cached = r.json().getJsonArray("routes").getJsonObject(0);
    assertThat(cached.getString("id")).isEqualTo("cached");
    assertThat(cached.getString("path")).isEqualTo("/c/**");
    JsonArray chain = cached.getJsonArray("policies");
    assertThat(chain.getJsonObject(0).getString("policy")).isEqualTo("api-key");
    assertThat(chain.getJsonObject(0).getString("phase")).isEqualTo("AUTHENTICATE");
    assertThat(chain.getJsonObject(1).getString("policy")).isEqualTo("cache");
    assertThat(chain.getJsonObject(1).getString("at")).contains("routes[0].policies[1]");
  }

  @Test
  void backendsShowTheirLiveStateAndNoSecret() {
    TestResponse r = admin(HttpMethod.GET, "/admin/backends", TOKEN);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(KEY);
    JsonArray backends = r.json().getJsonArray("backends");
    JsonObject api =
        backends.stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("name").equals("api"))
            .findFirst()
            .orElseThrow();
    assertThat(api.getString("type")).isEqualTo("http");
    assertThat(api.getString("circuit")).isEqualTo("closed");
    assertThat(api.getInteger("active")).isZero();
    assertThat(api.getInteger("queued")).isZero();
    assertThat(api.getJsonArray("targets").getJsonObject(0).getBoolean("up")).isTrue();
  }

  @Test
  void aPurgeEmptiesTheCacheByRouteAndPrefix() {
    Map<String, String> key = Map.of("X-API-Key", KEY);
    sluice.client().send(HttpMethod.GET, "/c/a/1", key, null);
    sluice.client().send(HttpMethod.GET, "/c/b/1", key, null);
    assertThat(sluice.client().send(HttpMethod.GET, "/c/a/1", key, null).header("X-Cache"))
        .isEqualTo("HIT");
    TestResponse purged =
        admin(HttpMethod.POST, "/admin/cache/purge?route=cached&prefix=/c/a", TOKEN);
    assertThat(purged.status()).isEqualTo(200);
    assertThat(purged.json().getLong("purged")).isEqualTo(1);
    assertThat(sluice.client().send(HttpMethod.GET, "/c/a/1", key, null).header("X-Cache"))
        .isEqualTo("MISS");
    assertThat(sluice.client().send(HttpMethod.GET, "/c/b/1", key, null).header("X-Cache"))
        .isEqualTo("HIT");
    assertThat(admin(HttpMethod.POST, "/admin/cache/purge", TOKEN).json().getLong("purged"))
        .isEqualTo(2);
    assertThat(sluice.client().send(HttpMethod.GET, "/c/b/1", key, null).header("X-Cache"))
        .isEqualTo("MISS");
  }

  @Test
  void theConfigInForceIsShownWithEverySecretRedacted() {
    TestResponse r = admin(HttpMethod.GET, "/admin/config", TOKEN);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(KEY).doesNotContain(TOKEN).doesNotContain(HMAC);
    JsonObject c = r.json();
    assertThat(c.getJsonObject("gateway").getString("adminToken")).isEqualTo("***");
    assertThat(c.getJsonObject("gateway").getJsonObject("redis").getString("url"))
        .isEqualTo("redis://***@127.0.0.1:1");
    JsonObject fn = c.getJsonObject("backends").getJsonObject("fn");
    assertThat(fn.getString("key")).isEqualTo("***");
    assertThat(fn.getString("query")).isEqualTo("code=***");
    JsonObject cached = c.getJsonArray("routes").getJsonObject(0);
    JsonObject apiKey = cached.getJsonArray("policies").getJsonObject(0);
    assertThat(apiKey.getString("policy")).isEqualTo("api-key");
    assertThat(apiKey.getJsonObject("config").getJsonArray("keys").getJsonObject(0))
        .isEqualTo(new JsonObject().put("id", "app").put("key", "***"));
    JsonObject cache = cached.getJsonArray("policies").getJsonObject(1);
    assertThat(cache.getJsonObject("config").getString("ttl")).isEqualTo("1h");
    JsonObject jwt =
        c.getJsonArray("routes").getJsonObject(2).getJsonArray("policies").getJsonObject(0);
    assertThat(
            jwt.getJsonObject("config").getJsonArray("keys").getJsonObject(0).getString("secret"))
        .isEqualTo("***");
  }
}
