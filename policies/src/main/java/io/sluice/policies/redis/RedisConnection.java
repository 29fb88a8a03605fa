package io.sluice.policies.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.sluice.api.PolicyContext;
import io.sluice.api.Units;
import io.sluice.policies.PerVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Lettuce connection to the gateway's Redis ({@code gateway.redis}), shared by the policies
 * that keep state there: it pipelines every call (no call waits for another's answer), fails calls
 * at once while disconnected instead of queueing them, and connects in the background, again at
 * most once a second after a failure. Never shows the password: {@link #where()} is host:port.
 */
public final class RedisConnection implements AutoCloseable {

  private static final long RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String url;
  private final RedisURI uri;
  private final String where;
  private final long timeoutMillis;
  private final ClientResources resources;
  private final RedisClient client;
  private volatile CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connecting;
  private volatile long lastConnectNanos;

  public RedisConnection(String url, Duration timeout) {
    this.url = url;
    this.uri = RedisURI.create(url);
    this.where = uri.getHost() + ":" + uri.getPort();
    this.timeoutMillis = timeout.toMillis();
    this.resources =
        DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1).build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            // While disconnected, fail at once instead of queueing until the timeout.
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    connect();
  }

  /** host:port of the server (never the password). */
  public String where() {
    return where;
  }

  public long timeoutMillis() {
    return timeoutMillis;
  }

  /**
   * The connection: at once when there is one, else when the connection under way (or a new one, at
   * most once a second) is made; failed when Redis cannot be reached.
   */
  public CompletableFuture<StatefulRedisConnection<byte[], byte[]>> get() {
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> c = connecting;
    if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
      return c;
    }
    connect();
    return connecting;
  }

  private synchronized void connect() {
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> c = connecting;
    if (c != null && (!c.isDone() || !c.isCompletedExceptionally())) {
      return; // made, or being made
    }
    long now = System.nanoTime();
    if (c != null && now - lastConnectNanos < RECONNECT_NANOS) {
      return; // the last attempt failed less than a second ago: its failure stands
    }
    lastConnectNanos = now;
    connecting = client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
  }

  /** Closes the connection and Lettuce's threads. */
  public void close() {
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> c = connecting;
    if (c != null) {
      c.thenAccept(StatefulRedisConnection::closeAsync);
    }
    client
        .shutdownAsync(0, 2, TimeUnit.SECONDS)
        .whenComplete((v, e) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
  }

  /**
   * The connection of this Vert.x to this server, made on first use and shared by every policy that
   * asks for it; closed when Vert.x closes.
   */
  public static RedisConnection shared(Vertx vertx, String url, Duration timeout) {
    return PerVertx.get(
        vertx, List.of("redis", url, timeout), () -> new RedisConnection(url, timeout));
  }

  /**
   * The connection a policy with {@code store: redis} uses: the gateway's ({@code gateway.redis});
   * null in check-only mode ({@code sluice validate} connects to nothing).
   *
   * @throws IllegalArgumentException when the gateway section names no Redis server
   */
  public static RedisConnection forPolicy(PolicyContext context) {
    JsonObject redis = context.gatewaySettings().getJsonObject("redis");
    if (redis == null) {
      throw new IllegalArgumentException(
          "store: redis needs the Redis server in gateway.redis (url)");
    }
    if (context.checkOnly()) {
      return null;
    }
    return shared(
        context.vertx(), redis.getString("url"), Units.duration(redis.getString("timeout")));
  }

  /** The server's URL, the key of what is shared per server. */
  public String url() {
    return url;
  }
}
