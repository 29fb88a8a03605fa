package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The policy chain: order, response hooks in reverse, failures, and the body on demand. */
class PipelineTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
                mock: { type: mock, body: local }
              policies:
                - test-transform: { tag: global-transform }
                - test-pre: { tag: global-pre }
              routes:
                - id: ordered
                  match: { path: /ordered }
                  backend: echo
                  policies:
                    - test-transform: { tag: route-transform }
                    - test-pre: { tag: route-pre-1 }
                    - test-pre: { tag: route-pre-2 }
                - id: mock
                  match: { path: /mock }
                  backend: mock
                - id: throws
                  match: { path: /throws }
                  backend: echo
                  policies: [ { test-misbehaving: { mode: throw } } ]
                - id: fails
                  match: { path: /fails }
                  backend: echo
                  policies: [ { test-misbehaving: { mode: fail } } ]
                - id: foreign
                  match: { path: /foreign }
                  backend: echo
                  policies:
                    - test-misbehaving: { mode: foreign-thread }
                    - test-transform: { tag: after }
                - id: body
                  match: { path: /body }
                  backend: echo
                  policies: [ { test-misbehaving: { mode: echo-body } } ]
              """)
          .backend("echo", TestBackend.echo())
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("echo").reset();
  }

  @Test
  void requestHooksRunByPhaseGlobalFirstThenFileOrderAndResponseHooksInReverse() {
    TestResponse r = sluice.client().get("/ordered");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getJsonObject("headers").getString("x-trace"))
        .isEqualTo("global-pre,route-pre-1,route-pre-2,global-transform,route-transform");
    assertThat(r.header("X-Trace-Back"))
        .isEqualTo("route-transform,global-transform,route-pre-2,route-pre-1,global-pre");
  }

  @Test
  void globalPoliciesRunOnEveryRouteAlsoForMockBackends() {
    TestResponse r = sluice.client().get("/mock");
    assertThat(r.body()).isEqualTo("local");
    assertThat(r.header("X-Trace-Back")).isEqualTo("global-transform,global-pre");
  }

  @Test
  void aPolicyThatThrowsGivesA500ProblemWithoutDetailsAndTheBackendIsNotCalled() {
    TestResponse r = sluice.client().get("/throws");
    assertThat(r.status()).isEqualTo(500);
    assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:internal");
    assertThat(r.body()).doesNotContain("secret internal detail").doesNotContain("Exception");
    assertThat(sluice.backend("echo").reached("/throws")).isFalse();
  }

  @Test
  void aPolicyWhoseFutureFailsGivesA500AndTheGatewayKeepsServing() {
    assertThat(sluice.client().get("/fails").status()).isEqualTo(500);
    assertThat(sluice.client().get("/ordered").status()).isEqualTo(200);
  }

  @Test
  void aFutureCompletedOffTheEventLoopResumesTheChainOnTheRequestsEventLoop() {
    for (int i = 0; i < 20; i++) {
      TestResponse r = sluice.client().get("/foreign");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getJsonObject("headers").getString("x-on-loop-global-transform"))
          .isEqualTo("true");
      assertThat(r.header("X-Trace-Back")).isEqualTo("after,global-transform,global-pre");
    }
  }

  @Test
  void aPolicyThatNeedsTheBodyGetsItAndTheBackendStillReceivesIt() {
    TestResponse r = sluice.client().send(HttpMethod.POST, "/body", Map.of(), "hello body");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getJsonObject("headers").getString("x-body-length")).isEqualTo("10");
    assertThat(r.json().getInteger("bodyBytes")).isEqualTo(10);
    assertThat(sluice.backend("echo").last().body().toString()).isEqualTo("hello body");
  }
}
