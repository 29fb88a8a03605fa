package io.sluice.gateway.server;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request on the {@code sluice.access} logger (stdout, written by an async
 * appender so the event loop never waits on the terminal). Holds no query string and no header
 * values: nothing secret.
 */
public final class AccessLog {

  private static final Logger LOG = LoggerFactory.getLogger("sluice.access");

  private AccessLog() {}

  public static boolean enabled() {
    return LOG.isInfoEnabled();
  }

  /** Logs a finished request. {@code route} may be null (no route matched). */
  public static void log(
      String requestId,
      String traceId,
      String route,
      String method,
      String path,
      int status,
      long durationNanos,
      long upstreamNanos,
      long bytesIn,
      long bytesOut,
      String client) {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"time\":\"").append(Instant.now()).append('"');
    field(sb, "requestId", requestId);
    field(sb, "traceId", traceId);
    field(sb, "route", route);
    field(sb, "method", method);
    field(sb, "path", path);
    sb.append(",\"status\":").append(status);
    sb.append(",\"durationMs\":").append(millis(durationNanos));
    if (upstreamNanos >= 0) {
      sb.append(",\"upstreamMs\":").append(millis(upstreamNanos));
    }
    sb.append(",\"bytesIn\":").append(bytesIn);
    sb.append(",\"bytesOut\":").append(bytesOut);
    field(sb, "client", client);
    sb.append('}');
    LOG.info(sb.toString());
  }

  private static String millis(long nanos) {
    long micros = nanos / 1000;
    long ms = micros / 1000;
    long frac = micros % 1000;
    return ms + "." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac;
  }

  private static void field(StringBuilder sb, String name, String value) {
    if (value == null) {
      return;
    }
    sb.append(",\"").append(name).append("\":\"");
    escape(sb, value);
    sb.append('"');
  }

  static void escape(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }
}
