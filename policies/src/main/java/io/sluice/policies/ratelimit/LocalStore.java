package io.sluice.policies.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;

/**
 * Buckets in this gateway's memory: a bounded Caffeine map (least recently used buckets go first)
 * whose entries expire once they would be full again anyway, so that millions of distinct clients
 * cost at most {@code maxKeys} buckets. bucket4j's local buckets are lock-free and shared by all
 * event loops.
 */
final class LocalStore {

  private final Limits limits;
  private final Cache<String, Bucket> buckets;

  LocalStore(Limits limits, int maxKeys) {
    this.limits = limits;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(limits.longest)
            .executor(Runnable::run)
            .build();
  }

  Decision consume(String key) {
    Bucket bucket = buckets.get(key, k -> newBucket());
    VerboseResult<ConsumptionProbe> r = bucket.asVerbose().tryConsumeAndReturnRemaining(1);
    return Decision.of(r, limits);
  }

  private Bucket newBucket() {
    var b = Bucket.builder();
    for (io.github.bucket4j.Bandwidth bw : limits.configuration.getBandwidths()) {
      b.addLimit(bw);
    }
    return b.build();
  }

  long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
