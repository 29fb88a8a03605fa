package io.sluice.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Units;
import io.sluice.gateway.config.SluiceConfig.AzureFunctionBackend;
import io.sluice.gateway.config.SluiceConfig.Backend;
import io.sluice.gateway.config.SluiceConfig.Balance;
import io.sluice.gateway.config.SluiceConfig.CircuitBreaker;
import io.sluice.gateway.config.SluiceConfig.Concurrency;
import io.sluice.gateway.config.SluiceConfig.CoreRegion;
import io.sluice.gateway.config.SluiceConfig.Edge;
import io.sluice.gateway.config.SluiceConfig.Gateway;
import io.sluice.gateway.config.SluiceConfig.Header;
import io.sluice.gateway.config.SluiceConfig.HealthCheck;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.config.SluiceConfig.Limits;
import io.sluice.gateway.config.SluiceConfig.Listener;
import io.sluice.gateway.config.SluiceConfig.LoadShedding;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import io.sluice.gateway.config.SluiceConfig.Outlier;
import io.sluice.gateway.config.SluiceConfig.PolicySpec;
import io.sluice.gateway.config.SluiceConfig.Retry;
import io.sluice.gateway.config.SluiceConfig.Role;
import io.sluice.gateway.config.SluiceConfig.Route;
import io.sluice.gateway.config.SluiceConfig.Target;
import io.sluice.gateway.config.SluiceConfig.Tier;
import io.sluice.gateway.config.SluiceConfig.Trust;
import io.sluice.gateway.policy.PolicyRegistry;
import io.sluice.gateway.routing.PathPattern;
import io.sluice.gateway.routing.RouteTable;
import io.sluice.policies.net.Cidr;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads, validates and binds a route file: YAML with positions, placeholders, the JSON Schema, then
 * the checks a schema cannot express (references, overlaps, path templates, addresses). Every error
 * is collected; nothing is half-loaded. Blocking (reads files): call it off the event loop.
 */
public final class ConfigLoader {

  /** Defaults, documented in the README and the schema. */
  public static final int DEFAULT_PORT = 8080;

  public static final int DEFAULT_ADMIN_PORT = 9901;
  public static final long DEFAULT_MAX_BODY = 10L << 20;
  public static final long DEFAULT_MAX_HEADER = 16L << 10;
  public static final long DEFAULT_MAX_REQUEST_LINE = 8L << 10;
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofMillis(100);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final int DEFAULT_BACKEND_CONNECTIONS = 64;

  /** What a core answers on its client port without an assertion, for an edge's health checks. */
  public static final String HEALTH_PATH = "/.sluice/health";

  /**
   * The retries of a function backend when its file says none: throttles and the platform's own
   * failures are worth up to two more attempts.
   */
  static final Retry FUNCTION_RETRY =
      new Retry(3, 0.2, 10, Duration.ofMillis(25), Duration.ofSeconds(1));

  /** Azure's front door ends an HTTP-triggered function's request after 230 s. */
  static final Duration AZURE_FRONT_DOOR_LIMIT = Duration.ofSeconds(230);

  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern HOST_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?");

  private final Function<String, String> env;
  private final ClassLoader classLoader;
  private final Listener listen;
  private final Listener admin;

  public ConfigLoader() {
    this(System::getenv);
  }

  /** With another source of environment variables (tests). */
  public ConfigLoader(Function<String, String> env) {
    this(env, ConfigLoader.class.getClassLoader());
  }

  /** With another class loader to find policy factories on. */
  public ConfigLoader(Function<String, String> env, ClassLoader classLoader) {
    this(env, classLoader, null, null);
  }

  private ConfigLoader(
      Function<String, String> env, ClassLoader classLoader, Listener listen, Listener admin) {
    this.env = env;
    this.classLoader = classLoader;
    this.listen = listen;
    this.admin = admin;
  }

