package io.sluice.bench;

import io.sluice.api.Policy;
import io.sluice.api.SentResponse;
import io.sluice.policies.cache.CachePolicyFactory;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
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
 * The cache policy's hit path: key (host, path, sorted query, one vary header), lookup, and the
 * stored 1 KB response copied into the answer with Age and X-Cache: {@code java -jar
 * bench/jmh/target/benchmarks.jar Cache}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CacheBenchmark {

  Vertx vertx;
  Policy policy;
  BenchExchange exchange;

  @Setup
  public void setup() {
    vertx = Vertx.vertx();
    policy =
        new CachePolicyFactory()
            .create(
                new JsonObject().put("ttl", "1h").put("vary", new JsonArray().add("Accept")),
                new BenchContext(vertx));
    exchange = new BenchExchange();
    exchange.rawQuery = "page=2&size=20";
    policy.onRequest(exchange);
    exchange.sent.handle(
        new SentResponse(
            200,
            MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/json")
                .add("ETag", "\"v1\""),
            Buffer.buffer("x".repeat(1024)),
            true));
    exchange.status = 0;
    policy.onRequest(exchange);
    if (exchange.status != 200) {
      throw new IllegalStateException("no hit: " + exchange.status);
    }
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  @Benchmark
  public Object hit() {
    exchange.status = 0;
    return policy.onRequest(exchange);
  }
}
