package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Route matching as a client sees it: each mock backend answers with its own name. */
class RoutingTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                exact: { type: mock, body: exact }
                template: { type: mock, body: template }
                nested: { type: mock, body: nested }
                prefix: { type: mock, body: prefix }
                deeper: { type: mock, body: deeper }
                tenant: { type: mock, body: tenant }
                wildcard: { type: mock, body: wildcard }
                post: { type: mock, status: 201, body: post }
              routes:
                - { id: exact, match: { methods: [ GET ], path: /orders/new }, backend: exact }
                - { id: template, match: { methods: [ GET ], path: "/orders/{id}" }, backend: template }
                - { id: create, match: { methods: [ POST ], path: /orders }, backend: post }
                - { id: nested, match: { path: "/orders/{id}/items/{item}" }, backend: nested }
                - { id: static, match: { path: "/static/**" }, backend: prefix }
                - { id: deeper, match: { path: "/static/img/**" }, backend: deeper }
                - { id: tenant, match: { path: /whoami, hosts: [ tenant.example.com ] }, backend: tenant }
                - { id: wildcard, match: { path: /whoami, hosts: [ "*.example.com" ] }, backend: wildcard }
                - { id: any, match: { path: /whoami }, backend: exact }
              """)
          .build();

  private String body(String path) {
    TestResponse r = sluice.client().get(path);
    return r.status() + " " + r.body();
  }

  private String bodyForHost(String host) {
    TestResponse r = sluice.client().send(HttpMethod.GET, "/whoami", Map.of("Host", host), null);
    return r.body();
  }

  @Test
  void exactBeatsTemplate() {
    assertThat(body("/orders/new")).isEqualTo("200 exact");
    assertThat(body("/orders/42")).isEqualTo("200 template");
  }

  @Test
  void templateNeedsAWholeNonEmptySegment() {
    assertThat(body("/orders/")).startsWith("404");
    assertThat(body("/orders/42/extra")).startsWith("404");
    assertThat(body("/orders/42/items/7")).isEqualTo("200 nested");
  }

  @Test
  void longerPrefixWinsAndAPrefixCoversItsOwnPath() {
    assertThat(body("/static")).isEqualTo("200 prefix");
    assertThat(body("/static/app.js")).isEqualTo("200 prefix");
    assertThat(body("/static/img/logo.png")).isEqualTo("200 deeper");
    assertThat(body("/staticx")).startsWith("404");
  }

  @Test
  void methodSelectsBetweenRoutesOnOnePath() {
    assertThat(sluice.client().send(HttpMethod.POST, "/orders", Map.of(), "{}").status())
        .isEqualTo(201);
    TestResponse r = sluice.client().send(HttpMethod.DELETE, "/orders/42", Map.of(), null);
    assertThat(r.status()).isEqualTo(405);
    assertThat(r.header("Allow")).isEqualTo("GET, HEAD");
  }

  @Test
  void aCorsPreflightForARouteWithoutPoliciesIsAnOrdinary405() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.OPTIONS,
                "/orders/new",
                Map.of("Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"),
                null);
    assertThat(r.status()).isEqualTo(405);
    assertThat(r.header("Allow")).isEqualTo("GET, HEAD");
  }

  @Test
  void exactHostBeatsWildcardBeatsAnyHost() {
    assertThat(bodyForHost("tenant.example.com")).isEqualTo("tenant");
    assertThat(bodyForHost("TENANT.example.com:8080")).isEqualTo("tenant");
    assertThat(bodyForHost("other.example.com")).isEqualTo("wildcard");
    assertThat(bodyForHost("a.b.example.com")).isEqualTo("wildcard");
    assertThat(bodyForHost("example.org")).isEqualTo("exact");
  }
}
