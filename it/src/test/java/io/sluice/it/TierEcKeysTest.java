package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.gateway.config.SluiceConfig.Trust;
import io.sluice.gateway.tier.TierAssertions;
import io.sluice.it.support.Idp;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Edge and core with an EC P-256 pair (ES256): the edge signs with the private key, the core checks
 * with the public one, both off the event loop (each takes about a millisecond of CPU; the test kit
 * fails the test on a blocked event loop), with request bodies kept meanwhile. In process: the edge
 * in front of a recording backend in the core's place, the core behind assertions this test makes.
 */
class TierEcKeysTest {

  static final KeyPair PAIR = Idp.ec();
  static final TestBackend fakeCore = TestBackend.echo();
  static final TestBackend echo = TestBackend.echo();

  @RegisterExtension
  static final SluiceExtension edge =
      SluiceExtension.withConfig(
              """
              gateway:
                role: edge
                region: eu-west-1
                trust: { privateKey: "${env:PRIVATE_PEM}" }
                edge: { core: [ { region: a, url: "${backend:core}" } ], healthCheck: false }
              backends:
                b: { type: mock }
              routes:
                - id: r
                  match: { path: "/r/**" }
                  backend: b
                  policies:
                    - api-key: { keys: [ { id: app-1, key: "k-0123456789abcdef" } ] }
              """)
          .env("PRIVATE_PEM", Idp.pem("PRIVATE KEY", PAIR.getPrivate().getEncoded()))
          .backend("core", fakeCore)
          .build();

  @RegisterExtension
  static final SluiceExtension core =
      SluiceExtension.withConfig(
              """
              gateway:
                role: core
                trust: { publicKey: "${env:PUBLIC_PEM}" }
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - { id: r, match: { path: "/r/**" }, backend: echo }
              """)
          .env("PUBLIC_PEM", Idp.pem(PAIR.getPublic()))
          .backend("echo", echo)
          .build();

  @Test
  void theEdgeSignsWithThePrivateKeyAndKeepsTheBody() throws Exception {
    String body = "x".repeat(5000);
    TestResponse r =
        edge.client()
            .send(HttpMethod.POST, "/r/orders", Map.of("X-Api-Key", "k-0123456789abcdef"), body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getInteger("bodyBytes")).isEqualTo(5000);
    String token = fakeCore.last().header("X-Sluice-Assertion");
    String header =
        new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8);
    assertThat(header).contains("\"alg\":\"ES256\"");
    TierAssertions.Asserted a =
        new TierAssertions.Verifier(
                new Trust(null, null, PAIR.getPublic(), List.of(), Duration.ofSeconds(30)))
            .verify(token);
    assertThat(a.principal()).isEqualTo("app-1");
    assertThat(a.routeId()).isEqualTo("r");
    assertThat(a.method()).isEqualTo("POST");
    assertThat(a.path()).isEqualTo("/r/orders");
    assertThat(a.region()).isEqualTo("eu-west-1");
    assertThat(a.clientAddress()).isEqualTo("127.0.0.1");
    assertThat(a.requestId()).isEqualTo(r.header("X-Request-Id"));
    assertThat(fakeCore.last().header("X-Api-Key")).as("the edge's policy took it").isNull();
  }

  @Test
  void theCoreChecksWithThePublicKeyAndKeepsTheBody() {
    TierAssertions.Signer signer =
        new TierAssertions.Signer(
            new Trust(null, PAIR.getPrivate(), null, List.of(), Duration.ofSeconds(30)), "x");
    String good =
        signer.sign(
            new TierAssertions.Asserted(
                "app-1", null, null, "r", "PUT", "/r/1", "q-1", null, "192.0.2.1"),
            System.currentTimeMillis());
    TestResponse ok =
        core.client()
            .send(
                HttpMethod.PUT,
                "/r/1",
                Map.of("X-Sluice-Assertion", good, "X-Forwarded-For", "192.0.2.1"),
                "y".repeat(3000));
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().getInteger("bodyBytes")).isEqualTo(3000);
    assertThat(echo.last().header("X-Sluice-Assertion")).isNull();
    assertThat(echo.last().header("X-Forwarded-For"))
        .as("the edge is believed as a trusted proxy is")
        .isEqualTo("192.0.2.1, 127.0.0.1");

    TierAssertions.Signer stranger =
        new TierAssertions.Signer(
            new Trust(null, Idp.ec().getPrivate(), null, List.of(), Duration.ofSeconds(30)), "x");
    String forged =
        stranger.sign(
            new TierAssertions.Asserted("app-1", null, null, "r", "PUT", "/r/1", "q", null, null),
            System.currentTimeMillis());
    TestResponse refused =
        core.client()
            .send(HttpMethod.PUT, "/r/1", Map.of("X-Sluice-Assertion", forged), "y".repeat(3000));
    assertThat(refused.status()).isEqualTo(401);
    assertThat(core.client().get("/r/1").status()).isEqualTo(401);
  }
}
