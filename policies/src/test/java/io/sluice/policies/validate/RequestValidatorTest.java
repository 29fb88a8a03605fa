package io.sluice.policies.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compiled checks: messages, pointers, coercion, refusals at load. */
class RequestValidatorTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  private static List<String> body(RequestValidator v, String doc) throws Exception {
    List<RequestValidator.Violation> out = new ArrayList<>();
    v.body(doc.getBytes(StandardCharsets.UTF_8), out);
    return out.stream().map(x -> x.pointer() + ": " + x.message()).toList();
  }

  @Test
  void messagesNameTheFieldWithAJsonPointer() throws Exception {
    RequestValidator v =
        new RequestValidator(
            json(
                """
                {"type":"object","required":["qty"],"properties":{
                  "qty":{"type":"integer","maximum":100},
                  "lines":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"}}}}}}
                """),
            null,
            null,
            64);
    assertThat(body(v, "{\"qty\":1000,\"lines\":[{\"sku\":1}]}"))
        .containsExactlyInAnyOrder(
            "/qty: must have a maximum value of 100",
            "/lines/0/sku: integer found, string expected");
    assertThat(body(v, "{}")).containsExactly("/qty: is required");
    assertThat(body(v, "{\"qty\":5}")).isEmpty();
  }

  @Test
  void tooDeepIsMalformedNotAStackOverflow() throws Exception {
    RequestValidator v = new RequestValidator(json("{}"), null, null, 8);
    assertThatThrownBy(() -> body(v, "[".repeat(9) + "]".repeat(9)))
        .isInstanceOf(RequestValidator.Malformed.class)
        .hasMessageContaining("nested too deeply");
    assertThat(body(v, "[".repeat(8) + "]".repeat(8))).isEmpty();
  }

  @Test
  void parametersAreCoercedToTheDeclaredTypes() throws Exception {
    JsonNode schema =
        json(
            """
            {"type":"object","properties":{
              "limit":{"type":"integer"},"ratio":{"type":"number"},"open":{"type":"boolean"},
              "tags":{"type":"array","items":{"type":"integer"}},"name":{"type":"string"}}}
            """);
    assertThat(
            RequestValidator.coerce(
                    RequestValidator.params(
                        "limit", "10", "ratio", "0.5", "open", "true", "tags", "1", "tags", "2",
                        "name", "42", "other", "a", "other", "b"),
                    schema)
                .toString())
        .isEqualTo(
            "{\"limit\":10,\"ratio\":0.5,\"open\":true,\"tags\":[1,2],\"name\":\"42\","
                + "\"other\":[\"a\",\"b\"]}");
    // What does not read as the type stays a string, for the schema to refuse; an exponent never
    // becomes a huge integer.
    assertThat(
            RequestValidator.coerce(
                    RequestValidator.params("limit", "1e999999999", "open", "yes"), schema)
                .toString())
        .isEqualTo("{\"limit\":\"1e999999999\",\"open\":\"yes\"}");
  }

  @Test
  void anInvalidSchemaIsRefusedAtLoad() {
    assertThatThrownBy(() -> new RequestValidator(json("{\"type\":\"integr\"}"), null, null, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the body schema is not a valid JSON Schema (2020-12)");
    assertThatThrownBy(() -> new RequestValidator(null, json("{\"maximum\":\"ten\"}"), null, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the query schema is not a valid JSON Schema");
  }
}
