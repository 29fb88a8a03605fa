package io.sluice.bench;

import io.sluice.gateway.routing.PathPattern;
import io.sluice.gateway.routing.RouteMatch;
import io.sluice.gateway.routing.RouteTable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Route matching cost by kind of route and by table size: {@code java -jar
 * bench/jmh/target/benchmarks.jar RouteTable}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouteTableBenchmark {

  @Param({"10", "10000"})
  int services;

  RouteTable<String> table;

  @Setup
  public void setup() {
    RouteTable.Builder<String> b = RouteTable.builder();
    for (int i = 0; i < services; i++) {
      b.add(
          "list" + i, PathPattern.parse("/svc" + i + "/items"), Set.of("GET"), List.of(), "l" + i);
      b.add(
          "get" + i,
          PathPattern.parse("/svc" + i + "/items/{id}"),
          Set.of("GET"),
          List.of(),
          "g" + i);
      b.add(
          "static" + i,
          PathPattern.parse("/svc" + i + "/static/**"),
          Set.of("GET"),
          List.of(),
          "s" + i);
    }
    table = b.build();
  }

  @Benchmark
  public RouteMatch<String> exact() {
    return table.match("api.example.com", "GET", "/svc7/items");
  }

  @Benchmark
  public RouteMatch<String> template() {
    return table.match("api.example.com", "GET", "/svc7/items/12345");
  }

  @Benchmark
  public RouteMatch<String> prefix() {
    return table.match("api.example.com", "GET", "/svc7/static/css/app.css");
  }

  @Benchmark
  public RouteMatch<String> miss() {
    return table.match("api.example.com", "GET", "/nothing/here");
  }
}
