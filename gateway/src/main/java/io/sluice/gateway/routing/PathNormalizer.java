package io.sluice.gateway.routing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Puts a request path in the form routes are matched against: dot segments removed (RFC 3986
 * 5.2.4), also when written as {@code %2e}, so that {@code /public/../admin} cannot reach a route
 * it does not name. A path that climbs above the root, or is not origin-form, is refused.
 */
public final class PathNormalizer {

  private PathNormalizer() {}

  /** The normalized path, or {@code null} when the path must be refused (400). */
  public static String normalize(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      return null;
    }
    if (!needsWork(path)) {
      return path;
    }
    String p = path.replace("%2e", ".").replace("%2E", ".");
    String[] parts = p.substring(1).split("/", -1);
    String[] out = new String[parts.length];
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String s = parts[i];
      boolean last = i == parts.length - 1;
      if (s.equals(".")) {
        if (last) {
          out[n++] = "";
        }
      } else if (s.equals("..")) {
        if (n == 0) {
          return null;
        }
        n--;
        if (last) {
          out[n++] = "";
        }
      } else {
        out[n++] = s;
      }
    }
    StringBuilder sb = new StringBuilder(p.length());
    for (int i = 0; i < n; i++) {
      sb.append('/').append(out[i]);
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  private static boolean needsWork(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.' || c == '%') {
        return path.contains("/.") || path.contains("/%2e") || path.contains("/%2E");
      }
    }
    return false;
  }

  /** Percent-decodes a path segment (UTF-8; '+' stays '+'). Malformed escapes are kept as is. */
  public static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int hi = c == '%' && i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
      if (lo >= 0) {
        bytes.write((hi << 4) | lo);
        i += 3;
        continue;
      }
      if (bytes.size() > 0) {
        sb.append(bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
      }
      sb.append(c);
      i++;
    }
    if (bytes.size() > 0) {
      sb.append(bytes.toString(StandardCharsets.UTF_8));
    }
    return sb.toString();
  }
}
