package io.sluice.api;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * An error answered to a client as {@code application/problem+json} (RFC 9457).
 *
 * <p>The {@code type} is stable: clients and dashboards may switch on it. The {@code detail} is for
 * people and must never carry a secret, a stack trace or a backend's internal error text.
 *
 * <pre>{@code
 * exchange.respond(Problem.of(403, "forbidden", "Forbidden", "Your address is not allowed."));
 * }</pre>
 *
 * @param status the HTTP status code
 * @param type the problem type URI; {@link #type(String)} builds Sluice's own
 * @param title a short, stable summary of the type
 * @param detail an explanation of this occurrence, or {@code null}
 */
public record Problem(int status, String type, String title, String detail) {

  /** The media type of a problem body. */
  public static final String CONTENT_TYPE = "application/problem+json";

  /** The prefix of every problem type Sluice itself defines. */
  public static final String TYPE_PREFIX = "urn:sluice:problem:";

  public Problem {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 400 to 599)");
    }
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(title, "title");
  }

  /** A problem whose type is {@code urn:sluice:problem:<name>}. */
  public static Problem of(int status, String name, String title, String detail) {
    return new Problem(status, type(name), title, detail);
  }

  /**
   * The {@code application/problem+json} body: type, title, status, detail, and the request id so a
   * user can quote it. For a policy that answers with extra headers (a {@code WWW-Authenticate},
   * say) through {@code Exchange.respond(status, headers, body)}.
   */
  public String toJson(String requestId) {
    return toJson(requestId, null);
  }

  /** The body with the request id and, when the request is traced, its W3C trace id. */
  public String toJson(String requestId, String traceId) {
    JsonObject body = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) {
      body.put("detail", detail);
    }
    if (requestId != null) {
      body.put("requestId", requestId);
    }
    if (traceId != null) {
      body.put("traceId", traceId);
    }
    return body.encode();
  }

  /** Sluice's problem type URI for a short name, e.g. {@code not-found}. */
  public static String type(String name) {
    return TYPE_PREFIX + name;
  }
}
