package io.sluice.policies.validate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The compiled checks of one {@code validate} policy: JSON Schemas (draft 2020-12, networknt
 * json-schema-validator) for the body, the query and the path variables. Immutable and shared by
 * the event loops; a check allocates only what it reports.
 */
final class RequestValidator {

  /** One failing field: where ({@code body}, {@code query}, {@code path}, {@code header}). */
  record Violation(String in, String pointer, String message) {}

  /** The body is not JSON, or is nested deeper than allowed. */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  private static final java.util.regex.Pattern INTEGER =
      java.util.regex.Pattern.compile("-?[0-9]{1,64}");

  /** At most this many violations are reported (the first ones). */
  static final int MAX_VIOLATIONS = 50;

  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER).failFast(false).build();
  private static final JsonSchema META =
      FACTORY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"), CONFIG);

  private final Part body;
  private final Part query;
  private final Part path;
  private final ObjectMapper mapper;

  /** A compiled schema and, for parameters, the declared type of each property. */
  private record Part(JsonSchema schema, JsonNode source) {}

  RequestValidator(JsonNode body, JsonNode query, JsonNode path, int maxDepth) {
    this.body = compile(body, "body");
    this.query = compile(query, "query");
    this.path = compile(path, "path");
    this.mapper =
        new ObjectMapper(
            JsonFactory.builder()
                .streamReadConstraints(
                    StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        .maxStringLength(StreamReadConstraints.DEFAULT_MAX_STRING_LEN)
                        .build())
                .build());
  }

  /** Compiles a schema after checking it against the 2020-12 meta-schema; null for none. */
  private static Part compile(JsonNode schema, String what) {
    if (schema == null) {
      return null;
    }
    Set<ValidationMessage> wrong = META.validate(schema);
    if (!wrong.isEmpty()) {
      ValidationMessage first = wrong.iterator().next();
      throw new IllegalArgumentException(
          "the "
              + what
              + " schema is not a valid JSON Schema (2020-12): "
              + first
                  .getMessage()
                  .replace("does not have a value in the enumeration", "expected one of"));
    }
    try {
      return new Part(FACTORY.getSchema(schema, CONFIG), schema);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "the " + what + " schema cannot be compiled: " + e.getMessage(), e);
    }
  }

  boolean checksBody() {
    return body != null;
  }

  boolean checksQuery() {
    return query != null;
  }

  boolean checksPath() {
    return path != null;
  }

  /** Checks a JSON body; throws {@link Malformed} when it is not JSON or too deeply nested. */
  void body(byte[] bytes, List<Violation> out) throws Malformed {
    if (body == null) {
      return;
    }
    if (bytes.length == 0) {
      out.add(new Violation("body", "", "a JSON body is required"));
      return;
    }
    JsonNode doc;
    try (JsonParser p = mapper.createParser(bytes)) {
      doc = mapper.readTree(p);
      if (p.nextToken() != null) {
        throw new Malformed("the body holds more than one JSON value");
      }
    } catch (StreamConstraintsException e) {
      throw new Malformed("the body is nested too deeply or holds too large a value");
    } catch (JsonProcessingException e) {
      throw new Malformed("the body is not valid JSON");
    } catch (IOException e) {
      throw new Malformed("the body cannot be read");
    }
    if (doc == null) {
      throw new Malformed("the body is not valid JSON");
    }
    check(body, doc, "body", out);
  }

  /** Checks the query parameters, coerced to the types the schema declares. */
  void query(Map<String, List<String>> params, List<Violation> out) {
    if (query != null) {
      check(query, coerce(params, query.source()), "query", out);
    }
  }

  /** Checks the route's path variables, coerced like the query. */
  void path(Map<String, List<String>> params, List<Violation> out) {
    if (path != null) {
      check(path, coerce(params, path.source()), "path", out);
    }
  }

  private static void check(Part part, JsonNode doc, String in, List<Violation> out) {
    for (ValidationMessage m : part.schema().validate(doc)) {
      if (out.size() >= MAX_VIOLATIONS) {
        return;
      }
      String pointer = m.getInstanceLocation().toString();
      if ("required".equals(m.getType()) && m.getProperty() != null) {
        pointer = pointer + "/" + m.getProperty().replace("~", "~0").replace("/", "~1");
        out.add(new Violation(in, pointer, "is required"));
        continue;
      }
      if ("additionalProperties".equals(m.getType()) && m.getProperty() != null) {
        pointer = pointer + "/" + m.getProperty().replace("~", "~0").replace("/", "~1");
        out.add(new Violation(in, pointer, "is not allowed"));
        continue;
      }
      String text = m.getMessage();
      String prefix = m.getInstanceLocation().toString() + ": ";
      if (text.startsWith(prefix)) {
        text = text.substring(prefix.length());
      } else if (text.startsWith(": ")) {
        text = text.substring(2);
      }
      out.add(new Violation(in, pointer, text));
    }
  }

  /**
   * Parameters as a JSON object: a value becomes the integer, number or boolean its property
   * declares when it reads as one (else it stays a string and the schema says what is wrong); a
   * property declared {@code array} gets every value, coerced by its {@code items}; a repeated
   * parameter of any other property is an array, which its type check refuses.
   */
  static ObjectNode coerce(Map<String, List<String>> params, JsonNode schema) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    JsonNode properties = schema.path("properties");
    for (Map.Entry<String, List<String>> e : params.entrySet()) {
      JsonNode declared = properties.path(e.getKey());
      List<String> values = e.getValue();
      if (declares(declared, "array")) {
        ArrayNode a = out.putArray(e.getKey());
        for (String v : values) {
          a.add(scalar(v, declared.path("items")));
        }
      } else if (values.size() == 1) {
        out.set(e.getKey(), scalar(values.get(0), declared));
      } else {
        ArrayNode a = out.putArray(e.getKey());
        values.forEach(a::add);
      }
    }
    return out;
  }

  private static JsonNode scalar(String v, JsonNode declared) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    try {
      // Plain digits only, and not too many: "1e999999999" would expand into a huge integer.
      if (declares(declared, "integer") && INTEGER.matcher(v).matches()) {
        return v.length() < 19
            ? f.numberNode(Long.parseLong(v))
            : f.numberNode(new java.math.BigInteger(v));
      }
      if (declares(declared, "number") && v.length() <= 64) {
        return f.numberNode(new BigDecimal(v));
      }
    } catch (NumberFormatException | ArithmeticException e) {
      return f.textNode(v);
    }
    if (declares(declared, "boolean") && (v.equals("true") || v.equals("false"))) {
      return f.booleanNode(v.equals("true"));
    }
    return f.textNode(v);
  }

  private static boolean declares(JsonNode property, String type) {
    JsonNode t = property.path("type");
    if (t.isTextual()) {
      return t.asText().equals(type);
    }
    if (t.isArray()) {
      for (JsonNode x : t) {
        if (x.asText().equals(type)) {
          return true;
        }
      }
    }
    return false;
  }

  /** For tests: a parameters map from name=value pairs. */
  static Map<String, List<String>> params(String... pairs) {
    Map<String, List<String>> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.computeIfAbsent(pairs[i], k -> new ArrayList<>()).add(pairs[i + 1]);
    }
    return m;
  }
}
