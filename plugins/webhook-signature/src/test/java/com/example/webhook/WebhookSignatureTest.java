package com.example.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The plugin through a real gateway, the way a plugin author tests theirs: with the test kit. */
class WebhookSignatureTest {

  static final String SECRET = "whsec_0123456789abcdef";

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                hooks: { type: http, targets: [ "${backend:hooks}" ] }
              routes:
                - id: hooks
                  match: { methods: [ POST ], path: /hooks }
                  backend: hooks
                  policies:
                    - webhook-signature: { secret: "${env:WEBHOOK_SECRET}", tolerance: 5m }
              """)
          .env("WEBHOOK_SECRET", SECRET)
          .backend("hooks", TestBackend.echo())
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("hooks").reset();
  }

  static String sign(String secret, long timestamp, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    byte[] sig = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
    return "sha256=" + HexFormat.of().formatHex(sig);
  }

  private TestResponse post(String body, String signature, long timestamp) {
    return sluice
        .client()
        .send(
            HttpMethod.POST,
            "/hooks",
            Map.of("X-Signature", signature, "X-Timestamp", String.valueOf(timestamp)),
            body);
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  @Test
  void acceptsACorrectlySignedWebhookAndPassesItsBodyOn() throws Exception {
    String body = "{\"event\":\"paid\"}";
    TestResponse r = post(body, sign(SECRET, now(), body), now());
    assertThat(r.status()).isEqualTo(200);
    assertThat(sluice.backend("hooks").last().body().toString()).isEqualTo(body);
  }

  @Test
  void refusesATamperedBody() throws Exception {
    long t = now();
    TestResponse r = post("{\"event\":\"refunded\"}", sign(SECRET, t, "{\"event\":\"paid\"}"), t);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:invalid-signature");
    assertThat(sluice.backend("hooks").requestCount()).isZero();
  }

  @Test
  void refusesAnotherSecretAnOldTimestampAndGarbage() throws Exception {
    String body = "{}";
    assertThat(post(body, sign("whsec_someone-else-1234", now(), body), now()).status())
        .isEqualTo(401);
    long old = now() - 600;
    assertThat(post(body, sign(SECRET, old, body), old).status()).isEqualTo(401);
    assertThat(post(body, "sha256=zz", now()).status()).isEqualTo(401);
    assertThat(post(body, "md5=abc", now()).status()).isEqualTo(401);
    assertThat(sluice.client().send(HttpMethod.POST, "/hooks", Map.of(), body).status())
        .isEqualTo(401);
    assertThat(sluice.backend("hooks").requestCount()).isZero();
  }
}
