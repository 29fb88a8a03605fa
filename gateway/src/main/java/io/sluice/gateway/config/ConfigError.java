package io.sluice.gateway.config;

/**
 * One problem found in a route file, located by file, line, column and path.
 *
 * <p>Printed as {@code routes.yaml:14:9 routes[2].match.path: must start with '/'}.
 *
 * @param file the file's name as given
 * @param line 1-based line, or 0 when unknown
 * @param column 1-based column, or 0 when unknown
 * @param path the path of the offending value, e.g. {@code routes[2].match.path}; empty for the
 *     document itself
 * @param message what is wrong and what was expected; never a secret's value
 */
public record ConfigError(String file, int line, int column, String path, String message)
    implements Comparable<ConfigError> {

  @Override
  public int compareTo(ConfigError o) {
    int c = Integer.compare(line, o.line);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(column, o.column);
    return c != 0 ? c : path.compareTo(o.path);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line).append(':').append(column);
    }
    sb.append(' ');
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(message).toString();
  }
}
