package io.sluice.gateway.config;

import io.sluice.gateway.config.SluiceConfig.PolicySpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A loaded config as JSON for the admin API's {@code GET /admin/config}, with every secret replaced
 * by {@code ***}: {@link SluiceConfig.Secret} values (the admin token), a Redis URL's user and
 * password, an Azure function's key and the {@code code} in its URL, and in policy settings every
 * value whose schema says {@code "writeOnly": true} (api-key keys, jwt HMAC secrets; plugins mark
 * theirs the same way).
 */
public final class RedactedConfig {

  public static final String REDACTED = "***";
  private static final Pattern CODE = Pattern.compile("(^|&)code=[^&]*");

  private RedactedConfig() {}

  public static JsonObject of(SluiceConfig c) {
    JsonObject backends = new JsonObject();
    c.backends().forEach((name, b) -> backends.put(name, value(b)));
    JsonArray policies = new JsonArray();
    c.policies().forEach(p -> policies.add(value(p)));
    JsonArray routes = new JsonArray();
    c.routes().forEach(r -> routes.add(value(r)));
    return new JsonObject()
        .put("source", c.source())
        .put("gateway", value(c.gateway()))
        .put("backends", backends)
        .put("policies", policies)
        .put("routes", routes);
  }

  private static Object value(Object v) {
    if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
      return v;
    }
    if (v instanceof SluiceConfig.Secret) {
      return REDACTED;
    }
    if (v instanceof Duration d) {
      long ms = d.toMillis();
      return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
    if (v instanceof Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
    if (v instanceof PolicySpec p) {
      JsonObject o =
          new JsonObject()
              .put("policy", p.name())
              .put("at", p.location())
              .put("config", policyConfig(p));
      if (p.atCore()) {
        o.put("runsAt", "core");
      }
      return o;
    }
    if (v instanceof SluiceConfig.Trust t) {
      // Which kind of key and how many, never a key (not even a public one: it names the pair).
      return new JsonObject()
          .put("algorithm", t.secret() != null ? "HS256" : "ES256")
          .put("key", REDACTED)
          .put("previousKeys", t.previous().size())
          .put("ttl", value(t.ttl()));
    }
    if (v instanceof SluiceConfig.Redis r) {
      return new JsonObject()
          .put("url", withoutUserInfo(r.url()))
          .put("timeout", value(r.timeout()));
    }
    if (v instanceof SluiceConfig.Target t) {
      return t.toString();
    }
    if (v instanceof Collection<?> list) {
      JsonArray a = new JsonArray();
      list.forEach(x -> a.add(value(x)));
      return a;
    }
    if (v instanceof Map<?, ?> map) {
      JsonObject o = new JsonObject();
      map.forEach((k, x) -> o.put(String.valueOf(k), value(x)));
      return o;
    }
    if (v instanceof Record r) {
      JsonObject o = new JsonObject();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        Object x;
        try {
          x = c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        o.put(c.getName(), value(secretField(r, c.getName(), x)));
      }
      return o;
    }
    return String.valueOf(v);
  }

  /** Fields of backends that hold secrets as plain strings. */
  private static Object secretField(Record r, String name, Object x) {
    if (r instanceof SluiceConfig.AzureFunctionBackend && x instanceof String s) {
      if (name.equals("key")) {
        return REDACTED;
      }
      if (name.equals("query")) {
        return CODE.matcher(s).replaceAll("$1code=" + REDACTED);
      }
    }
    return x;
  }

  static String withoutUserInfo(String url) {
    int scheme = url.indexOf("://");
    int at = url.indexOf('@', Math.max(scheme, 0));
    int slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
    if (scheme < 0 || at < 0 || (slash >= 0 && at > slash)) {
      return url;
    }
    return url.substring(0, scheme + 3) + REDACTED + url.substring(at);
  }

  private static Object policyConfig(PolicySpec p) {
    JsonObject schema;
    try {
      String s = p.factory().configSchema();
      schema = s == null ? null : new JsonObject(s);
    } catch (RuntimeException e) {
      schema = null;
    }
    return writeOnly(p.config().copy(), schema, schema);
  }

  /** The value with every part its schema marks {@code writeOnly} replaced. */
  static Object writeOnly(Object value, JsonObject schema, JsonObject root) {
    if (schema == null || value == null) {
      return value;
    }
    String ref = schema.getString("$ref");
    if (ref != null && ref.startsWith("#/")) {
      Object target = root;
      for (String part : ref.substring(2).split("/")) {
        target = target instanceof JsonObject o ? o.getValue(part) : null;
      }
      value = writeOnly(value, target instanceof JsonObject t ? t : null, root);
    }
    if (schema.getBoolean("writeOnly", false)) {
      return REDACTED;
    }
    for (String combiner : new String[] {"allOf", "anyOf", "oneOf"}) {
      JsonArray subs = schema.getJsonArray(combiner);
      if (subs != null) {
        for (Object sub : subs) {
          value = writeOnly(value, sub instanceof JsonObject o ? o : null, root);
        }
      }
    }
    if (value instanceof JsonObject o) {
      JsonObject props = schema.getJsonObject("properties", new JsonObject());
      Object additional = schema.getValue("additionalProperties");
      for (String k : o.fieldNames()) {
        JsonObject sub = props.getJsonObject(k);
        if (sub == null && additional instanceof JsonObject a) {
          sub = a;
        }
        o.put(k, writeOnly(o.getValue(k), sub, root));
      }
    } else if (value instanceof JsonArray a
        && schema.getValue("items") instanceof JsonObject items) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, writeOnly(a.getValue(i), items, root));
      }
    }
    return value;
  }
}
