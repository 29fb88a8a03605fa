package io.sluice.policies.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.sluice.api.Units;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The limits of one {@code rate-limit} config: the bucket4j configuration (one greedy-refill
 * bandwidth per limit, all applying at once) and what the headers say about them.
 */
final class Limits {

  final long[] requests;
  final long[] periodNanos;
  final String[] names;
  final BucketConfiguration configuration;

  /** The {@code RateLimit-Policy} value, the same on every response. */
  final String policyHeader;

  /** The longest period: a bucket untouched for that long is full again. */
  final Duration longest;

  Limits(JsonArray limits) {
    int n = limits.size();
    requests = new long[n];
    periodNanos = new long[n];
    names = new String[n];
    ConfigurationBuilder b = BucketConfiguration.builder();
    List<String> policy = new ArrayList<>();
    Duration max = Duration.ZERO;
    for (int i = 0; i < n; i++) {
      JsonObject l = limits.getJsonObject(i);
      long q = l.getLong("requests");
      Duration per = Units.duration(l.getString("per"));
      if (per.isZero()) {
        throw new IllegalArgumentException("limits[" + i + "].per: must be more than 0");
      }
      requests[i] = q;
      periodNanos[i] = per.toNanos();
      names[i] = q + "-per-" + l.getString("per");
      b.addLimit(Bandwidth.builder().capacity(q).refillGreedy(q, per).build());
      long w = Math.max(1, (per.toMillis() + 999) / 1000);
      policy.add("\"" + names[i] + "\";q=" + q + ";w=" + w);
      max = per.compareTo(max) > 0 ? per : max;
    }
    configuration = b.build();
    policyHeader = String.join(", ", policy);
    longest = max;
  }

  int size() {
    return requests.length;
  }
}
