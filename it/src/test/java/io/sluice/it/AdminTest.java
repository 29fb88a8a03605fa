package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Health and readiness on the admin port. */
class AdminTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                drainTimeout: 10s
              backends:
                slow: { type: http, targets: [ "${backend:slow}" ] }
              routes:
                - { id: slow, match: { path: /slow }, backend: slow }
              """)
          .backend("slow", TestBackend.fixed(200, "ok"))
          .build();

  @Test
  void healthAndReadinessAnswerOnTheAdminPort() {
    assertThat(sluice.admin().get("/healthz").status()).isEqualTo(200);
    TestResponse ready = sluice.admin().get("/readyz");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getString("status")).isEqualTo("ready");
    // and not on the client port
    assertThat(sluice.client().get("/readyz").status()).isEqualTo(404);
  }

  @Test
  void withoutATokenTheAdminApiIsOff() {
    TestResponse r = sluice.admin().get("/admin/routes");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().getString("detail")).contains("gateway.admin.token");
  }
}
