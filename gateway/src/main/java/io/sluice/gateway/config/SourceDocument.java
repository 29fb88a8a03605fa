package io.sluice.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A parsed route file: a JSON tree (what the schema and the binder see) plus, for every value and
 * every mapping key, where it stood in the file.
 *
 * <p>Locations are keyed by JSON pointer ({@code /routes/2/match/path}). Keys are located under the
 * pointer of their value with {@link #KEY_SUFFIX} appended.
 */
public final class SourceDocument {

  static final String KEY_SUFFIX = "#key";

  private final String fileName;
  private final Path baseDir;
  private final JsonNode root;
  private final Map<String, int[]> positions;
  private final Set<String> substituted;

  SourceDocument(
      String fileName,
      Path baseDir,
      JsonNode root,
      Map<String, int[]> positions,
      Set<String> substituted) {
    this.fileName = fileName;
    this.baseDir = baseDir;
    this.root = root;
    this.positions = Map.copyOf(positions);
    this.substituted = Set.copyOf(substituted);
  }

  public String fileName() {
    return fileName;
  }

  /** The directory relative paths in the file are resolved against. */
  public Path baseDir() {
    return baseDir;
  }

  public JsonNode root() {
    return root;
  }

  /**
   * Whether the value at this pointer, or any value below it, came from {@code ${env:..}} or {@code
   * ${file:..}}: such values may be secrets and are never printed.
   */
  public boolean isSubstituted(String pointer) {
    if (substituted.contains(pointer)) {
      return true;
    }
    String prefix = pointer + "/";
    for (String s : substituted) {
      if (s.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** An error located at the value the pointer names (or its nearest located parent). */
  public ConfigError error(String pointer, String message) {
    return at(pointer, pointer, message);
  }

  /** An error located at the key of the value the pointer names. */
  public ConfigError keyError(String pointer, String message) {
    return at(pointer + KEY_SUFFIX, pointer, message);
  }

  private ConfigError at(String locationKey, String pointer, String message) {
    int[] pos = positions.get(locationKey);
    String p = pointer;
    while (pos == null && !p.isEmpty()) {
      p = p.substring(0, p.lastIndexOf('/'));
      pos = positions.get(p);
    }
    int line = pos == null ? 0 : pos[0];
    int column = pos == null ? 0 : pos[1];
    return new ConfigError(fileName, line, column, displayPath(pointer), message);
  }

  /** {@code /routes/2/match/path} as {@code routes[2].match.path}. */
  public String displayPath(String pointer) {
    if (pointer.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    JsonNode node = root;
    for (String raw : pointer.substring(1).split("/", -1)) {
      String segment = raw.replace("~1", "/").replace("~0", "~");
      if (node != null && node.isArray()) {
        sb.append('[').append(segment).append(']');
        node = node.path(Integer.parseInt(segment));
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(segment);
        node = node == null ? null : node.get(segment);
      }
    }
    return sb.toString();
  }

  /** Appends an escaped segment to a JSON pointer. */
  static String child(String pointer, String key) {
    return pointer + "/" + key.replace("~", "~0").replace("/", "~1");
  }

  static String child(String pointer, int index) {
    return pointer + "/" + index;
  }
}
