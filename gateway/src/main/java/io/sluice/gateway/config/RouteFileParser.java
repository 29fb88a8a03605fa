package io.sluice.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads a YAML route file (YAML 1.2 core schema, so {@code no} stays a string) into a {@link
 * SourceDocument}: a JSON tree plus the line and column of every key and value, with placeholders
 * substituted in scalar values.
 *
 * <p>A scalar that was exactly one plain placeholder ({@code port: ${env:PORT:-8080}}) takes the
 * type its substituted text has in YAML (here an integer); anything else stays a string. Duplicate
 * keys, non-scalar keys, several documents and runaway alias expansion are errors.
 */
public final class RouteFileParser {

  private static final int MAX_DEPTH = 64;
  private static final int MAX_NODES = 1_000_000;
  private static final int MAX_CODE_POINTS = 16 * 1024 * 1024;

  private final Function<String, String> env;

  public RouteFileParser(Function<String, String> env) {
    this.env = env;
  }

  /** Parses {@code text}; {@code fileName} is used in messages, {@code baseDir} for ${file:..}. */
  public SourceDocument parse(String fileName, Path baseDir, String text) throws ConfigException {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(fileName)
            .setSchema(new CoreSchema())
            .setAllowDuplicateKeys(true) // detected below, with both locations
            .setAllowRecursiveKeys(false)
            .setMaxAliasesForCollections(50)
            .setCodePointLimit(MAX_CODE_POINTS)
            .build();
    if (PlaceholderMask.hasMaskCharacters(text)) {
      throw new ConfigException(
          List.of(
              new ConfigError(
                  fileName,
                  0,
                  0,
                  "",
                  "the file contains characters U+E000 to U+E004, which Sluice reserves")));
    }
    text = PlaceholderMask.mask(text);
    Builder b = new Builder(fileName, new Substitutor(env, baseDir), settings);
    JsonNode root;
    try {
      Iterator<Node> docs = new Compose(settings).composeAllFromString(text).iterator();
      if (!docs.hasNext()) {
        throw new ConfigException(
            List.of(new ConfigError(fileName, 0, 0, "", "the file is empty")));
      }
      Node first = docs.next();
      if (docs.hasNext()) {
        Node second = docs.next();
        int[] pos = b.pos(second.getStartMark());
        throw new ConfigException(
            List.of(
                new ConfigError(
                    fileName,
                    pos[0],
                    pos[1],
                    "",
                    "a route file holds one YAML document, not several")));
      }
      root = b.convert(first, "", "", 0);
    } catch (MarkedYamlEngineException e) {
      int[] pos = b.pos(e.getProblemMark());
      String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
      throw new ConfigException(
          List.of(new ConfigError(fileName, pos[0], pos[1], "", "invalid YAML: " + problem)));
    } catch (YamlEngineException e) {
      throw new ConfigException(
          List.of(new ConfigError(fileName, 0, 0, "", "invalid YAML: " + e.getMessage())));
    }
    if (!b.errors.isEmpty()) {
      b.errors.sort(null);
      throw new ConfigException(b.errors);
    }
    return new SourceDocument(fileName, baseDir, root, b.positions, b.substituted);
  }

  private static final class Builder {
    private final String fileName;
    private final Substitutor substitutor;
    private final ScalarResolver resolver;
    final Map<String, int[]> positions = new HashMap<>();
    final Set<String> substituted = new HashSet<>();
    final List<ConfigError> errors = new ArrayList<>();
    private int nodes;

    Builder(String fileName, Substitutor substitutor, LoadSettings settings) {
      this.fileName = fileName;
      this.substitutor = substitutor;
      this.resolver = settings.getSchema().getScalarResolver();
    }

    int[] pos(Optional<Mark> mark) {
      return mark.map(m -> new int[] {m.getLine() + 1, m.getColumn() + 1}).orElse(new int[] {0, 0});
    }

    private void error(Optional<Mark> mark, String path, String message) {
      int[] p = pos(mark);
      errors.add(new ConfigError(fileName, p[0], p[1], path, message));
    }

    JsonNode convert(Node node, String pointer, String path, int depth) {
      if (++nodes > MAX_NODES || depth > MAX_DEPTH) {
        throw new YamlEngineException(
            "the document is too large or too deeply nested (aliases that expand without bound?)");
      }
      positions.put(pointer, pos(node.getStartMark()));
      if (node instanceof MappingNode map) {
        ObjectNode obj = JsonNodeFactory.instance.objectNode();
        Map<String, int[]> seen = new HashMap<>();
        for (NodeTuple t : map.getValue()) {
          if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
            error(t.getKeyNode().getStartMark(), path, "mapping keys must be plain strings");
            continue;
          }
          String key = PlaceholderMask.unmask(keyNode.getValue());
          String child = SourceDocument.child(pointer, key);
          String childPath = path.isEmpty() ? key : path + "." + key;
          int[] keyPos = pos(keyNode.getStartMark());
          int[] first = seen.putIfAbsent(key, keyPos);
          if (first != null) {
            errors.add(
                new ConfigError(
                    fileName,
                    keyPos[0],
                    keyPos[1],
                    childPath,
                    "duplicate key '" + key + "' (first at line " + first[0] + ")"));
            continue;
          }
          positions.put(child + SourceDocument.KEY_SUFFIX, keyPos);
          obj.set(key, convert(t.getValueNode(), child, childPath, depth + 1));
        }
        return obj;
      }
      if (node instanceof SequenceNode seq) {
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        int i = 0;
        for (Node item : seq.getValue()) {
          arr.add(convert(item, SourceDocument.child(pointer, i), path + "[" + i + "]", depth + 1));
          i++;
        }
        return arr;
      }
      ScalarNode scalar = (ScalarNode) node;
      Tag tag = scalar.getTag();
      String text = PlaceholderMask.unmask(scalar.getValue());
      if (Tag.STR.equals(tag) || scalar.isPlain()) {
        List<String> problems = new ArrayList<>(1);
        Substitutor.Result r = substitutor.substitute(text, problems);
        for (String p : problems) {
          error(node.getStartMark(), path, p);
        }
        if (r.substituted()) {
          substituted.add(pointer);
          tag = r.whole() && scalar.isPlain() ? resolver.resolve(r.value(), true) : Tag.STR;
        }
        text = r.value();
      }
      return scalarNode(tag, text);
    }

    private static JsonNode scalarNode(Tag tag, String text) {
      JsonNodeFactory f = JsonNodeFactory.instance;
      try {
        if (Tag.NULL.equals(tag)) {
          return f.nullNode();
        }
        if (Tag.BOOL.equals(tag)) {
          return f.booleanNode(Boolean.parseBoolean(text.toLowerCase()));
        }
        if (Tag.INT.equals(tag)) {
          BigInteger v = parseInt(text);
          return v.bitLength() < 64 ? f.numberNode(v.longValue()) : f.numberNode(v);
        }
        if (Tag.FLOAT.equals(tag)) {
          String t = text.toLowerCase();
          if (t.contains("inf") || t.contains("nan")) {
            return f.textNode(text);
          }
          return f.numberNode(new BigDecimal(text));
        }
      } catch (NumberFormatException e) {
        return f.textNode(text);
      }
      return f.textNode(text);
    }

    private static BigInteger parseInt(String text) {
      String t = text.startsWith("+") ? text.substring(1) : text;
      if (t.startsWith("0x")) {
        return new BigInteger(t.substring(2), 16);
      }
      if (t.startsWith("0o")) {
        return new BigInteger(t.substring(2), 8);
      }
      return new BigInteger(t);
    }
  }
}
