package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** When the peer is a trusted proxy, its X-Forwarded-* headers are kept and extended. */
class TrustedProxyTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                trustedProxies: [ 127.0.0.0/8, "::1" ]
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - { id: echo, match: { path: "/**" }, backend: echo }
              """)
          .backend("echo", TestBackend.echo())
          .build();

  @Test
  void appendsThePeerToTheForwardedChainAndKeepsProtoAndHost() {
    TestResponse r =
        sluice
            .client()
            .send(
                HttpMethod.GET,
                "/x",
                Map.of(
                    "X-Forwarded-For", "203.0.113.9, 10.0.0.1",
                    "X-Forwarded-Proto", "https",
                    "X-Forwarded-Host", "shop.example.com"),
                null);
    JsonObject h = r.json().getJsonObject("headers");
    assertThat(h.getString("x-forwarded-for")).isEqualTo("203.0.113.9, 10.0.0.1, 127.0.0.1");
    assertThat(h.getString("x-forwarded-proto")).isEqualTo("https");
    assertThat(h.getString("x-forwarded-host")).isEqualTo("shop.example.com");
  }
}
