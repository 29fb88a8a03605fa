package io.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An immutable table from (host, method, path) to a route, compiled once per config.
 *
 * <p>Exact paths sit in a hash map, templates and prefixes in a segment trie (a literal segment
 * beats a variable, which beats a prefix; a longer prefix beats a shorter one), and hosts in hash
 * maps: matching costs one map look-up per path segment and host label, whatever the number of
 * routes. Routes for a host ({@code api.example.com}, then {@code *.example.com}) are tried before
 * routes for any host. A route that lists {@code GET} also answers {@code HEAD}.
 *
 * @param <T> what a route leads to
 */
public final class RouteTable<T> {

  private final Map<String, PathTable<T>> exactHosts;
  private final Map<String, PathTable<T>> wildcardHosts;
  private final PathTable<T> anyHost;
  private final int size;

  private RouteTable(
      Map<String, PathTable<T>> exactHosts,
      Map<String, PathTable<T>> wildcardHosts,
      PathTable<T> anyHost,
      int size) {
    this.exactHosts = exactHosts;
    this.wildcardHosts = wildcardHosts;
    this.anyHost = anyHost;
    this.size = size;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  public int size() {
    return size;
  }

  /**
   * Finds the route for a request. {@code host} may carry a port and any case; {@code path} must
   * already be normalized (see {@link PathNormalizer}).
   */
  public RouteMatch<T> match(String host, String method, String path) {
    Set<String> allowed = null;
    if (host != null && !(exactHosts.isEmpty() && wildcardHosts.isEmpty())) {
      String h = hostOnly(host);
      PathTable<T> t = exactHosts.get(h);
      if (t != null) {
        RouteMatch<T> m = t.match(method, path);
        if (m.found()) {
          return m;
        }
        allowed = merge(allowed, m);
      }
      int dot = h.indexOf('.');
      while (dot >= 0 && !wildcardHosts.isEmpty()) {
        t = wildcardHosts.get(h.substring(dot + 1));
        if (t != null) {
          RouteMatch<T> m = t.match(method, path);
          if (m.found()) {
            return m;
          }
          allowed = merge(allowed, m);
        }
        dot = h.indexOf('.', dot + 1);
      }
    }
    RouteMatch<T> m = anyHost.match(method, path);
    if (m.found() || allowed == null) {
      return m;
    }
    allowed = merge(allowed, m);
    return allowed.isEmpty() ? RouteMatch.notFound() : RouteMatch.methodNotAllowed(allowed);
  }

  private static <T> Set<String> merge(Set<String> acc, RouteMatch<T> m) {
    if (m.allowedMethods().isEmpty()) {
      return acc == null ? new TreeSet<>() : acc;
    }
    Set<String> out = acc == null ? new TreeSet<>() : acc;
    out.addAll(m.allowedMethods());
    return out;
  }

  static String hostOnly(String host) {
    int end = host.length();
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      end = close < 0 ? end : close + 1;
    } else {
      int colon = host.indexOf(':');
      end = colon < 0 ? end : colon;
    }
    String h = host.substring(0, end);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    for (int i = 0; i < h.length(); i++) {
      if (Character.isUpperCase(h.charAt(i))) {
        return h.toLowerCase(Locale.ROOT);
      }
    }
    return h;
  }

  /** Collects routes, refusing overlaps, then compiles the table. */
  public static final class Builder<T> {
    private final Map<String, PathTable.Builder<T>> exactHosts = new HashMap<>();
    private final Map<String, PathTable.Builder<T>> wildcardHosts = new HashMap<>();
    private final PathTable.Builder<T> anyHost = new PathTable.Builder<>();
    private int size;

    /**
     * Adds a route. {@code methods} empty means any method; {@code hosts} empty means any host.
     *
     * @throws IllegalArgumentException when the route overlaps one added before (same host, same
     *     path shape, a common method), naming that route
     */
    public Builder<T> add(
        String id, PathPattern path, Set<String> methods, List<String> hosts, T route) {
      // Check every host first so that a refused route leaves the builder unchanged.
      List<PathTable.Builder<T>> tables = new ArrayList<>();
      if (hosts.isEmpty()) {
        tables.add(anyHost);
      }
      for (String host : hosts) {
        String h = host.toLowerCase(Locale.ROOT);
        tables.add(
            h.startsWith("*.")
                ? wildcardHosts.computeIfAbsent(h.substring(2), k -> new PathTable.Builder<>())
                : exactHosts.computeIfAbsent(h, k -> new PathTable.Builder<>()));
      }
      for (PathTable.Builder<T> t : tables) {
        t.checkFree(id, path, methods);
      }
      for (PathTable.Builder<T> t : tables) {
        t.add(id, path, methods, route);
      }
      size++;
      return this;
    }

    public RouteTable<T> build() {
      Map<String, PathTable<T>> exact = new HashMap<>();
      exactHosts.forEach((k, v) -> exact.put(k, v.build()));
      Map<String, PathTable<T>> wild = new HashMap<>();
      wildcardHosts.forEach((k, v) -> wild.put(k, v.build()));
      return new RouteTable<>(Map.copyOf(exact), Map.copyOf(wild), anyHost.build(), size);
    }
  }
}
