package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class LambdaEventsTest {

  @Test
  void payloadTwoTakesAnyJsonWithoutStatusCodeAsA200() throws Exception {
    LambdaEvents.Response r = LambdaEvents.response(Buffer.buffer("[1,2]"), false);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("content-type")).isEqualTo("application/json");
    assertThat(r.body().toString()).isEqualTo("[1,2]");
    assertThat(LambdaEvents.response(Buffer.buffer("\"hi\""), false).body().toString())
        .isEqualTo("\"hi\"");
  }

  @Test
  void payloadOneNeedsAStatusCodeAndMergesMultiValueHeaders() throws Exception {
    assertThatThrownBy(() -> LambdaEvents.response(Buffer.buffer("{\"a\":1}"), true))
        .isInstanceOf(LambdaEvents.MalformedResponse.class);
    LambdaEvents.Response r =
        LambdaEvents.response(
            Buffer.buffer(
                "{\"statusCode\":\"404\",\"headers\":{\"x-a\":1},"
                    + "\"multiValueHeaders\":{\"x-b\":[\"1\",\"2\"]},\"body\":\"no\"}"),
            true);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.headers().get("x-a")).isEqualTo("1");
    assertThat(r.headers().getAll("x-b")).containsExactly("1", "2");
    assertThat(r.body().toString()).isEqualTo("no");
  }

  @Test
  void brokenProxyResponsesAreRefused() {
    for (String bad :
        new String[] {
          "not json",
          "{\"statusCode\":2000}",
          "{\"statusCode\":200,\"headers\":[]}",
          "{\"statusCode\":200,\"headers\":{\"a\":{}}}",
          "{\"statusCode\":200,\"body\":7}",
          "{\"statusCode\":200,\"body\":\"%%%\",\"isBase64Encoded\":true}",
          "{\"statusCode\":200,\"cookies\":\"a=1\"}"
        }) {
      assertThatThrownBy(() -> LambdaEvents.response(Buffer.buffer(bad), false))
          .as(bad)
          .isInstanceOf(LambdaEvents.MalformedResponse.class);
    }
  }

  @Test
  void textTypesAreRecognised() {
    assertThat(LambdaEvents.isText("application/json; charset=utf-8")).isTrue();
    assertThat(LambdaEvents.isText("application/vnd.api+json")).isTrue();
    assertThat(LambdaEvents.isText("text/csv")).isTrue();
    assertThat(LambdaEvents.isText("image/png")).isFalse();
    assertThat(LambdaEvents.isText(null)).isFalse();
  }
}
