package io.sluice.policies;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code api-key}: the caller presents a key in a header or a query parameter. Keys are held only
 * as SHA-256 digests (given as {@code sha256}, or computed at load from {@code key}, which should
 * come from {@code ${env:..}} or {@code ${file:..}}). The presented key's digest is compared with
 * every configured one in constant time. The key is removed before the request goes on; the
 * principal becomes the key's {@code id}. Missing or unknown: 401 with {@code WWW-Authenticate}.
 *
 * <pre>{@code
 * - api-key:
 *     in: header              # header | query
 *     name: X-Api-Key
 *     keys:
 *       - { id: mobile-app, sha256: "<hex of SHA-256 of the key>" }
 *       - { id: partner-x,  key: "${env:PARTNER_X_KEY}" }
 * }</pre>
 */
public final class ApiKeyPolicyFactory implements PolicyFactory {

  static final Problem UNAUTHORIZED =
      Problem.of(401, "unauthorized", "Unauthorized", "A valid API key is required.");

  @Override
  public String name() {
    return "api-key";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHENTICATE;
  }

  @Override
  public String configSchema() {
    return Schemas.load(ApiKeyPolicyFactory.class, "api-key");
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    boolean inQuery = "query".equals(config.getString("in", "header"));
    String name = config.getString("name", inQuery ? "api_key" : "X-Api-Key");
    JsonArray keys = config.getJsonArray("keys");
    List<Key> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      JsonObject k = keys.getJsonObject(i);
      byte[] digest;
      if (k.containsKey("sha256")) {
        digest = HexFormat.of().parseHex(k.getString("sha256"));
      } else {
        String key = k.getString("key");
        if (key.length() < 16) {
          throw new IllegalArgumentException(
              "keys[" + i + "].key: too short (expected: at least 16 characters)");
        }
        digest = Digests.sha256(key);
      }
      out.add(new Key(k.getString("id"), digest));
    }
    return new ApiKey(inQuery, name, List.copyOf(out), new AuthRefusals(context, name()));
  }

  /** A key's id and digest; never its value. */
  record Key(String id, byte[] digest) {
    @Override
    public String toString() {
      return id;
    }
  }

  static final class ApiKey implements Policy {
    private final boolean inQuery;
    private final String name;
    private final List<Key> keys;
    private final String challenge;
    private final AuthRefusals refusals;

    ApiKey(boolean inQuery, String name, List<Key> keys, AuthRefusals refusals) {
      this.refusals = refusals;
      this.inQuery = inQuery;
      this.name = name;
      this.keys = keys;
      this.challenge =
          "ApiKey realm=\"sluice\", " + (inQuery ? "query" : "header") + "=\"" + name + "\"";
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      String presented = inQuery ? ex.queryParams().get(name) : ex.requestHeaders().get(name);
      // The key never goes further, whatever the outcome.
      if (inQuery) {
        ex.rawQuery(withoutParam(ex.rawQuery(), name));
      } else {
        ex.requestHeaders().remove(name);
      }
      Key key = presented == null || presented.isEmpty() ? null : match(Digests.sha256(presented));
      if (key == null) {
        refusals.count(
            presented == null || presented.isEmpty()
                ? AuthRefusals.Reason.MISSING
                : AuthRefusals.Reason.INVALID);
        ex.respond(
            UNAUTHORIZED, MultiMap.caseInsensitiveMultiMap().add("WWW-Authenticate", challenge));
        return Future.succeededFuture();
      }
      ex.principal(key.id());
      return Future.succeededFuture();
    }

    /** Compares with every key, in constant time each, whatever matches first. */
    private Key match(byte[] digest) {
      Key found = null;
      for (Key k : keys) {
        if (MessageDigest.isEqual(k.digest(), digest) && found == null) {
          found = k;
        }
      }
      return found;
    }

    static String withoutParam(String query, String name) {
      if (query == null || query.isEmpty()) {
        return query;
      }
      StringBuilder out = new StringBuilder(query.length());
      for (String part : query.split("&")) {
        int eq = part.indexOf('=');
        String key =
            java.net.URLDecoder.decode(
                eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
        if (key.equals(name)) {
          continue;
        }
        if (out.length() > 0) {
          out.append('&');
        }
        out.append(part);
      }
      return out.toString();
    }

    @Override
    public String toString() {
      return "api-key{in="
          + (inQuery ? "query" : "header")
          + ", name="
          + name
          + ", keys="
          + keys
          + "}";
    }
  }
}
