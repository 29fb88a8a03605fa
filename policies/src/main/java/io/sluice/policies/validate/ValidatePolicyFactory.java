package io.sluice.policies.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.policies.RouteCounter;
import io.sluice.policies.Schemas;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code validate}: refuses a request that does not match the route's contract before any backend
 * is called (and paid for).
 *
 * <pre>{@code
 * - validate:
 *     body: { schema: schemas/order.json }      # a file next to the route file, or inline
 *     query: { schema: { type: object, properties: { limit: { type: integer, maximum: 100 } } } }
 *     path: { schema: { type: object, properties: { id: { type: integer } } } }
 *     headers: { required: [ X-Tenant-Id ] }
 *     contentTypes: [ application/json ]
 * }</pre>
 *
 * <p>A body of another media type: 415. Not JSON, or nested deeper than {@code maxDepth}: 400
 * {@code malformed-body}. Anything else that fails: 400 {@code invalid-request} with {@code
 * errors}, one {@code {in, pointer, message}} per failing field. Schemas are checked against the
 * 2020-12 meta-schema and compiled when the config loads.
 */
public final class ValidatePolicyFactory implements PolicyFactory {

  static final Problem INVALID =
      Problem.of(400, "invalid-request", "Bad Request", "The request does not match the API.");
  static final Problem UNSUPPORTED =
      Problem.of(
          415,
          "unsupported-media-type",
          "Unsupported Media Type",
          "The request body's media type is not accepted here.");

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "validate";
  }

  @Override
  public Phase phase() {
    return Phase.VALIDATE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(ValidatePolicyFactory.class, "validate");
  }

  /** Made again on every reload: its schema files may have changed while the route file did not. */
  @Override
  public boolean keptAcrossReloads() {
    return false;
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    RequestValidator validator =
        new RequestValidator(
            schema(config.getJsonObject("body"), context),
            schema(config.getJsonObject("query"), context),
            schema(config.getJsonObject("path"), context),
            config.getInteger("maxDepth", 64));
    List<String> headers = new ArrayList<>();
    JsonObject h = config.getJsonObject("headers");
    if (h != null && h.getJsonArray("required") != null) {
      h.getJsonArray("required").forEach(x -> headers.add((String) x));
    }
    Set<String> types = null;
    if (config.getJsonArray("contentTypes") != null) {
      types =
          config.getJsonArray("contentTypes").stream()
              .map(x -> ((String) x).toLowerCase(Locale.ROOT))
              .collect(Collectors.toUnmodifiableSet());
    }
    RouteCounter<Reason> refusals =
        new RouteCounter<>(
            context,
            "sluice.validate.refusals",
            "Requests the validate policy refused, by why.",
            "reason",
            Reason.class,
            r -> r.label);
    return new Validate(validator, List.copyOf(headers), types, refusals);
  }

  /** The schema of {@code {schema: ...}}: inline, or read from a file next to the route file. */
  private static JsonNode schema(JsonObject part, PolicyContext context) {
    if (part == null) {
      return null;
    }
    Object s = part.getValue("schema");
    if (s instanceof String file) {
      Path p = context.resolve(file);
      try {
        return JSON.readTree(Files.readString(p));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "schema file " + file + " cannot be read as JSON: " + e.getMessage(), e);
      }
    }
    return JSON.valueToTree(s instanceof JsonObject o ? o.getMap() : s);
  }

  enum Reason {
    INVALID("invalid"),
    MALFORMED("malformed"),
    MEDIA_TYPE("unsupported_media_type");

    final String label;

    Reason(String label) {
      this.label = label;
    }
  }

  static final class Validate implements Policy {
    private final RequestValidator validator;
    private final List<String> requiredHeaders;
    private final Set<String> contentTypes;
    private final RouteCounter<Reason> refusals;

    Validate(
        RequestValidator validator,
        List<String> requiredHeaders,
        Set<String> contentTypes,
        RouteCounter<Reason> refusals) {
      this.validator = validator;
      this.requiredHeaders = requiredHeaders;
      this.contentTypes = contentTypes;
      this.refusals = refusals;
    }

    @Override
    public boolean needsRequestBody() {
      return validator.checksBody();
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      MultiMap headers = ex.requestHeaders();
      if (contentTypes != null && hasBody(headers) && !contentTypes.contains(mediaType(headers))) {
        refuse(ex, Reason.MEDIA_TYPE, UNSUPPORTED, null);
        return Future.succeededFuture();
      }
      List<RequestValidator.Violation> found = new ArrayList<>(0);
      for (String name : requiredHeaders) {
        if (!headers.contains(name)) {
          found.add(new RequestValidator.Violation("header", "/" + name, "is required"));
        }
      }
      if (validator.checksPath()) {
        validator.path(single(ex.pathParams()), found);
      }
      if (validator.checksQuery()) {
        validator.query(multi(ex.queryParams()), found);
      }
      if (validator.checksBody()) {
        try {
          validator.body(bodyBytes(ex.body()), found);
        } catch (RequestValidator.Malformed e) {
          refuse(
              ex,
              Reason.MALFORMED,
              Problem.of(400, "malformed-body", "Bad Request", e.getMessage() + "."),
              null);
          return Future.succeededFuture();
        }
      }
      if (!found.isEmpty()) {
        JsonArray errors = new JsonArray();
        for (RequestValidator.Violation v : found) {
          errors.add(
              new JsonObject()
                  .put("in", v.in())
                  .put("pointer", v.pointer())
                  .put("message", v.message()));
        }
        refuse(ex, Reason.INVALID, INVALID, errors);
      }
      return Future.succeededFuture();
    }

    private void refuse(Exchange ex, Reason reason, Problem problem, JsonArray errors) {
      refusals.add(reason);
      if (errors == null) {
        ex.respond(problem);
        return;
      }
      MultiMap h =
          MultiMap.caseInsensitiveMultiMap()
              .add("Content-Type", Problem.CONTENT_TYPE)
              .add("Cache-Control", "no-store");
      JsonObject body =
          new JsonObject(problem.toJson(ex.requestId(), ex.traceId())).put("errors", errors);
      ex.respond(problem.status(), h, body.toBuffer());
    }

    private static byte[] bodyBytes(Buffer b) {
      return b == null ? new byte[0] : b.getBytes();
    }

    private static boolean hasBody(MultiMap headers) {
      String cl = headers.get("content-length");
      return cl != null ? !cl.trim().equals("0") : headers.contains("transfer-encoding");
    }

    /** The Content-Type without parameters, lower case ("" when absent). */
    private static String mediaType(MultiMap headers) {
      String ct = headers.get("content-type");
      if (ct == null) {
        return "";
      }
      int semi = ct.indexOf(';');
      return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, List<String>> single(Map<String, String> params) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      params.forEach((k, v) -> out.put(k, List.of(v)));
      return out;
    }

    private static Map<String, List<String>> multi(MultiMap params) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      for (String name : params.names()) {
        out.put(name, params.getAll(name));
      }
      return out;
    }

    @Override
    public String toString() {
      return "validate";
    }
  }
}
