package io.sluice.gateway.backend;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * API Gateway's Lambda proxy integration, both ways: the event a request becomes (payload format
 * 2.0 of HTTP APIs, or 1.0 of REST APIs) and the HTTP response a function's answer becomes. Built
 * as API Gateway builds them, so existing handlers work unchanged.
 */
final class LambdaEvents {

  private LambdaEvents() {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** What the event is built from: the request as the gateway sees it after its policies. */
  record Request(
      String method,
      String rawPath,
      String rawQuery,
      MultiMap headers,
      String routeKey,
      String resource,
      Map<String, String> pathParameters,
      String requestId,
      String sourceIp,
      String protocol,
      Map<String, Object> claims,
      List<String> scopes,
      Buffer body,
      long epochMillis) {}

  /** A function's answer as an HTTP response. */
  record Response(int status, MultiMap headers, Buffer body) {}

  /** The answer is not a proxy response API Gateway would accept (it answers 502 too). */
  static final class MalformedResponse extends Exception {
    MalformedResponse(String message) {
      super(message, null, false, false);
    }
  }

  /** The payload format 2.0 event. */
  static JsonObject v2(Request r) {
    JsonObject headers = new JsonObject();
    JsonArray cookies = null;
    for (String name : r.headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      List<String> values = r.headers().getAll(name);
      if (lower.equals("cookie")) {
        cookies = new JsonArray();
        for (String v : values) {
          for (String c : v.split(";")) {
            if (!c.isBlank()) {
              cookies.add(c.trim());
            }
          }
        }
        continue;
      }
      headers.put(lower, String.join(",", values));
    }
    JsonObject http =
        new JsonObject()
            .put("method", r.method())
            .put("path", r.rawPath())
            .put("protocol", r.protocol())
            .put("sourceIp", r.sourceIp())
            .put("userAgent", r.headers().get(HttpHeaders.USER_AGENT));
    JsonObject context =
        new JsonObject()
            .put("accountId", "anonymous")
            .put("apiId", "sluice")
            .put("domainName", host(r))
            .put("domainPrefix", prefix(host(r)))
            .put("http", http)
            .put("requestId", r.requestId())
            .put("routeKey", r.routeKey())
            .put("stage", "$default")
            .put("time", TIME.format(Instant.ofEpochMilli(r.epochMillis())))
            .put("timeEpoch", r.epochMillis());
    if (r.claims() != null) {
      JsonObject jwt = new JsonObject().put("claims", claimsAsStrings(r.claims()));
      if (r.scopes() != null) {
        jwt.put("scopes", new JsonArray(new ArrayList<>(r.scopes())));
      }
      context.put("authorizer", new JsonObject().put("jwt", jwt));
    }
    JsonObject event =
        new JsonObject()
            .put("version", "2.0")
            .put("routeKey", r.routeKey())
            .put("rawPath", r.rawPath())
            .put("rawQueryString", r.rawQuery() == null ? "" : r.rawQuery());
    if (cookies != null) {
      event.put("cookies", cookies);
    }
    event.put("headers", headers);
    Map<String, List<String>> query = query(r.rawQuery());
    if (!query.isEmpty()) {
      JsonObject q = new JsonObject();
      query.forEach((k, v) -> q.put(k, String.join(",", v)));
      event.put("queryStringParameters", q);
    }
    event.put("requestContext", context);
    if (!r.pathParameters().isEmpty()) {
      event.put("pathParameters", new JsonObject(new LinkedHashMap<>(r.pathParameters())));
    }
    body(event, r);
    return event;
  }

  /** The payload format 1.0 event. */
  static JsonObject v1(Request r) {
    JsonObject headers = new JsonObject();
    JsonObject multiHeaders = new JsonObject();
    for (String name : r.headers().names()) {
      List<String> values = r.headers().getAll(name);
      headers.put(name, values.get(values.size() - 1));
      multiHeaders.put(name, new JsonArray(new ArrayList<>(values)));
    }
    Map<String, List<String>> query = query(r.rawQuery());
    JsonObject q = null;
    JsonObject mq = null;
    if (!query.isEmpty()) {
      q = new JsonObject();
      mq = new JsonObject();
      for (Map.Entry<String, List<String>> e : query.entrySet()) {
        q.put(e.getKey(), e.getValue().get(e.getValue().size() - 1));
        mq.put(e.getKey(), new JsonArray(new ArrayList<>(e.getValue())));
      }
    }
    JsonObject identity =
        new JsonObject()
            .put("sourceIp", r.sourceIp())
            .put("userAgent", r.headers().get(HttpHeaders.USER_AGENT));
    JsonObject context =
        new JsonObject()
            .put("accountId", "anonymous")
            .put("apiId", "sluice")
            .put("domainName", host(r))
            .put("domainPrefix", prefix(host(r)))
            .put("extendedRequestId", r.requestId())
            .put("httpMethod", r.method())
            .put("identity", identity)
            .put("path", r.rawPath())
            .put("protocol", r.protocol())
            .put("requestId", r.requestId())
            .put("requestTime", TIME.format(Instant.ofEpochMilli(r.epochMillis())))
            .put("requestTimeEpoch", r.epochMillis())
            .put("resourceId", r.routeKey())
            .put("resourcePath", r.resource())
            .put("stage", "$default");
    if (r.claims() != null) {
      JsonObject authorizer = new JsonObject().put("claims", claimsAsStrings(r.claims()));
      if (r.scopes() != null) {
        authorizer.put("scopes", new JsonArray(new ArrayList<>(r.scopes())));
      }
      context.put("authorizer", authorizer);
    }
    JsonObject event =
        new JsonObject()
            .put("version", "1.0")
            .put("resource", r.resource())
            .put("path", r.rawPath())
            .put("httpMethod", r.method())
            .put("headers", headers)
            .put("multiValueHeaders", multiHeaders)
            .put("queryStringParameters", q)
            .put("multiValueQueryStringParameters", mq)
            .put("requestContext", context)
            .put(
                "pathParameters",
                r.pathParameters().isEmpty()
                    ? null
                    : new JsonObject(new LinkedHashMap<>(r.pathParameters())))
            .putNull("stageVariables");
    body(event, r);
    if (!event.containsKey("body")) {
      event.putNull("body");
    }
    return event;
  }

  /**
   * The function's answer as a response. Format 2.0: an object with {@code statusCode} is a proxy
   * response; any other valid JSON is a 200 {@code application/json} body as it is. Format 1.0:
   * {@code statusCode} is required.
   */
  static Response response(Buffer payload, boolean v1) throws MalformedResponse {
    Object parsed;
    try {
      parsed = Json.decodeValue(payload);
    } catch (DecodeException e) {
      throw new MalformedResponse("the function's answer is not JSON");
    }
    if (!(parsed instanceof JsonObject o) || !o.containsKey("statusCode")) {
      if (v1) {
        throw new MalformedResponse("no statusCode in the function's answer (payload format 1.0)");
      }
      MultiMap h = HttpHeaders.headers().add(HttpHeaders.CONTENT_TYPE, "application/json");
      return new Response(200, h, payload);
    }
    Object code = o.getValue("statusCode");
    int status;
    if (code instanceof Number n && n.doubleValue() == n.intValue()) {
      status = n.intValue();
    } else if (code instanceof String s && s.matches("\\d{3}")) {
      status = Integer.parseInt(s);
    } else {
      throw new MalformedResponse("statusCode is not a number");
    }
    if (status < 100 || status > 599) {
      throw new MalformedResponse("statusCode " + status + " is not an HTTP status");
    }
    MultiMap headers = HttpHeaders.headers();
    Object hs = o.getValue("headers");
    if (hs != null) {
      if (!(hs instanceof JsonObject ho)) {
        throw new MalformedResponse("headers is not an object");
      }
      for (Map.Entry<String, Object> e : ho) {
        headers.set(e.getKey(), scalar(e.getValue(), "headers." + e.getKey()));
      }
    }
    Object mhs = o.getValue("multiValueHeaders");
    if (v1 && mhs != null) {
      if (!(mhs instanceof JsonObject mo)) {
        throw new MalformedResponse("multiValueHeaders is not an object");
      }
      for (Map.Entry<String, Object> e : mo) {
        if (!(e.getValue() instanceof JsonArray values)) {
          throw new MalformedResponse("multiValueHeaders." + e.getKey() + " is not a list");
        }
        headers.remove(e.getKey());
        for (Object v : values) {
          headers.add(e.getKey(), scalar(v, "multiValueHeaders." + e.getKey()));
        }
      }
    }
    Object cookies = o.getValue("cookies");
    if (!v1 && cookies != null) {
      if (!(cookies instanceof JsonArray ca)) {
        throw new MalformedResponse("cookies is not a list");
      }
      for (Object c : ca) {
        headers.add(HttpHeaders.SET_COOKIE, scalar(c, "cookies"));
      }
    }
    Object body = o.getValue("body");
    Buffer bytes;
    if (body == null) {
      bytes = Buffer.buffer();
    } else if (!(body instanceof String text)) {
      throw new MalformedResponse("body is not a string");
    } else if (Boolean.TRUE.equals(o.getValue("isBase64Encoded"))) {
      try {
        bytes = Buffer.buffer(Base64.getDecoder().decode(text));
      } catch (IllegalArgumentException e) {
        throw new MalformedResponse("body is not valid base64");
      }
    } else {
      bytes = Buffer.buffer(text);
    }
    return new Response(status, headers, bytes);
  }

  private static String scalar(Object v, String where) throws MalformedResponse {
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    throw new MalformedResponse(where + " is not a string");
  }

  /** The body, as text or base64 as API Gateway sends it; none when the request has none. */
  private static void body(JsonObject event, Request r) {
    Buffer body = r.body();
    if (body == null || body.length() == 0) {
      event.put("isBase64Encoded", false);
      return;
    }
    if (isText(r.headers().get(HttpHeaders.CONTENT_TYPE))) {
      event.put("body", body.toString(StandardCharsets.UTF_8)).put("isBase64Encoded", false);
    } else {
      event
          .put("body", Base64.getEncoder().encodeToString(body.getBytes()))
          .put("isBase64Encoded", true);
    }
  }

  /** Media types sent as text: text/*, JSON, XML, forms, JavaScript. */
  static boolean isText(String contentType) {
    if (contentType == null) {
      return false;
    }
    String t = contentType.toLowerCase(Locale.ROOT);
    int semi = t.indexOf(';');
    if (semi >= 0) {
      t = t.substring(0, semi);
    }
    t = t.trim();
    return t.startsWith("text/")
        || t.equals("application/json")
        || t.endsWith("+json")
        || t.equals("application/xml")
        || t.endsWith("+xml")
        || t.equals("application/x-www-form-urlencoded")
        || t.equals("application/javascript")
        || t.equals("application/graphql");
  }

  /** Query parameters, decoded, in order, repeats kept. */
  static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a stray '%': as it came
    }
  }

  /** Claims as API Gateway passes them: every value a string (objects and lists as JSON). */
  private static JsonObject claimsAsStrings(Map<String, Object> claims) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : claims.entrySet()) {
      Object v = e.getValue();
      out.put(
          e.getKey(),
          v instanceof String s
              ? s
              : v instanceof Map<?, ?> || v instanceof List<?>
                  ? Json.encode(v)
                  : String.valueOf(v));
    }
    return out;
  }

  private static String host(Request r) {
    String host = r.headers().get(HttpHeaders.HOST);
    if (host == null) {
      return "localhost";
    }
    int colon = host.lastIndexOf(':');
    return colon > 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
  }

  private static String prefix(String host) {
    int dot = host.indexOf('.');
    return dot < 0 ? host : host.substring(0, dot);
  }
}
