package io.sluice.bench;

import io.sluice.api.Policy;
import io.sluice.policies.validate.ValidatePolicyFactory;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The validate policy's cost per request (networknt json-schema-validator, draft 2020-12): a small
 * JSON order body (parse and check), and query plus path parameters (coerce and check): {@code java
 * -jar bench/jmh/target/benchmarks.jar Validate}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ValidateBenchmark {

  static final String ORDER =
      """
      {"type":"object","additionalProperties":false,"required":["sku","qty"],"properties":{
        "sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"},
        "qty":{"type":"integer","minimum":1,"maximum":100},
        "note":{"type":"string","maxLength":200},
        "address":{"type":"object","required":["city"],"properties":{
          "city":{"type":"string"},"zip":{"type":"string"}}}}}
      """;

  Vertx vertx;
  Policy body;
  Policy params;
  BenchExchange bodyExchange;
  BenchExchange paramsExchange;

  @Setup
  public void setup() {
    vertx = Vertx.vertx();
    BenchContext context = new BenchContext(vertx);
    ValidatePolicyFactory f = new ValidatePolicyFactory();
    body =
        f.create(
            new JsonObject()
                .put("body", new JsonObject().put("schema", new JsonObject(ORDER)))
                .put("contentTypes", new io.vertx.core.json.JsonArray().add("application/json")),
            context);
    params =
        f.create(
            new JsonObject()
                .put(
                    "path",
                    new JsonObject()
                        .put(
                            "schema",
                            new JsonObject(
                                "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}}}")))
                .put(
                    "query",
                    new JsonObject()
                        .put(
                            "schema",
                            new JsonObject(
                                "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":"
                                    + "{\"limit\":{\"type\":\"integer\",\"maximum\":100},"
                                    + "\"open\":{\"type\":\"boolean\"}}}"))),
            context);
    bodyExchange = new BenchExchange();
    bodyExchange.headers.set("Content-Type", "application/json");
    bodyExchange.headers.set("Content-Length", "90");
    bodyExchange.body =
        Buffer.buffer(
            "{\"sku\":\"ABC-1234\",\"qty\":3,\"note\":\"ring twice\","
                + "\"address\":{\"city\":\"Lyon\",\"zip\":\"69001\"}}");
    paramsExchange = new BenchExchange();
    paramsExchange.pathParams = Map.of("id", "42");
    paramsExchange.query.add("limit", "10").add("open", "true");
    for (BenchExchange e : new BenchExchange[] {bodyExchange, paramsExchange}) {
      (e == bodyExchange ? body : params).onRequest(e);
      if (e.status != 0) {
        throw new IllegalStateException("refused: " + e.status);
      }
    }
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  @Benchmark
  public Object smallJsonBody() {
    return body.onRequest(bodyExchange);
  }

  @Benchmark
  public Object queryAndPath() {
    return params.onRequest(paramsExchange);
  }
}
