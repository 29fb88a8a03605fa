package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The api-key policy through the running gateway. */
class ApiKeyTest {

  // SHA-256 of "mobile-secret-key-0001": only the digest is in the route file.
  static final String MOBILE_SHA256 =
      "c8136a735df02d3acb84c8df49743bb65fd83ba37610f0d5491fcf58c31cc4fe";

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - id: header
                  match: { path: "/h/**" }
                  backend: echo
                  policies:
                    - api-key:
                        keys:
                          - { id: mobile-app, sha256: "%s" }
                          - { id: partner-x, key: "${env:PARTNER_X_KEY}" }
                - id: query
                  match: { path: "/q/**" }
                  backend: echo
                  policies:
                    - api-key: { in: query, name: api_key, keys: [ { id: partner-x, key: "${env:PARTNER_X_KEY}" } ] }
              """
                  .formatted(MOBILE_SHA256))
          .env("PARTNER_X_KEY", "partner-x-secret-0002")
          .backend("echo", TestBackend.echo())
          .build();

  private TestResponse withKey(String path, String key) {
    return sluice.client().send(HttpMethod.GET, path, Map.of("X-Api-Key", key), null);
  }

  @Test
  void aKeyGivenByItsDigestOrFromTheEnvironmentIsAcceptedAndNotPassedOn() {
    TestResponse mobile = withKey("/h/1", "mobile-secret-key-0001");
    assertThat(mobile.status()).isEqualTo(200);
    assertThat(mobile.json().getJsonObject("headers").fieldNames()).doesNotContain("x-api-key");
    TestResponse partner = withKey("/h/2", "partner-x-secret-0002");
    assertThat(partner.status()).isEqualTo(200);
    assertThat(partner.json().getJsonObject("headers").fieldNames()).doesNotContain("x-api-key");
  }

  @Test
  void aMissingOrUnknownKeyIsA401WithAChallengeAndTheBackendIsNotReached() {
    TestResponse missing = sluice.client().get("/h/missing");
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.header("WWW-Authenticate"))
        .isEqualTo("ApiKey realm=\"sluice\", header=\"X-Api-Key\"");
    assertThat(missing.json().getString("type")).isEqualTo("urn:sluice:problem:unauthorized");
    TestResponse wrong = withKey("/h/wrong", "mobile-secret-key-0009");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.body()).doesNotContain("mobile-secret-key-0009");
    assertThat(sluice.backend("echo").reached("/h/missing")).isFalse();
    assertThat(sluice.backend("echo").reached("/h/wrong")).isFalse();
  }

  @Test
  void aKeyInTheQueryIsCheckedAndRemovedFromTheQueryTheBackendSees() {
    TestResponse ok = sluice.client().get("/q/items?limit=5&api_key=partner-x-secret-0002&x=%2F");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getString("uri")).isEqualTo("/q/items?limit=5&x=%2F");
    assertThat(sluice.client().get("/q/items?api_key=nope").status()).isEqualTo(401);
    assertThat(sluice.client().get("/q/items").status()).isEqualTo(401);
  }
}
