package io.sluice.gateway.policy;

import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.PolicySpec;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A route's policies in the order a request meets them: by phase, then global before route, then
 * file order. Built once per config; immutable; shared by every event loop.
 */
public final class PolicyChain {

  /** One policy in the chain, with what the messages and the printout need. */
  public record Link(
      String name, Phase phase, boolean global, Policy policy, boolean hasResponseHook) {}

  private static final PolicyChain EMPTY = new PolicyChain(List.of());

  private final List<Link> links;
  private final boolean needsBody;
  private final boolean hasResponseHooks;

  private PolicyChain(List<Link> links) {
    this.links = List.copyOf(links);
    this.needsBody = links.stream().anyMatch(l -> l.policy().needsRequestBody());
    this.hasResponseHooks = links.stream().anyMatch(Link::hasResponseHook);
  }

  /** Orders the specs (stable: global before route within a phase, then file order). */
  public static List<Spec> order(List<PolicySpec> global, List<PolicySpec> route) {
    List<Spec> all = new ArrayList<>();
    global.forEach(s -> all.add(new Spec(s, true)));
    route.forEach(s -> all.add(new Spec(s, false)));
    all.sort(Comparator.comparing((Spec s) -> s.spec().phase()).thenComparing(s -> !s.global()));
    return all;
  }

  /** A spec and whether it is global. */
  public record Spec(PolicySpec spec, boolean global) {}

  /**
   * Creates the chain of one route. A factory's {@link IllegalArgumentException} becomes one with
   * the policy's place in the route file. {@code checkOnly}: the policies are made to check their
   * config and will see no request ({@code sluice validate}). Policies are taken over from {@code
   * kept} (a reload's previous policies, or null) where the route, place, name, settings and
   * gateway settings are all unchanged: the same instance, with its state (rate-limit buckets,
   * verified-token caches). New ones go into it.
   */
  public static PolicyChain create(
      Vertx vertx,
      Path baseDir,
      String routeId,
      JsonObject settings,
      io.opentelemetry.api.metrics.Meter meter,
      List<PolicySpec> global,
      List<PolicySpec> route,
      boolean checkOnly,
      Kept kept) {
    List<Spec> ordered = order(global, route);
    if (ordered.isEmpty()) {
      return EMPTY;
    }
    PolicyContext context = new Context(vertx, baseDir, routeId, settings, meter, checkOnly);
    List<Link> links = new ArrayList<>();
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    for (Spec s : ordered) {
      JsonObject identity = null;
      Policy p = null;
      if (kept != null && s.spec().factory().keptAcrossReloads()) {
        String name = s.spec().name();
        int occurrence = seen.merge(name + s.global(), 1, Integer::sum);
        identity =
            new JsonObject()
                .put("route", routeId)
                .put("global", s.global())
                .put("name", name)
                .put("occurrence", occurrence)
                .put("config", s.spec().config())
                .put("settings", settings)
                .put("baseDir", String.valueOf(baseDir));
        p = kept.previous.get(identity);
      }
      if (p == null) {
        try {
          p = s.spec().factory().create(s.spec().config(), context);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(s.spec().location() + ": " + e.getMessage(), e);
        }
      } else {
        kept.reused++;
      }
      if (identity != null) {
        kept.next.put(identity, p);
      }
      links.add(new Link(s.spec().name(), s.spec().phase(), s.global(), p, overridesOnResponse(p)));
    }
    return new PolicyChain(links);
  }

  /**
   * The policies of a running config, by what they were made from, for a reload to take over; and
   * those the reload makes or takes, for the one after.
   */
  public static final class Kept {
    private final java.util.Map<JsonObject, Policy> previous;
    private final java.util.Map<JsonObject, Policy> next = new java.util.HashMap<>();
    private int reused;

    public Kept(Kept before) {
      this.previous = before == null ? java.util.Map.of() : before.next;
    }

    /** How many policies this reload took over. */
    public int reused() {
      return reused;
    }
  }

  private static boolean overridesOnResponse(Policy p) {
    try {
      return p.getClass().getMethod("onResponse", io.sluice.api.Exchange.class).getDeclaringClass()
          != Policy.class;
    } catch (NoSuchMethodException e) {
      return true;
    }
  }

  public List<Link> links() {
    return links;
  }

  public boolean isEmpty() {
    return links.isEmpty();
  }

  /** Whether a policy reads the request body (then it is buffered for this route). */
  public boolean needsBody() {
    return needsBody;
  }

  /** Whether any policy has a response hook (otherwise responses pass without a stop). */
  public boolean hasResponseHooks() {
    return hasResponseHooks;
  }

  /** What of the gateway section policies may read: {@code redis}, {@code cache}. */
  public static JsonObject settings(SluiceConfig.Gateway gateway) {
    JsonObject s = new JsonObject();
    s.put("cache", new JsonObject().put("maxSize", gateway.cacheMaxSize()));
    if (gateway.redis() != null) {
      s.put(
          "redis",
          new JsonObject()
              .put("url", gateway.redis().url())
              .put("timeout", gateway.redis().timeout().toMillis() + "ms"));
    }
    return s;
  }

  private record Context(
      Vertx vertx,
      Path baseDir,
      String routeId,
      JsonObject settings,
      io.opentelemetry.api.metrics.Meter meter,
      boolean checkOnly)
      implements PolicyContext {
    @Override
    public JsonObject gatewaySettings() {
      return settings.copy();
    }

    @Override
    public Clock clock() {
      return Clock.systemUTC();
    }

    @Override
    public Path resolve(String path) {
      return baseDir == null ? Path.of(path) : baseDir.resolve(path);
    }
  }
}
