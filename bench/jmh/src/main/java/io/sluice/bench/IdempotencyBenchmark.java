package io.sluice.bench;

import io.sluice.api.Policy;
import io.sluice.api.SentResponse;
import io.sluice.policies.idempotency.IdempotencyPolicyFactory;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
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
 * The idempotency policy's cost per request with its local store: a first request (a new key:
 * fingerprint, claim, and keeping the 200-byte response when it is over) and a replay (the same key
 * and payload): {@code java -jar bench/jmh/target/benchmarks.jar Idempotency}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IdempotencyBenchmark {

  Vertx vertx;
  Policy policy;
  BenchExchange exchange;
  SentResponse response;
  long n;

  @Setup
  public void setup() {
    vertx = Vertx.vertx();
    policy =
        new IdempotencyPolicyFactory()
            .create(new JsonObject().put("maxSize", "256MiB"), new BenchContext(vertx));
    exchange = new BenchExchange();
    exchange.method = "POST";
    exchange.body = Buffer.buffer("{\"sku\":\"ABC-1234\",\"qty\":3,\"note\":\"ring twice\"}");
    exchange.headers.set("Idempotency-Key", "replayed-key");
    response =
        new SentResponse(
            201,
            MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/json")
                .add("Location", "/orders/42"),
            Buffer.buffer("{\"id\":42,\"status\":\"created\",\"total\":\"12.50\"}".repeat(4)),
            true);
    policy.onRequest(exchange);
    exchange.sent.handle(response);
    exchange.status = 0;
    policy.onRequest(exchange);
    if (exchange.status != 201) {
      throw new IllegalStateException("no replay: " + exchange.status);
    }
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  @Benchmark
  public Object replay() {
    exchange.status = 0;
    return policy.onRequest(exchange);
  }

  @Benchmark
  public Object firstRequest() {
    exchange.status = 0;
    exchange.headers.set("Idempotency-Key", "key-" + n++);
    policy.onRequest(exchange);
    exchange.sent.handle(response);
    return exchange;
  }
}
