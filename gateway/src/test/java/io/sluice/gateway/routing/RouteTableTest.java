package io.sluice.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  private static RouteTable.Builder<String> table() {
    return RouteTable.builder();
  }

  private static RouteTable.Builder<String> add(
      RouteTable.Builder<String> b, String id, String path, String... methods) {
    return b.add(id, PathPattern.parse(path), Set.of(methods), List.of(), id);
  }

  @Test
  void matchesExactTemplateAndPrefixWithPriorities() {
    RouteTable<String> t =
        add(
                add(
                    add(
                        add(add(table(), "new", "/orders/new"), "one", "/orders/{id}"),
                        "items",
                        "/orders/{id}/items/{item}"),
                    "all",
                    "/**"),
                "static",
                "/static/**")
            .build();
    assertThat(t.match(null, "GET", "/orders/new").route()).isEqualTo("new");
    RouteMatch<String> one = t.match(null, "GET", "/orders/a%20b");
    assertThat(one.route()).isEqualTo("one");
    assertThat(one.param("id")).isEqualTo("a b");
    RouteMatch<String> items = t.match(null, "GET", "/orders/7/items/9");
    assertThat(items.params())
        .containsExactly(java.util.Map.entry("id", "7"), java.util.Map.entry("item", "9"));
    assertThat(t.match(null, "GET", "/static/x/y").route()).isEqualTo("static");
    assertThat(t.match(null, "GET", "/anything/else").route()).isEqualTo("all");
    assertThat(t.match(null, "GET", "/").route()).isEqualTo("all");
  }

  @Test
  void backtracksFromALiteralDeadEndToAVariable() {
    RouteTable<String> t = add(add(table(), "lit", "/a/b/c"), "var", "/a/{x}/d").build();
    assertThat(t.match(null, "GET", "/a/b/d").route()).isEqualTo("var");
    assertThat(t.match(null, "GET", "/a/b/d").param("x")).isEqualTo("b");
  }

  @Test
  void reportsAllowedMethodsWhenOnlyTheMethodDiffers() {
    RouteTable<String> t =
        add(add(table(), "get", "/x/{id}", "GET"), "put", "/x/{id}", "PUT").build();
    RouteMatch<String> m = t.match(null, "DELETE", "/x/1");
    assertThat(m.found()).isFalse();
    assertThat(m.allowedMethods()).containsExactly("GET", "HEAD", "PUT");
    assertThat(t.match(null, "GET", "/y").allowedMethods()).isEmpty();
  }

  @Test
  void aMethodMismatchOnAnExactPathFallsThroughToATemplate() {
    RouteTable<String> t =
        add(add(table(), "new", "/orders/new", "GET"), "del", "/orders/{id}", "DELETE").build();
    assertThat(t.match(null, "DELETE", "/orders/new").route()).isEqualTo("del");
  }

  @Test
  void hostsAreMatchedExactThenWildcardThenAny() {
    RouteTable.Builder<String> b = table();
    b.add("exact", PathPattern.parse("/"), Set.of(), List.of("api.example.com"), "exact");
    b.add("wild", PathPattern.parse("/"), Set.of(), List.of("*.example.com"), "wild");
    b.add("any", PathPattern.parse("/"), Set.of(), List.of(), "any");
    RouteTable<String> t = b.build();
    assertThat(t.match("api.example.com:443", "GET", "/").route()).isEqualTo("exact");
    assertThat(t.match("Www.Example.com.", "GET", "/").route()).isEqualTo("wild");
    assertThat(t.match("example.com", "GET", "/").route()).isEqualTo("any");
    assertThat(t.match("[::1]:8080", "GET", "/").route()).isEqualTo("any");
    assertThat(t.match(null, "GET", "/").route()).isEqualTo("any");
  }

  @Test
  void refusesOverlappingRoutes() {
    RouteTable.Builder<String> b = add(table(), "a", "/o/{id}", "GET");
    assertThatThrownBy(() -> add(b, "b", "/o/{other}", "POST", "GET"))
        .hasMessage("overlaps route 'a' (same host, path and method GET)");
    assertThatThrownBy(() -> add(b, "c", "/o/{x}")).hasMessageContaining("overlaps route 'a'");
  }

  @Test
  void matchingCostDoesNotGrowWithTheNumberOfRoutes() {
    RouteTable<String> small = build(10);
    RouteTable<String> large = build(10_000);
    assertThat(large.size()).isEqualTo(30_000);
    // Same look-ups in both; warm up, then compare the best of several timed rounds.
    String[] paths = {"/svc5/items", "/svc7/items/42", "/svc3/static/a/b.css", "/nope/x"};
    long smallNs = bestNanos(small, paths);
    long largeNs = bestNanos(large, paths);
    assertThat(large.match(null, "GET", "/svc9999/items/1").param("id")).isEqualTo("1");
    // Hash look-ups per segment: allow generous noise, but not the 1000x a linear scan would cost.
    assertThat(largeNs).isLessThan(smallNs * 5 + 50_000_000L);
  }

  private static RouteTable<String> build(int services) {
    RouteTable.Builder<String> b = table();
    for (int i = 0; i < services; i++) {
      add(b, "list" + i, "/svc" + i + "/items", "GET");
      add(b, "get" + i, "/svc" + i + "/items/{id}", "GET");
      add(b, "static" + i, "/svc" + i + "/static/**", "GET");
    }
    return b.build();
  }

  private static long bestNanos(RouteTable<String> t, String[] paths) {
    long best = Long.MAX_VALUE;
    int sink = 0;
    for (int round = 0; round < 15; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < 20_000; i++) {
        RouteMatch<String> m = t.match(null, "GET", paths[i & 3]);
        sink += m.found() ? 1 : 0;
      }
      best = Math.min(best, System.nanoTime() - start);
    }
    assertThat(sink).isPositive();
    return best;
  }
}