  /**
   * A loader whose configs listen where the command line says ({@code null}: where the file says),
   * for the file it loads first and for every reload. The Helm chart sets both this way, so that
   * its probes, ports and Service match whatever route file it is given.
   */
  public ConfigLoader withListeners(Listener listen, Listener admin) {
    return new ConfigLoader(env, classLoader, listen, admin);
  }

  /** Loads a route file from disk. */
  public SluiceConfig load(Path file) throws ConfigException {
    return load(file.toString(), file.toAbsolutePath().getParent(), read(file));
  }

  /** A route file's text; a file that is missing or unreadable is a config error. */
  public static String read(Path file) throws ConfigException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw single(file.toString(), "the file does not exist");
    } catch (IOException e) {
      throw single(file.toString(), "the file cannot be read: " + e.getMessage());
    }
  }

  /**
   * Loads route-file text; {@code name} is used in messages, {@code baseDir} for relative paths.
   */
  public SluiceConfig load(String name, Path baseDir, String text) throws ConfigException {
    SourceDocument doc = new RouteFileParser(env).parse(name, baseDir, text);
    List<ConfigError> errors = new ArrayList<>();
    SchemaCheck.routeFile().check(doc, "", errors);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    PolicyRegistry registry = registry(doc, errors);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    List<ConfigError> warnings = new ArrayList<>();
    SluiceConfig config = new Binder(doc, errors, warnings, registry).bind();
    if (!errors.isEmpty()) {
      errors.sort(null);
      throw new ConfigException(errors);
    }
    return listen == null && admin == null ? config : config.withListeners(listen, admin);
  }

  private PolicyRegistry registry(SourceDocument doc, List<ConfigError> errors) {
    JsonNode dir = doc.root().path("gateway").path("plugins").path("dir");
    Path pluginsDir = dir.isTextual() ? doc.baseDir().resolve(dir.asText()) : null;
    try {
      return PolicyRegistry.load(classLoader, pluginsDir);
    } catch (IllegalStateException e) {
      errors.add(
          dir.isTextual()
              ? doc.error("/gateway/plugins/dir", e.getMessage())
              : new ConfigError(doc.fileName(), 0, 0, "", e.getMessage()));
      return null;
    }
  }

  private static ConfigException single(String file, String message) {
    return new ConfigException(List.of(new ConfigError(file, 0, 0, "", message)));
  }

  /** Turns a schema-valid tree into records, adding every cross-check failure to {@code errors}. */
  private static final class Binder {
    private final SourceDocument doc;
    private final List<ConfigError> errors;
    private final List<ConfigError> warnings;
    private final PolicyRegistry registry;

    Binder(
        SourceDocument doc,
        List<ConfigError> errors,
        List<ConfigError> warnings,
        PolicyRegistry registry) {
      this.doc = doc;
      this.errors = errors;
      this.warnings = warnings;
      this.registry = registry;
    }

    /** The policies of a list, each found in the registry and checked against its schema. */
    private List<PolicySpec> policies(JsonNode list, String pointer) {
      List<PolicySpec> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        String item = pointer + "/" + i;
        Map.Entry<String, JsonNode> only = null;
        int named = 0;
        for (Iterator<Map.Entry<String, JsonNode>> f = list.get(i).fields(); f.hasNext(); ) {
          Map.Entry<String, JsonNode> e = f.next();
          if (!e.getKey().equals("at")) {
            only = e;
            named++;
          }
        }
        if (named != 1) {
          errors.add(
              doc.error(
                  item,
                  named == 0
                      ? "expected a policy besides 'at', such as '- rate-limit: {...}'"
                      : "expected one policy per list item: start another with '-'"));
          continue;
        }
        boolean atCore = list.get(i).path("at").asText("edge").equals("core");
        String name = only.getKey();
        String at = SourceDocument.child(item, name);
        PolicyRegistry.Entry entry = registry.find(name);
        if (entry == null) {
          errors.add(
              doc.keyError(
                  at,
                  "unknown policy '"
                      + name
                      + "' (known: "
                      + (registry.names().isEmpty() ? "none" : String.join(", ", registry.names()))
                      + ")"));
          continue;
        }
        JsonNode config = only.getValue();
        if (config.isNull()) {
          config = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        } else {
          int before = errors.size();
          registry.schema(name).check(doc, at, errors);
          if (errors.size() > before) {
            continue;
          }
        }
        ConfigError where = doc.error(at, "");
        String location =
            where.file() + ":" + where.line() + ":" + where.column() + " " + where.path();
        out.add(
            new PolicySpec(
                name, entry.factory(), new JsonObject(config.toString()), location, atCore));
      }
      return out;
    }

    SluiceConfig bind() {
      JsonNode root = doc.root();
      Gateway gateway = gateway(root.path("gateway"));
      Map<String, Backend> backends = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = root.path("backends").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        Backend b = backend(e.getKey(), e.getValue(), "/backends/" + escape(e.getKey()), gateway);
        if (b != null) {
          backends.put(e.getKey(), b);
        }
      }
      List<PolicySpec> global = policies(root.path("policies"), "/policies");
      List<Route> routes = routes(root.path("routes"), backends);
      warnings.sort(null);
      return new SluiceConfig(
          doc.fileName(), doc.baseDir(), gateway, backends, global, routes, registry, warnings);
    }

    private Gateway gateway(JsonNode g) {
      JsonNode limits = g.path("limits");
      Limits l =
          new Limits(
              size(limits, "maxBodySize", "/gateway/limits/maxBodySize", DEFAULT_MAX_BODY),
              (int)
                  Math.min(
                      Integer.MAX_VALUE,
                      size(
                          limits,
                          "maxHeaderSize",
                          "/gateway/limits/maxHeaderSize",
                          DEFAULT_MAX_HEADER)),
              (int)
                  Math.min(
                      Integer.MAX_VALUE,
                      size(
                          limits,
                          "maxRequestLine",
                          "/gateway/limits/maxRequestLine",
                          DEFAULT_MAX_REQUEST_LINE)),
              duration(limits, "headerTimeout", DEFAULT_HEADER_TIMEOUT),
              duration(limits, "idleTimeout", DEFAULT_IDLE_TIMEOUT),
              duration(limits, "requestTimeout", DEFAULT_REQUEST_TIMEOUT),
              limits.path("maxConnections").asInt(DEFAULT_MAX_CONNECTIONS));
      List<Cidr> trusted = new ArrayList<>();
      JsonNode proxies = g.path("trustedProxies");
      for (int i = 0; i < proxies.size(); i++) {
        try {
          trusted.add(Cidr.parse(proxies.get(i).asText()));
        } catch (IllegalArgumentException e) {
          errors.add(
              doc.error("/gateway/trustedProxies/" + i, redact("/gateway/trustedProxies/" + i, e)));
        }
      }
      return new Gateway(
          listener(g.path("listen"), "0.0.0.0", DEFAULT_PORT),
          listener(g.path("admin"), "127.0.0.1", DEFAULT_ADMIN_PORT),
          l,
          trusted,
          g.path("accessLog").asBoolean(true),
          duration(g, "drainTimeout", DEFAULT_DRAIN_TIMEOUT),
          g.has("redis")
              ? new SluiceConfig.Redis(
                  g.path("redis").path("url").asText(),
                  duration(g.path("redis"), "timeout", DEFAULT_REDIS_TIMEOUT))
              : null,
          loadShedding(g.path("loadShedding"), "/gateway/loadShedding"),
          size(g.path("cache"), "maxSize", "/gateway/cache/maxSize", 64L * 1024 * 1024),
          g.path("admin").path("token").asText("").isEmpty()
              ? null
              : new SluiceConfig.Secret(g.path("admin").path("token").asText()),
          tier(g, l));
    }

    /** {@code role}, {@code region}, {@code trust} and {@code edge}, checked against each other. */
    private Tier tier(JsonNode g, Limits limits) {
      Role role = Role.valueOf(g.path("role").asText("standalone").toUpperCase(Locale.ROOT));
      String region = g.path("region").asText("");
      if (region.isEmpty()) {
        region = null;
      }
      if (role == Role.STANDALONE) {
        for (String unused : List.of("trust", "edge")) {
          if (g.has(unused)) {
            warnings.add(
                doc.keyError(
                    "/gateway/" + unused,
                    "gateway." + unused + " is not used with role: standalone"));
          }
        }
        return new Tier(role, region, null, null);
      }
      String name = role.name().toLowerCase(Locale.ROOT);
      Trust trust = null;
      if (!g.has("trust")) {
        errors.add(
            doc.keyError(
                "/gateway/role",
                "role: "
                    + name
                    + " needs gateway.trust: the key edges sign their assertions with"
                    + " (key: ${env:SLUICE_TIER_KEY})"));
      } else {
        trust = trust(g.path("trust"), role);
      }
      Edge edge = null;
      if (role == Role.EDGE) {
        if (!g.has("edge")) {
          errors.add(
              doc.keyError(
                  "/gateway/role",
                  "role: edge needs gateway.edge.core: the core regions to forward to"));
        } else {
          edge = edge(g.path("edge"), limits);
        }
      } // a core ignores gateway.edge: edges and cores load the same file
      return new Tier(role, region, trust, edge);
    }

    private Trust trust(JsonNode t, Role role) {
      String p = "/gateway/trust";
      String key = t.path("key").asText("");
      String privateKey = t.path("privateKey").asText("");
      String publicKey = t.path("publicKey").asText("");
      javax.crypto.SecretKey secret = null;
      java.security.PrivateKey priv = null;
      java.security.PublicKey pub = null;
      int before = errors.size();
      if (!key.isEmpty()) {
        secret = TierKeys.secret(key, doc, p + "/key", errors);
      }
      if (!privateKey.isEmpty()) {
        priv = TierKeys.privateKey(privateKey, doc, p + "/privateKey", errors);
      }
      if (!publicKey.isEmpty()) {
        pub = TierKeys.publicKey(publicKey, doc, p + "/publicKey", errors);
      }
      if (errors.size() > before) {
        return null;
      }
      if (role == Role.EDGE) {
        if (secret != null && priv != null) {
          errors.add(doc.error(p, "set key (HS256) or privateKey (ES256), not both"));
        } else if (secret == null && priv == null) {
          errors.add(
              doc.error(
                  p,
                  "an edge signs with key (a shared secret) or privateKey (EC P-256): none set"));
        }
      } else {
        if (secret != null && pub != null) {
          errors.add(doc.error(p, "set key (HS256) or publicKey (ES256), not both"));
        } else if (secret == null && pub == null) {
          errors.add(
              doc.error(
                  p, "a core checks with key (a shared secret) or publicKey (EC P-256): none set"));
        }
      }
      List<java.security.Key> previous = new ArrayList<>();
      JsonNode prev = t.path("previousKeys");
      for (int i = 0; i < prev.size(); i++) {
        String v = prev.get(i).asText("");
        String at = p + "/previousKeys/" + i;
        java.security.Key k =
            v.contains("-----BEGIN")
                ? TierKeys.publicKey(v, doc, at, errors)
                : TierKeys.secret(v, doc, at, errors);
        if (k != null) {
          previous.add(k);
        }
      }
      Duration ttl = duration(t, "ttl", Duration.ofSeconds(30));
      if (ttl.toMillis() % 1000 != 0 || ttl.isZero()) {
        errors.add(doc.error(p + "/ttl", "expected whole seconds, at least 1s"));
      }
      return new Trust(secret, priv, pub, previous, ttl);
    }

    private Edge edge(JsonNode e, Limits limits) {
      String p = "/gateway/edge";
      List<CoreRegion> regions = new ArrayList<>();
      Map<String, Integer> seen = new HashMap<>();
      JsonNode core = e.path("core");
      for (int i = 0; i < core.size(); i++) {
        String at = p + "/core/" + i;
        String region = core.get(i).path("region").asText();
        Integer dup = seen.putIfAbsent(region, i);
        if (dup != null) {
          errors.add(
              doc.error(at + "/region", "region '" + region + "' is already listed at " + dup));
        }
        try {
          regions.add(new CoreRegion(region, target(core.get(i).path("url").asText())));
        } catch (IllegalArgumentException x) {
          errors.add(doc.error(at + "/url", redact(at + "/url", x)));
        }
      }
      JsonNode f = e.path("failover");
      JsonNode h = e.path("healthCheck");
      HealthCheck check =
          h.isBoolean() && !h.asBoolean()
              ? null
              : healthCheck(h, p + "/healthCheck", HEALTH_PATH, Duration.ofSeconds(2), 2);
      HttpBackend backend =
          new HttpBackend(
              "core",
              regions.stream().map(CoreRegion::target).toList(),
              Balance.FAILOVER,
              duration(e, "timeout", limits.requestTimeout()),
              duration(e, "connectTimeout", Duration.ofSeconds(1)),
              null,
              e.path("maxConnections").asInt(DEFAULT_BACKEND_CONNECTIONS),
              null,
              null,
              new Retry(
                  Math.max(2, regions.size()),
                  f.path("budget").asDouble(1.0),
                  10,
                  Duration.ZERO,
                  Duration.ZERO),
              new Outlier(
                  f.path("consecutiveFailures").asInt(3),
                  duration(f, "ejectFor", Duration.ofSeconds(10))),
              check);
      return new Edge(regions, backend);
    }

    private LoadShedding loadShedding(JsonNode s, String pointer) {
      if (!s.path("adaptive").asBoolean(false)) {
        return null;
      }
      LoadShedding l =
          new LoadShedding(
              s.path("initialLimit").asInt(200),
              s.path("minLimit").asInt(20),
              s.path("maxLimit").asInt(2000));
      if (l.minLimit() > l.maxLimit()) {
        errors.add(doc.error(pointer + "/minLimit", "minLimit is above maxLimit"));
      } else if (l.initialLimit() < l.minLimit() || l.initialLimit() > l.maxLimit()) {
        errors.add(
            doc.error(
                pointer + "/initialLimit", "initialLimit must lie within minLimit..maxLimit"));
      }
      return l;
    }

    private static Listener listener(JsonNode n, String host, int port) {
      return new Listener(n.path("host").asText(host), n.path("port").asInt(port));
    }

    private Backend backend(String name, JsonNode b, String pointer, Gateway gateway) {
      String type = b.path("type").asText();
      if (type.equals("lambda")) {
        return lambda(name, b, pointer, gateway);
      }
      if (type.equals("azure-function")) {
        return azureFunction(name, b, pointer, gateway);
      }
      if (type.equals("mock")) {
        List<Header> headers = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = b.path("headers").fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> h = it.next();
          if (!HEADER_NAME.matcher(h.getKey()).matches()) {
            errors.add(
                doc.keyError(
                    pointer + "/headers/" + escape(h.getKey()),
                    "'" + h.getKey() + "' is not a valid header name"));
          }
          headers.add(new Header(h.getKey(), h.getValue().asText()));
        }
        return new MockBackend(
            name, b.path("status").asInt(200), headers, b.path("body").asText(""));
      }
      List<Target> targets = new ArrayList<>();
      JsonNode ts = b.path("targets");
      for (int i = 0; i < ts.size(); i++) {
        String p = pointer + "/targets/" + i;
        try {
          targets.add(target(ts.get(i).asText()));
        } catch (IllegalArgumentException e) {
          errors.add(doc.error(p, redact(p, e)));
        }
      }
      String host = b.path("host").asText("preserve");
      String hostHeader =
          switch (host) {
            case "preserve" -> null;
            case "target" -> "";
            default -> host;
          };
      if (hostHeader != null && !hostHeader.isEmpty() && !HOST_NAME.matcher(hostHeader).matches()) {
        errors.add(
            doc.error(
                pointer + "/host",
                "expected preserve, target or a host name such as api.internal"));
      }
      String balance = b.path("balance").asText("round-robin");
      return new HttpBackend(
          name,
          targets,
          Balance.valueOf(balance.toUpperCase(Locale.ROOT).replace('-', '_')),
          duration(b, "timeout", gateway.limits().requestTimeout()),
          duration(b, "connectTimeout", DEFAULT_CONNECT_TIMEOUT),
          hostHeader,
          b.path("maxConnections").asInt(DEFAULT_BACKEND_CONNECTIONS),
          circuitBreaker(b.get("circuitBreaker")),
          concurrency(b.get("concurrency")),
          retry(b.get("retry"), pointer + "/retry"),
          outlier(b.get("outlier")),
          healthCheck(b.get("healthCheck"), pointer + "/healthCheck"));
    }

    private LambdaBackend lambda(String name, JsonNode b, String pointer, Gateway gateway) {
      String endpoint = b.path("endpoint").asText("");
      java.net.URI uri = null;
      if (!endpoint.isEmpty()) {
        try {
          uri = new java.net.URI(endpoint);
          if (uri.getHost() == null
              || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new IllegalArgumentException();
          }
        } catch (Exception e) {
          errors.add(
              doc.error(
                  pointer + "/endpoint",
                  doc.isSubstituted(pointer + "/endpoint")
                      ? "invalid value (from a placeholder, not shown)"
                      : "expected an http:// or https:// URL, such as http://127.0.0.1:9001"));
          uri = null;
        }
      }
      Retry retry = retry(b.get("retry"), pointer + "/retry");
      boolean async = b.path("invocation").asText("sync").equals("async");
      if (async && b.path("coldStarts").path("sample").asDouble(0) > 0) {
        errors.add(
            doc.error(
                pointer + "/coldStarts",
                "cold starts can only be sampled with invocation: sync (Lambda returns no log"
                    + " tail for an Event invocation)"));
      }
      return new LambdaBackend(
          name,
          b.path("function").asText(),
          b.path("region").asText(),
          uri,
          b.path("payload").asText("v2").equals("v1"),
          async,
          duration(b, "timeout", gateway.limits().requestTimeout()),
          b.path("maxConnections").asInt(256),
          concurrency(b.get("concurrency")),
          circuitBreaker(b.get("circuitBreaker")),
          retry != null ? retry : FUNCTION_RETRY,
          warm(b.get("warm"), pointer + "/warm"),
          b.path("coldStarts").path("sample").asDouble(0));
    }

    private SluiceConfig.Warm warm(JsonNode w, String pointer) {
      if (w == null) {
        return null;
      }
      SluiceConfig.Warm warm =
          new SluiceConfig.Warm(
              duration(w, "every", Duration.ofMinutes(5)), w.path("instances").asInt(1));
      if (warm.every().compareTo(Duration.ofSeconds(1)) < 0) {
        errors.add(doc.error(pointer + "/every", "keep-warm pings at most once a second"));
      }
      return warm;
    }

    private AzureFunctionBackend azureFunction(
        String name, JsonNode b, String pointer, Gateway gateway) {
      String at = pointer + "/url";
      java.net.URI url = null;
      try {
        url = new java.net.URI(b.path("url").asText().replace("{", "%7B").replace("}", "%7D"));
        if (url.getHost() == null || url.getRawFragment() != null) {
          throw new IllegalArgumentException();
        }
      } catch (Exception e) {
        errors.add(
            doc.error(
                at,
                doc.isSubstituted(at)
                    ? "invalid value (from a placeholder, not shown)"
                    : "expected an http:// or https:// URL such as"
                        + " https://reports-app.azurewebsites.net/api/orders/{id}"));
        url = null;
      }
      String path = "/";
      if (url != null) {
        path = url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        path = path.replace("%7B", "{").replace("%7D", "}");
        try {
          PathPattern p = PathPattern.parse(path);
          if (p.kind() == PathPattern.Kind.PREFIX) {
            throw new IllegalArgumentException("'**' is for routes, not a function's URL");
          }
        } catch (IllegalArgumentException e) {
          errors.add(doc.error(at, "the URL's path: " + e.getMessage()));
        }
      }
      Duration timeout = duration(b, "timeout", gateway.limits().requestTimeout());
      if (timeout.compareTo(AZURE_FRONT_DOOR_LIMIT) > 0) {
        warnings.add(
            doc.error(
                b.has("timeout") ? pointer + "/timeout" : pointer,
                "Azure cuts HTTP-triggered functions off after 230 s (its load balancer's idle"
                    + " timeout); a longer timeout ("
                    + timeout.toSeconds()
                    + " s) never helps: use a durable function or a queue for longer work"));
      }
      Retry retry = retry(b.get("retry"), pointer + "/retry");
      boolean https = url != null && "https".equals(url.getScheme());
      return new AzureFunctionBackend(
          name,
          https,
          url == null ? "" : url.getHost(),
          url == null ? 0 : url.getPort() > 0 ? url.getPort() : https ? 443 : 80,
          path,
          url == null ? null : url.getRawQuery(),
          b.path("key").asText("").isEmpty() ? null : b.get("key").asText(),
          timeout,
          duration(b, "connectTimeout", Duration.ofSeconds(5)),
          b.path("maxConnections").asInt(256),
          concurrency(b.get("concurrency")),
          circuitBreaker(b.get("circuitBreaker")),
          retry != null ? retry : FUNCTION_RETRY);
    }

    private Retry retry(JsonNode r, String pointer) {
      if (r == null) {
        return null;
      }
      Retry retry =
          new Retry(
              r.path("attempts").asInt(2),
              r.path("budget").asDouble(0.2),
              r.path("minRetries").asInt(10),
              duration(r, "backoff", Duration.ofMillis(25)),
              duration(r, "maxBackoff", Duration.ofSeconds(1)));
      if (retry.backoff().compareTo(retry.maxBackoff()) > 0) {
        errors.add(doc.error(pointer + "/backoff", "backoff is longer than maxBackoff"));
      }
      return retry;
    }

    private static Outlier outlier(JsonNode o) {
      if (o == null) {
        return null;
      }
      return new Outlier(
          o.path("consecutiveFailures").asInt(5), duration(o, "ejectFor", Duration.ofSeconds(30)));
    }

    private HealthCheck healthCheck(JsonNode h, String pointer) {
      if (h == null) {
        return null;
      }
      return healthCheck(h, pointer, h.path("path").asText(), Duration.ofSeconds(5), 1);
    }

    /**
     * Active checks of {@code path}; {@code every} and {@code healthyAfter} default as given, the
     * timeout to 1s and {@code unhealthyAfter} to 2.
     */
    private HealthCheck healthCheck(
        JsonNode h, String pointer, String path, Duration every, int healthyAfter) {
      HealthCheck check =
          new HealthCheck(
              path,
              duration(h, "every", every),
              duration(h, "timeout", Duration.ofSeconds(1)),
              h.path("unhealthyAfter").asInt(2),
              h.path("healthyAfter").asInt(healthyAfter));
      if (check.timeout().compareTo(check.every()) > 0) {
        errors.add(doc.error(pointer + "/timeout", "timeout is longer than the interval (every)"));
      }
      return check;
    }

    private static CircuitBreaker circuitBreaker(JsonNode c) {
      if (c == null) {
        return null;
      }
      return new CircuitBreaker(
          c.path("maxFailures").asInt(5),
          duration(c, "window", Duration.ofSeconds(10)),
          duration(c, "openFor", Duration.ofSeconds(15)));
    }

    private static Concurrency concurrency(JsonNode c) {
      if (c == null) {
        return null;
      }
      return new Concurrency(
          c.path("max").asInt(),
          c.path("queue").asInt(0),
          duration(c, "queueTimeout", Duration.ofMillis(100)));
    }

    private static Target target(String url) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (Exception e) {
        throw new IllegalArgumentException("not a URL (expected: http://host:port)");
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("no host (expected: http://host:port)");
      }
      int port = uri.getPort() < 0 ? 80 : uri.getPort();
      if (port == 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " (expected: 1 to 65535)");
      }
      String base = uri.getRawPath() == null ? "" : uri.getRawPath();
      if (base.endsWith("/")) {
        base = base.substring(0, base.length() - 1);
      }
      String host = uri.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Target(host, port, base);
    }

    private List<Route> routes(JsonNode rs, Map<String, Backend> backends) {
      List<Route> routes = new ArrayList<>();
      Map<String, Integer> ids = new HashMap<>();
      RouteTable.Builder<String> table = RouteTable.builder();
      for (int i = 0; i < rs.size(); i++) {
        JsonNode r = rs.get(i);
        String p = "/routes/" + i;
        String id = r.path("id").asText();
        Integer first = ids.putIfAbsent(id, i);
        if (first != null) {
          errors.add(
              doc.error(p + "/id", "duplicate route id '" + id + "' (also routes[" + first + "])"));
        }
        String backend = r.path("backend").asText();
        if (!backends.containsKey(backend)) {
          errors.add(
              doc.error(
                  p + "/backend",
                  "no backend named '"
                      + backend
                      + "' (known: "
                      + (backends.isEmpty() ? "none" : String.join(", ", backends.keySet()))
                      + ")"));
        }
        JsonNode match = r.path("match");
        Set<String> methods = new LinkedHashSet<>();
        match.path("methods").forEach(m -> methods.add(m.asText()));
        List<String> hosts = new ArrayList<>();
        match.path("hosts").forEach(h -> hosts.add(h.asText().toLowerCase(Locale.ROOT)));
        String path = match.path("path").asText();
        try {
          PathPattern pattern = PathPattern.parse(path);
          table.add(id, pattern, methods, hosts, id);
          if (backends.get(backend) instanceof AzureFunctionBackend az) {
            for (String v : PathPattern.parse(az.path()).variables()) {
              if (!pattern.variables().contains(v)) {
                errors.add(
                    doc.error(
                        p + "/backend",
                        "backend '"
                            + backend
                            + "' needs the path variable {"
                            + v
                            + "}, which this route's path "
                            + path
                            + " does not have"));
              }
            }
          }
        } catch (IllegalArgumentException e) {
          errors.add(doc.error(p + "/match/path", e.getMessage()));
        }
        routes.add(
            new Route(
                id, methods, path, hosts, backend, policies(r.path("policies"), p + "/policies")));
      }
      return routes;
    }

    private long size(JsonNode parent, String key, String pointer, long dflt) {
      JsonNode n = parent.get(key);
      if (n == null) {
        return dflt;
      }
      if (n.isNumber()) {
        return n.asLong();
      }
      try {
        return Units.size(n.asText());
      } catch (IllegalArgumentException | ArithmeticException e) {
        errors.add(doc.error(pointer, "too large"));
        return dflt;
      }
    }

    private static Duration duration(JsonNode parent, String key, Duration dflt) {
      JsonNode n = parent.get(key);
      return n == null ? dflt : Units.duration(n.asText());
    }

    private String redact(String pointer, IllegalArgumentException e) {
      return doc.isSubstituted(pointer)
          ? "invalid value (from a placeholder, not shown)"
          : e.getMessage();
    }

    private static String escape(String key) {
      return key.replace("~", "~0").replace("/", "~1");
    }
  }
}
