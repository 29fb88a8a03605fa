package io.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The routes of one host: exact paths in a map, templates and prefixes in a segment trie. */
final class PathTable<T> {

  private final Map<String, Endpoint<T>> exact;
  private final Node<T> root;
  private final boolean hasTrie;

  private PathTable(Map<String, Endpoint<T>> exact, Node<T> root) {
    this.exact = exact;
    this.root = root;
    this.hasTrie = !root.isEmpty();
  }

  RouteMatch<T> match(String method, String path) {
    Set<String> allowed = null;
    Endpoint<T> e = exact.get(path);
    if (e != null) {
      Entry<T> r = e.select(method);
      if (r != null) {
        return RouteMatch.found(r.route, List.of(), NO_VALUES);
      }
      allowed = new TreeSet<>(e.allowed);
    }
    if (hasTrie) {
      Search<T> s = new Search<>(method, path);
      if (s.run(root, 1, 0)) {
        return RouteMatch.found(s.found.route, s.found.variables, s.values());
      }
      if (s.allowed != null) {
        allowed = allowed == null ? s.allowed : merge(allowed, s.allowed);
      }
    }
    return allowed == null ? RouteMatch.notFound() : RouteMatch.methodNotAllowed(allowed);
  }

  private static Set<String> merge(Set<String> a, Set<String> b) {
    a.addAll(b);
    return a;
  }

  private static final String[] NO_VALUES = new String[0];

  /** A depth-first walk of the trie: literal, then variable, then prefix, backtracking. */
  private static final class Search<T> {
    private final String method;
    private final String path;
    private String[] values = NO_VALUES;
    Entry<T> found;
    Set<String> allowed;

    Search(String method, String path) {
      this.method = method;
      this.path = path;
    }

    String[] values() {
      return values;
    }

    /** Matches path[from..] at node, having bound {@code bound} variables so far. */
    boolean run(Node<T> node, int from, int bound) {
      if (from > path.length()) {
        // The whole path is consumed.
        return accept(node.endpoint, bound) || accept(node.prefix, bound);
      }
      int end = path.indexOf('/', from);
      if (end < 0) {
        end = path.length();
      }
      if (node.statics != null) {
        Node<T> next = node.statics.get(path.substring(from, end));
        if (next != null && run(next, end + 1, bound)) {
          return true;
        }
      }
      if (node.variable != null && end > from) {
        if (run(node.variable, end + 1, bound + 1)) {
          bind(bound, from, end);
          return true;
        }
      }
      return accept(node.prefix, bound);
    }

    private void bind(int index, int from, int end) {
      if (values == NO_VALUES) {
        values = new String[Math.max(index + 1, 4)];
      } else if (index >= values.length) {
        values = java.util.Arrays.copyOf(values, Math.max(index + 1, values.length * 2));
      }
      values[index] = path.substring(from, end);
    }

    private boolean accept(Endpoint<T> e, int bound) {
      if (e == null) {
        return false;
      }
      Entry<T> r = e.select(method);
      if (r == null) {
        if (allowed == null) {
          allowed = new TreeSet<>();
        }
        allowed.addAll(e.allowed);
        return false;
      }
      found = r;
      if (bound > 0 && values == NO_VALUES) {
        values = new String[bound];
      }
      return true;
    }
  }

  /** One route at one path shape. */
  record Entry<T>(String id, T route, List<String> variables, Set<String> methods) {}

  /** The routes that share a path shape, told apart by method. */
  static final class Endpoint<T> {
    private final Map<String, Entry<T>> byMethod;
    private final Entry<T> anyMethod;
    final Set<String> allowed;

    Endpoint(List<Entry<T>> entries) {
      Map<String, Entry<T>> m = new HashMap<>();
      Entry<T> any = null;
      Set<String> allow = new TreeSet<>();
      for (Entry<T> e : entries) {
        if (e.methods.isEmpty()) {
          any = e;
          continue;
        }
        for (String method : e.methods) {
          m.put(method, e);
          allow.add(method);
        }
        if (e.methods.contains("GET") && !e.methods.contains("HEAD")) {
          m.putIfAbsent("HEAD", e);
          allow.add("HEAD");
        }
      }
      this.byMethod = Map.copyOf(m);
      this.anyMethod = any;
      this.allowed = Set.copyOf(allow);
    }

    Entry<T> select(String method) {
      Entry<T> e = byMethod.get(method);
      return e != null ? e : anyMethod;
    }
  }

  static final class Node<T> {
    Map<String, Node<T>> statics;
    Node<T> variable;
    Endpoint<T> endpoint;
    Endpoint<T> prefix;

    boolean isEmpty() {
      return statics == null && variable == null && endpoint == null && prefix == null;
    }
  }

  static final class Builder<T> {
    private final Map<String, List<Entry<T>>> byShape = new LinkedHashMap<>();
    private final Map<String, PathPattern> patterns = new HashMap<>();

    void checkFree(String id, PathPattern path, Set<String> methods) {
      List<Entry<T>> same = byShape.get(path.shape());
      if (same == null) {
        return;
      }
      for (Entry<T> other : same) {
        if (other.methods.isEmpty() || methods.isEmpty()) {
          throw new IllegalArgumentException(
              "overlaps route '"
                  + other.id
                  + "' (same host and path, and one of them allows any method)");
        }
        for (String m : methods) {
          if (other.methods.contains(m)) {
            throw new IllegalArgumentException(
                "overlaps route '" + other.id + "' (same host, path and method " + m + ")");
          }
        }
      }
    }

    void add(String id, PathPattern path, Set<String> methods, T route) {
      byShape
          .computeIfAbsent(path.shape(), k -> new ArrayList<>())
          .add(new Entry<>(id, route, path.variables(), Set.copyOf(methods)));
      patterns.putIfAbsent(path.shape(), path);
    }

    PathTable<T> build() {
      Map<String, Endpoint<T>> exact = new HashMap<>();
      Node<T> root = new Node<>();
      byShape.forEach(
          (shape, entries) -> {
            PathPattern p = patterns.get(shape);
            Endpoint<T> endpoint = new Endpoint<>(entries);
            if (p.kind() == PathPattern.Kind.EXACT) {
              exact.put(p.text(), endpoint);
              return;
            }
            Node<T> node = root;
            for (String seg : p.segments()) {
              if (seg.equals(PathPattern.VARIABLE)) {
                if (node.variable == null) {
                  node.variable = new Node<>();
                }
                node = node.variable;
              } else {
                if (node.statics == null) {
                  node.statics = new HashMap<>();
                }
                node = node.statics.computeIfAbsent(seg, k -> new Node<>());
              }
            }
            if (p.kind() == PathPattern.Kind.PREFIX) {
              node.prefix = endpoint;
            } else {
              node.endpoint = endpoint;
            }
          });
      return new PathTable<>(Map.copyOf(exact), root);
    }
  }
}
