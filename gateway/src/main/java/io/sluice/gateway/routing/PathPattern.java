package io.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A route's path: exact ({@code /products}), template ({@code /orders/{id}}) or prefix ({@code
 * /static/**}, which matches {@code /static} and everything below it). A template variable spans
 * one whole segment; {@code **} may only be the last segment.
 */
public final class PathPattern {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  /** The kind of a pattern. */
  public enum Kind {
    EXACT,
    TEMPLATE,
    PREFIX
  }

  private final String text;
  private final Kind kind;
  private final List<String>
      segments; // for TEMPLATE/PREFIX: literal segments, or null for a variable
  private final List<String> variables;

  private PathPattern(String text, Kind kind, List<String> segments, List<String> variables) {
    this.text = text;
    this.kind = kind;
    this.segments = segments;
    this.variables = variables;
  }

  /** Parses a pattern; throws {@link IllegalArgumentException} saying what is wrong. */
  public static PathPattern parse(String text) {
    if (text.isEmpty() || text.charAt(0) != '/') {
      throw new IllegalArgumentException("must start with '/'");
    }
    if (text.contains("?") || text.contains("#")) {
      throw new IllegalArgumentException("must not contain a query or fragment");
    }
    String[] parts = text.substring(1).split("/", -1);
    List<String> segments = new ArrayList<>(parts.length);
    List<String> variables = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    boolean prefix = false;
    for (int i = 0; i < parts.length; i++) {
      String s = parts[i];
      if (s.equals("**")) {
        if (i != parts.length - 1) {
          throw new IllegalArgumentException("'**' may only be the last segment");
        }
        prefix = true;
        continue;
      }
      if (s.equals(".") || s.equals("..")) {
        throw new IllegalArgumentException("must not contain '.' or '..' segments");
      }
      if (s.startsWith("{") && s.endsWith("}")) {
        String name = s.substring(1, s.length() - 1);
        if (!NAME.matcher(name).matches()) {
          throw new IllegalArgumentException(
              "'" + s + "' is not a valid variable (expected: {name} with letters, digits, '_')");
        }
        if (!seen.add(name)) {
          throw new IllegalArgumentException("variable '" + name + "' appears twice");
        }
        variables.add(name);
        segments.add(null);
        continue;
      }
      if (s.indexOf('{') >= 0 || s.indexOf('}') >= 0 || s.indexOf('*') >= 0) {
        throw new IllegalArgumentException(
            "'" + s + "': a variable must be a whole segment ({id}) and '**' a whole last segment");
      }
      segments.add(s);
    }
    Kind kind = prefix ? Kind.PREFIX : variables.isEmpty() ? Kind.EXACT : Kind.TEMPLATE;
    return new PathPattern(text, kind, List.copyOf(nullSafe(segments)), List.copyOf(variables));
  }

  private static List<String> nullSafe(List<String> segments) {
    // List.copyOf refuses nulls: variables are stored as the marker below.
    List<String> out = new ArrayList<>(segments.size());
    for (String s : segments) {
      out.add(s == null ? VARIABLE : s);
    }
    return out;
  }

  /** Marker for a variable segment in {@link #segments()}. */
  static final String VARIABLE = "{}";

  public String text() {
    return text;
  }

  public Kind kind() {
    return kind;
  }

  /** Segments after the leading '/', without a trailing {@code **}; variables are {@code "{}"}. */
  List<String> segments() {
    return segments;
  }

  /** Variable names, in order. */
  public List<String> variables() {
    return variables;
  }

  /** The pattern with variable names erased: two routes with the same shape overlap. */
  String shape() {
    return "/" + String.join("/", segments) + (kind == Kind.PREFIX ? "/**" : "");
  }

  @Override
  public String toString() {
    return text;
  }
}
