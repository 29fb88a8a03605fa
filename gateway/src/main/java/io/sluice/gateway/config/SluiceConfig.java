package io.sluice.gateway.config;

import io.sluice.api.Phase;
import io.sluice.api.PolicyFactory;
import io.sluice.gateway.policy.PolicyRegistry;
import io.sluice.policies.net.Cidr;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated route file, as immutable values. Built only by {@link ConfigLoader}: every instance
 * has passed the schema and the cross-checks.
 */
public record SluiceConfig(
    String source,
    Path baseDir,
    Gateway gateway,
    Map<String, Backend> backends,
    List<PolicySpec> policies,
    List<Route> routes,
    PolicyRegistry registry,
    List<ConfigError> warnings) {

  public SluiceConfig {
    warnings = List.copyOf(warnings);
    backends = Map.copyOf(backends);
    policies = List.copyOf(policies);
    routes = List.copyOf(routes);
  }

  /**
   * This config with other listeners in place of the file's ({@code null}: the file's), as {@code
   * sluice run --listen/--admin} set them.
   */
  public SluiceConfig withListeners(Listener listen, Listener admin) {
    Gateway g = gateway;
    return new SluiceConfig(
        source,
        baseDir,
        new Gateway(
            listen != null ? listen : g.listen(),
            admin != null ? admin : g.admin(),
            g.limits(),
            g.trustedProxies(),
            g.accessLog(),
            g.drainTimeout(),
            g.redis(),
            g.loadShedding(),
            g.cacheMaxSize(),
            g.adminToken(),
            g.tier()),
        backends,
        policies,
        routes,
        registry,
        warnings);
  }

  /**
   * One policy as configured: its factory (found and its config validated at load time), its
   * config, and where it stands in the file (for messages).
   */
  public record PolicySpec(
      String name, PolicyFactory factory, JsonObject config, String location, boolean atCore) {
    public Phase phase() {
      return factory.phase();
    }
  }

  /** The {@code gateway:} section. */
  public record Gateway(
      Listener listen,
      Listener admin,
      Limits limits,
      List<Cidr> trustedProxies,
      boolean accessLog,
      Duration drainTimeout,
      Redis redis,
      LoadShedding loadShedding,
      long cacheMaxSize,
      Secret adminToken,
      Tier tier) {
    public Gateway {
      trustedProxies = List.copyOf(trustedProxies);
    }

    public Role role() {
      return tier.role();
    }
  }

  /** Which part of the request's way this gateway takes. */
  public enum Role {
    /** Every policy and the backend call, in one process (the default). */
    STANDALONE,
    /** The client-facing policies, then on to a core region. */
    EDGE,
    /** Only requests an edge vouched for: the core-side policies and the backend call. */
    CORE
  }

  /**
   * The gateway's tier: its role, the region it runs in (named in the edge's assertions and
   * metrics, or null), the keys of the assertions edges and cores trust each other with (null for
   * standalone), and an edge's core regions (null unless edge).
   */
  public record Tier(Role role, String region, Trust trust, Edge edge) {
    public static final Tier STANDALONE = new Tier(Role.STANDALONE, null, null, null);
  }

  /**
   * How the edge signs the assertion it sends with each request and how the core checks it: a
   * shared secret (HS256) or an EC pair (ES256: the edge holds the private key, the core the public
   * one). {@code ttl}: how long an assertion is good for; {@code previous}: keys a core still
   * accepts while a rotation rolls out. Never printed.
   */
  public record Trust(
      javax.crypto.SecretKey secret,
      java.security.PrivateKey privateKey,
      java.security.PublicKey publicKey,
      List<java.security.Key> previous,
      Duration ttl) {
    public Trust {
      previous = List.copyOf(previous);
    }

    @Override
    public String toString() {
      return "Trust[" + (secret != null ? "HS256" : "ES256") + ", ttl=" + ttl + "]";
    }
  }

  /** One core region an edge forwards to, in the order of preference. */
  public record CoreRegion(String region, Target target) {}

  /**
   * An edge's way to the core: the regions in order of preference, and the http backend they make
   * (one target per region, first healthy first, per-region ejection and health checks).
   */
  public record Edge(List<CoreRegion> regions, HttpBackend backend) {
    public Edge {
      regions = List.copyOf(regions);
    }
  }

  /**
   * The Redis server policies with {@code store: redis} share, or null. The URL may hold a
   * password: it is never printed.
   */
  public record Redis(String url, Duration timeout) {
    @Override
    public String toString() {
      return "Redis[timeout=" + timeout + "]";
    }
  }

  /**
   * Adaptive load shedding for the whole gateway, or null when off: a limit on requests in flight
   * that follows the latency (Gradient2), between {@code minLimit} and {@code maxLimit}.
   */
  public record LoadShedding(int initialLimit, int minLimit, int maxLimit) {}

  /** An address to listen on. */
  public record Listener(String host, int port) {

    /**
     * {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code PORT} (on {@code defaultHost}).
     *
     * @throws IllegalArgumentException when it is none of these
     */
    public static Listener parse(String text, String defaultHost) {
      String t = text.trim();
      int colon = t.lastIndexOf(':');
      String host = colon < 0 ? defaultHost : t.substring(0, colon);
      boolean bracketed = host.startsWith("[") && host.endsWith("]");
      if (bracketed) {
        host = host.substring(1, host.length() - 1);
      } else if (host.indexOf(':') >= 0) {
        host = ""; // an IPv6 address needs brackets: [::1]:8080
      }
      int port;
      try {
        port = Integer.parseInt(t.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (host.isEmpty() || port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "expected HOST:PORT, [IPv6]:PORT or PORT (0 to 65535), got '" + text + "'");
      }
      return new Listener(host, port);
    }
  }

  /** A secret from the route file (a token, a key): never printed, whatever prints it. */
  public record Secret(String value) {
    @Override
    public String toString() {
      return "***";
    }
  }

  /** Request and connection limits. */
  public record Limits(
      long maxBodySize,
      int maxHeaderSize,
      int maxRequestLine,
      Duration headerTimeout,
      Duration idleTimeout,
      Duration requestTimeout,
      int maxConnections) {}

  /** A backend; the {@code type} decides which. */
  public sealed interface Backend
      permits HttpBackend, LambdaBackend, AzureFunctionBackend, MockBackend {
    String name();
  }

  /** How a target is picked for each request. */
  public enum Balance {
    ROUND_ROBIN,
    LEAST_REQUESTS,
    RANDOM,
    /** The first target in service, in the listed order (an edge's core regions). */
    FAILOVER
  }

  /** One {@code http://host:port/base} target. */
  public record Target(String host, int port, String basePath) {
    public String authority() {
      return port == 80 ? host : host + ":" + port;
    }

    @Override
    public String toString() {
      return "http://" + host + ":" + port + basePath;
    }
  }

  /**
   * An HTTP backend. {@code hostHeader} is {@code null} to keep the client's Host, {@code ""} to
   * send the target's authority, or a literal host name.
   */
  public record HttpBackend(
      String name,
      List<Target> targets,
      Balance balance,
      Duration timeout,
      Duration connectTimeout,
      String hostHeader,
      int maxConnections,
      CircuitBreaker circuitBreaker,
      Concurrency concurrency,
      Retry retry,
      Outlier outlier,
      HealthCheck healthCheck)
      implements Backend {
    public HttpBackend {
      targets = List.copyOf(targets);
    }
  }

  /**
   * A circuit breaker: {@code maxFailures} failures within {@code window} open it for {@code
   * openFor}.
   */
  public record CircuitBreaker(int maxFailures, Duration window, Duration openFor) {}

  /** A bulkhead: {@code max} in flight, {@code queue} waiting up to {@code queueTimeout}. */
  public record Concurrency(int max, int queue, Duration queueTimeout) {}

  /**
   * Retries: {@code attempts} in all (the first included); in any 10 s, retries at most {@code
   * budget} of the requests plus {@code minRetries}; a retry waits a random time up to {@code
   * backoff * 2^(retry-1)}, at most {@code maxBackoff}.
   */
  public record Retry(
      int attempts, double budget, int minRetries, Duration backoff, Duration maxBackoff) {}

  /**
   * Outlier ejection: {@code consecutiveFailures} in a row take a target out for {@code ejectFor}.
   */
  public record Outlier(int consecutiveFailures, Duration ejectFor) {}

  /** Active health checks of every target: GET {@code path} every {@code every}. */
  public record HealthCheck(
      String path, Duration every, Duration timeout, int unhealthyAfter, int healthyAfter) {}

  /**
   * An AWS Lambda function called through the Invoke API. {@code endpoint} is null for AWS's own;
   * {@code retry} always set (throttles are retried by default); {@code warm} null for no keep-warm
   * pings; {@code coldStartSample} the share of invocations made with the log tail (0: none).
   */
  public record LambdaBackend(
      String name,
      String function,
      String region,
      java.net.URI endpoint,
      boolean payloadV1,
      boolean async,
      Duration timeout,
      int maxConnections,
      Concurrency concurrency,
      CircuitBreaker circuitBreaker,
      Retry retry,
      Warm warm,
      double coldStartSample)
      implements Backend {}

  /**
   * An Azure Functions HTTP trigger. {@code url} is the function's URL: {@code path} may hold
   * whole-segment {@code {name}} variables of the route's path, {@code query} is the URL's own
   * query (or null); {@code key} is the function key, or null for an anonymous function.
   */
  public record AzureFunctionBackend(
      String name,
      boolean https,
      String host,
      int port,
      String path,
      String query,
      String key,
      Duration timeout,
      Duration connectTimeout,
      int maxConnections,
      Concurrency concurrency,
      CircuitBreaker circuitBreaker,
      Retry retry)
      implements Backend {

    /** Never the key: a record's toString would print it. */
    @Override
    public String toString() {
      return "AzureFunctionBackend["
          + name
          + " "
          + (https ? "https" : "http")
          + "://"
          + host
          + ":"
          + port
          + path
          + (key == null ? "" : " key=***")
          + "]";
    }
  }

  /** Keep-warm pings: every {@code every} (jittered), {@code instances} invocations at once. */
  public record Warm(Duration every, int instances) {}

  /** A backend that answers by itself: for demos, stubs and health routes. */
  public record MockBackend(String name, int status, List<Header> headers, String body)
      implements Backend {
    public MockBackend {
      headers = List.copyOf(headers);
    }
  }

  /** A header name and value. */
  public record Header(String name, String value) {}

  /** A route. {@code methods} and {@code hosts} empty mean any. */
  public record Route(
      String id,
      Set<String> methods,
      String path,
      List<String> hosts,
      String backend,
      List<PolicySpec> policies) {
    public Route {
      methods = Set.copyOf(methods);
      hosts = List.copyOf(hosts);
      policies = List.copyOf(policies);
    }
  }
}
