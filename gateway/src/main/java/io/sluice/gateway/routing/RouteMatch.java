package io.sluice.gateway.routing;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The outcome of {@link RouteTable#match}: a route (with its path variables), or why there is none.
 *
 * @param <T> what the table routes to
 */
public final class RouteMatch<T> {

  private static final String[] NO_VALUES = new String[0];
  private static final RouteMatch<?> NOT_FOUND = new RouteMatch<>(null, null, NO_VALUES, Set.of());

  private final T route;
  private final List<String> names;
  private final String[] values;
  private final Set<String> allowed;

  RouteMatch(T route, List<String> names, String[] values, Set<String> allowed) {
    this.route = route;
    this.names = names;
    this.values = values;
    this.allowed = allowed;
  }

  @SuppressWarnings("unchecked")
  static <T> RouteMatch<T> notFound() {
    return (RouteMatch<T>) NOT_FOUND;
  }

  static <T> RouteMatch<T> methodNotAllowed(Set<String> allowed) {
    return new RouteMatch<>(null, null, NO_VALUES, Collections.unmodifiableSet(allowed));
  }

  static <T> RouteMatch<T> found(T route, List<String> names, String[] values) {
    return new RouteMatch<>(route, names, values, Set.of());
  }

  /** The route, or {@code null} when nothing matched. */
  public T route() {
    return route;
  }

  public boolean found() {
    return route != null;
  }

  /** When the path matched but the method did not: the methods that would have (non-empty). */
  public Set<String> allowedMethods() {
    return allowed;
  }

  /** A path variable, percent-decoded, or {@code null}. */
  public String param(String name) {
    if (names == null) {
      return null;
    }
    int i = names.indexOf(name);
    return i < 0 ? null : PathNormalizer.decode(values[i]);
  }

  /** Every path variable, percent-decoded, in the order of the pattern. */
  public Map<String, String> params() {
    if (names == null || names.isEmpty()) {
      return Map.of();
    }
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      m.put(names.get(i), PathNormalizer.decode(values[i]));
    }
    return Collections.unmodifiableMap(m);
  }
}
