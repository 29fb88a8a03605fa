package com.example.webhook;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.sluice.api.Problem;
import io.sluice.api.Units;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code webhook-signature}: accepts a webhook only when it is signed the way GitHub and Stripe
 * sign theirs: {@code X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">} with the
 * shared secret, and {@code X-Timestamp} (Unix seconds) within the tolerance, so a captured request
 * cannot be replayed later. Anything else is a 401 that does not say which check failed.
 */
public final class WebhookSignatureFactory implements PolicyFactory {

  static final Problem INVALID =
      Problem.of(401, "invalid-signature", "Unauthorized", "The request signature is not valid.");

  @Override
  public String name() {
    return "webhook-signature";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHENTICATE;
  }

  @Override
  public String configSchema() {
    return """
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["secret"],
          "properties": {
            "secret": { "type": "string", "minLength": 16,
                        "description": "The shared secret; use ${env:..} or ${file:..}." },
            "header": { "type": "string", "description": "Default X-Signature." },
            "timestampHeader": { "type": "string", "description": "Default X-Timestamp." },
            "tolerance": { "type": "string", "pattern": "^[0-9]{1,9}(ms|s|m|h)$",
                           "description": "Largest clock difference accepted. Default 5m." }
          }
        }
        """;
  }

  @Override
  public Policy create(JsonObject config, PolicyContext context) {
    return new WebhookSignature(
        config.getString("secret").getBytes(StandardCharsets.UTF_8),
        config.getString("header", "X-Signature"),
        config.getString("timestampHeader", "X-Timestamp"),
        Units.duration(config.getString("tolerance", "5m")).toSeconds(),
        context.clock());
  }

  static final class WebhookSignature implements Policy {
    private final SecretKeySpec key;
    private final String header;
    private final String timestampHeader;
    private final long toleranceSeconds;
    private final Clock clock;
    // Mac is not thread-safe and event loops run this at once: one per thread.
    private final ThreadLocal<Mac> macs;

    WebhookSignature(
        byte[] secret, String header, String timestampHeader, long toleranceSeconds, Clock clock) {
      this.key = new SecretKeySpec(secret, "HmacSHA256");
      this.header = header;
      this.timestampHeader = timestampHeader;
      this.toleranceSeconds = toleranceSeconds;
      this.clock = clock;
      this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public boolean needsRequestBody() {
      return true;
    }

    @Override
    public Future<Void> onRequest(Exchange ex) {
      if (!valid(ex)) {
        ex.respond(INVALID);
      }
      return Future.succeededFuture();
    }

    private boolean valid(Exchange ex) {
      String signature = ex.requestHeaders().get(header);
      String timestamp = ex.requestHeaders().get(timestampHeader);
      if (signature == null || timestamp == null || !signature.startsWith("sha256=")) {
        return false;
      }
      long sent;
      try {
        sent = Long.parseLong(timestamp);
      } catch (NumberFormatException e) {
        return false;
      }
      if (Math.abs(clock.instant().getEpochSecond() - sent) > toleranceSeconds) {
        return false;
      }
      byte[] given;
      try {
        given = HexFormat.of().parseHex(signature.substring("sha256=".length()));
      } catch (IllegalArgumentException e) {
        return false;
      }
      return MessageDigest.isEqual(expected(timestamp, ex.body()), given); // constant time
    }

    byte[] expected(String timestamp, Buffer body) {
      Mac mac = macs.get();
      mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body.getBytes());
    }
  }
}
