package io.sluice.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A JSON Schema (draft 2020-12) applied to a {@link SourceDocument}, with each violation turned
 * into a {@link ConfigError} at the right line and column. Used for the route file and, with a base
 * pointer, for a piece of it (a policy's config).
 */
public final class SchemaCheck {

  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder().errorMessageKeyword("message").build();

  private final JsonNode schemaJson;
  private final JsonSchema schema;

  private SchemaCheck(JsonNode schemaJson) {
    this.schemaJson = schemaJson;
    this.schema = FACTORY.getSchema(schemaJson, CONFIG);
  }

  /** Compiles a schema; throws {@link IllegalArgumentException} when it is not valid JSON. */
  public static SchemaCheck of(String schemaJson) {
    try {
      return new SchemaCheck(new ObjectMapper().readTree(schemaJson));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON schema: " + e.getMessage(), e);
    }
  }

  /** The route file's schema, the one in routes/schema/sluice-routes.schema.json. */
  public static SchemaCheck routeFile() {
    return RouteFileSchema.INSTANCE;
  }

  private static final class RouteFileSchema {
    static final SchemaCheck INSTANCE = load();

    private static SchemaCheck load() {
      try (InputStream in = SchemaCheck.class.getResourceAsStream("sluice-routes.schema.json")) {
        Objects.requireNonNull(in, "sluice-routes.schema.json is missing from the class path");
        return new SchemaCheck(new ObjectMapper().readTree(in));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Validates the value found at {@code basePointer} in the document; errors are added to {@code
   * errors}, located in the document.
   */
  public void check(SourceDocument doc, String basePointer, List<ConfigError> errors) {
    JsonNode node = basePointer.isEmpty() ? doc.root() : doc.root().at(basePointer);
    TreeSet<ConfigError> found = new TreeSet<>();
    for (ValidationMessage m : schema.validate(node)) {
      found.add(toError(doc, basePointer, m));
    }
    errors.addAll(found);
  }

  private ConfigError toError(SourceDocument doc, String base, ValidationMessage m) {
    String pointer = base + pointer(m.getInstanceLocation());
    String type = m.getType();
    if ("additionalProperties".equals(type) || "unevaluatedProperties".equals(type)) {
      String key = m.getProperty();
      List<String> allowed = allowedKeys(m);
      String expected =
          allowed.isEmpty() ? "" : " (expected one of: " + String.join(", ", allowed) + ")";
      return doc.keyError(
          SourceDocument.child(pointer, key), "unknown key '" + key + "'" + expected);
    }
    if ("required".equals(type)) {
      return doc.error(pointer, "missing required key '" + m.getProperty() + "'");
    }
    String text = m.getMessage();
    String prefix = m.getInstanceLocation().toString() + ": ";
    if (text.startsWith(prefix)) {
      text = text.substring(prefix.length());
    }
    text = text.replace("does not have a value in the enumeration", "expected one of");
    return doc.error(pointer, text);
  }

  private List<String> allowedKeys(ValidationMessage m) {
    JsonNodePath fragment = m.getSchemaLocation().getFragment();
    if (fragment == null) {
      return List.of();
    }
    JsonNode parent = schemaJson.at(pointer(fragment.getParent()));
    List<String> keys = new ArrayList<>();
    Iterator<String> names = parent.path("properties").fieldNames();
    names.forEachRemaining(keys::add);
    keys.sort(null);
    return keys;
  }

  private static String pointer(JsonNodePath path) {
    if (path == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object e = path.getElement(i);
      String s = String.valueOf(e);
      sb.append('/').append(s.replace("~", "~0").replace("/", "~1"));
    }
    return sb.toString();
  }
}
