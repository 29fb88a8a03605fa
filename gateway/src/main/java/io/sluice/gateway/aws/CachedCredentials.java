package io.sluice.gateway.aws;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * AWS credentials from the SDK's default provider chain (environment, system properties, web
 * identity for EKS service accounts, profile files, container and instance metadata), resolved off
 * the event loop and handed to the SDK from memory: those providers read files and call metadata
 * endpoints, which must never happen on an event loop.
 *
 * <p>Refreshed on a worker every minute, and five minutes before session credentials expire. While
 * none could ever be resolved, calls fail with a clear error (502 to the client) and the chain is
 * asked again at the next refresh. The credentials are never logged.
 */
public final class CachedCredentials implements AwsCredentialsProvider {

  private static final Logger LOG = LoggerFactory.getLogger(CachedCredentials.class);
  private static final long REFRESH_MS = 60_000;

  private final Vertx vertx;
  private final AwsCredentialsProvider source;
  private volatile AwsCredentials current;
  private volatile String problem = "not resolved yet";
  private long timer = -1;

  private CachedCredentials(Vertx vertx, AwsCredentialsProvider source) {
    this.vertx = vertx;
    this.source = source;
  }

  /** Resolves once (on a worker), then keeps the credentials fresh. */
  public static Future<CachedCredentials> start(Vertx vertx) {
    return start(vertx, DefaultCredentialsProvider.builder().build());
  }

  static Future<CachedCredentials> start(Vertx vertx, AwsCredentialsProvider source) {
    CachedCredentials c = new CachedCredentials(vertx, source);
    return c.refresh().map(c);
  }

  private Future<Void> refresh() {
    return vertx
        .<AwsCredentials>executeBlocking(source::resolveCredentials, false)
        .transform(
            ar -> {
              if (ar.succeeded()) {
                boolean first = current == null;
                current = ar.result();
                problem = null;
                if (first) {
                  LOG.info(
                      "AWS credentials resolved ({})",
                      current.providerName().orElse("default chain"));
                }
              } else {
                problem = String.valueOf(ar.cause().getMessage());
                if (current == null) {
                  LOG.warn(
                      "no AWS credentials yet; Lambda calls fail until there are: {}", problem);
                } else {
                  LOG.warn("AWS credentials not refreshed, keeping the current ones: {}", problem);
                }
              }
              schedule();
              return Future.<Void>succeededFuture();
            });
  }

  private synchronized void schedule() {
    if (timer == -2) {
      return; // closed
    }
    long delay = REFRESH_MS;
    if (current instanceof AwsSessionCredentials s) {
      Optional<Instant> expires = s.expirationTime();
      if (expires.isPresent()) {
        long untilRefresh =
            Duration.between(Instant.now(), expires.get()).toMillis()
                - Duration.ofMinutes(5).toMillis();
        delay = Math.max(1_000, Math.min(delay, untilRefresh));
      }
    }
    timer = vertx.setTimer(delay, id -> refresh());
  }

  @Override
  public AwsCredentials resolveCredentials() {
    AwsCredentials c = current;
    if (c == null) {
      throw SdkClientException.create("no AWS credentials: " + problem);
    }
    return c;
  }

  /** Stops refreshing. */
  public synchronized void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    timer = -2;
  }
}
