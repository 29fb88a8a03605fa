package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.it.support.Metrics;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The validate policy through the running gateway: a request that does not match the route's
 * contract is refused before the backend (which counts its requests) is called.
 */
class ValidateTest {

  static final TestBackend backend = TestBackend.echo();
  static final Path dir = schemaDir();

  static Path schemaDir() {
    try {
      Path d = Files.createTempDirectory("sluice-validate");
      Files.createDirectories(d.resolve("schemas"));
      Files.writeString(
          d.resolve("schemas/order.json"),
          """
          {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "required": ["sku", "qty"],
            "properties": {
              "sku": { "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$" },
              "qty": { "type": "integer", "minimum": 1, "maximum": 100 },
              "note": { "type": "string", "maxLength": 200 },
              "lines": { "type": "array", "items": { "type": "object" } }
            }
          }
          """);
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                api: { type: http, targets: [ "${backend:api}" ] }
              routes:
                - id: create-order
                  match: { methods: [ POST ], path: /orders }
                  backend: api
                  policies:
                    - validate:
                        body: { schema: schemas/order.json }
                        headers: { required: [ X-Tenant-Id ] }
                        contentTypes: [ application/json ]
                        maxDepth: 16
                - id: list-orders
                  match: { methods: [ GET ], path: "/customers/{id}/orders" }
                  backend: api
                  policies:
                    - validate:
                        path: { schema: { type: object, properties: { id: { type: integer, minimum: 1 } } } }
                        query:
                          schema:
                            type: object
                            additionalProperties: false
                            properties:
                              limit: { type: integer, maximum: 100 }
                              open: { type: boolean }
                              status: { type: array, items: { enum: [ new, paid, sent ] } }
              """)
          .baseDir(dir)
          .backend("api", backend)
          .build();

  private static final Map<String, String> JSON_TENANT =
      Map.of("Content-Type", "application/json; charset=utf-8", "X-Tenant-Id", "t1");

  private static TestResponse post(Map<String, String> headers, String body) {
    return sluice.client().send(HttpMethod.POST, "/orders", headers, body);
  }

  @Test
  void aValidRequestReachesTheBackend() {
    int before = backend.requestCount();
    TestResponse r = post(JSON_TENANT, "{\"sku\":\"ABC-1234\",\"qty\":3}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(backend.requestCount()).isEqualTo(before + 1);
    assertThat(backend.last().body().toString()).isEqualTo("{\"sku\":\"ABC-1234\",\"qty\":3}");
  }

  @Test
  void everyFailingFieldIsNamedAndTheBackendIsNotCalled() {
    int before = backend.requestCount();
    TestResponse r =
        post(
            Map.of("Content-Type", "application/json"),
            "{\"sku\":\"abc\",\"qty\":1000,\"extra\":true}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("content-type")).isEqualTo("application/problem+json");
    JsonObject problem = r.json();
    assertThat(problem.getString("type")).isEqualTo("urn:sluice:problem:invalid-request");
    assertThat(problem.getString("requestId")).isNotBlank();
    List<String> errors = errors(problem.getJsonArray("errors"));
    assertThat(errors)
        .hasSize(4)
        .contains("header /X-Tenant-Id: is required")
        .contains("body /extra: is not allowed")
        .anyMatch(e -> e.startsWith("body /sku: ") && e.contains("pattern"))
        .anyMatch(e -> e.startsWith("body /qty: ") && e.contains("100"));
    assertThat(backend.requestCount()).isEqualTo(before);
  }

  @Test
  void missingFieldsAndAMissingBodyAreNamed() {
    assertThat(errors(post(JSON_TENANT, "{\"qty\":2}").json().getJsonArray("errors")))
        .containsExactly("body /sku: is required");
    TestResponse none =
        sluice.client().send(HttpMethod.POST, "/orders", Map.of("X-Tenant-Id", "t1"), null);
    assertThat(none.status()).isEqualTo(400);
    assertThat(errors(none.json().getJsonArray("errors")))
        .containsExactly("body : a JSON body is required");
  }

  @Test
  void malformedJsonIs400AndAnotherMediaType415() {
    TestResponse bad = post(JSON_TENANT, "{\"sku\": ");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getString("type")).isEqualTo("urn:sluice:problem:malformed-body");
    TestResponse two = post(JSON_TENANT, "{} {}");
    assertThat(two.status()).isEqualTo(400);
    TestResponse xml =
        post(Map.of("Content-Type", "application/xml", "X-Tenant-Id", "t1"), "<order/>");
    assertThat(xml.status()).isEqualTo(415);
    assertThat(xml.json().getString("type")).isEqualTo("urn:sluice:problem:unsupported-media-type");
  }

  @Test
  void deepNestingAndHugeValuesAreRefusedFastAndOtherTrafficGoesOn() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    long t0 = System.nanoTime();
    TestResponse r = post(JSON_TENANT, "{\"sku\":\"ABC-1234\",\"qty\":1,\"lines\":" + deep + "}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("detail")).contains("nested too deeply");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);
    TestResponse longNote =
        post(
            JSON_TENANT,
            "{\"sku\":\"ABC-1234\",\"qty\":1,\"note\":\"" + "x".repeat(500_000) + "\"}");
    assertThat(longNote.status()).isEqualTo(400);
    assertThat(errors(longNote.json().getJsonArray("errors")))
        .singleElement()
        .asString()
        .startsWith("body /note: ");
    assertThat(post(JSON_TENANT, "{\"sku\":\"ABC-1234\",\"qty\":3}").status()).isEqualTo(200);
  }

  @Test
  void queryAndPathParametersAreValidatedWithTheirTypesCoerced() {
    assertThat(
            sluice
                .client()
                .get("/customers/42/orders?limit=10&open=true&status=new&status=paid")
                .status())
        .isEqualTo(200);
    TestResponse r = sluice.client().get("/customers/abc/orders?limit=1000&open=maybe&x=1");
    assertThat(r.status()).isEqualTo(400);
    assertThat(errors(r.json().getJsonArray("errors")))
        .hasSize(4)
        .anyMatch(e -> e.startsWith("path /id: ") && e.contains("integer"))
        .anyMatch(e -> e.startsWith("query /limit: ") && e.contains("100"))
        .anyMatch(e -> e.startsWith("query /open: ") && e.contains("boolean"))
        .contains("query /x: is not allowed");
    TestResponse wrongEnum = sluice.client().get("/customers/1/orders?status=lost");
    assertThat(errors(wrongEnum.json().getJsonArray("errors")))
        .singleElement()
        .asString()
        .startsWith("query /status/0: ");
    assertThat(sluice.client().get("/customers/0/orders").status()).isEqualTo(400);
  }

  @Test
  void refusalsAreCountedByReason() {
    Metrics before = Metrics.parse(sluice.admin().get("/metrics").body());
    post(Map.of("Content-Type", "text/plain", "X-Tenant-Id", "t1"), "hi");
    Metrics after = Metrics.parse(sluice.admin().get("/metrics").body());
    assertThat(
            after.delta(
                before,
                "sluice_validate_refusals_total",
                "route",
                "create-order",
                "reason",
                "unsupported_media_type"))
        .isEqualTo(1);
  }

  @Test
  void anInvalidSchemaStopsTheStartWithItsPlaceInTheFile() throws Exception {
    io.sluice.gateway.config.SluiceConfig config =
        new io.sluice.gateway.config.ConfigLoader(k -> null)
            .load(
                "routes.yaml",
                dir,
                """
                backends:
                  api: { type: mock }
                routes:
                  - id: r
                    match: { path: /r }
                    backend: api
                    policies:
                      - validate: { body: { schema: { type: integr } } }
                """);
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> io.sluice.gateway.server.Gateway.start(vertx, config, 1))
          .hasMessageContaining("routes.yaml:8:19")
          .hasMessageContaining("the body schema is not a valid JSON Schema (2020-12)");
    } finally {
      vertx.close();
    }
  }

  private static List<String> errors(JsonArray errors) {
    return errors.stream()
        .map(o -> (JsonObject) o)
        .map(o -> o.getString("in") + " " + o.getString("pointer") + ": " + o.getString("message"))
        .toList();
  }
}
