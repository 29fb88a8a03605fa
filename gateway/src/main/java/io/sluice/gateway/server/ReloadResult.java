package io.sluice.gateway.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a reload did: {@code applied} (the new config is in force), {@code unchanged} (the file's
 * text is the one in force; nothing done) or {@code refused} (invalid or could not start: the
 * config in force stays; {@code errors} say why, with file, line and column).
 *
 * @param notApplied settings that changed but only take effect at the next start
 * @param policiesKept policies (and their state) that carried over unchanged
 * @param backendsKept backends whose state (circuit, health, budgets, clients) carried over
 */
public record ReloadResult(
    String outcome,
    List<String> errors,
    List<String> notApplied,
    int routes,
    int policiesKept,
    int backends,
    int backendsKept) {

  public ReloadResult {
    errors = List.copyOf(errors);
    notApplied = List.copyOf(notApplied);
  }

  static ReloadResult refused(List<String> errors) {
    return new ReloadResult("refused", errors, List.of(), 0, 0, 0, 0);
  }

  static ReloadResult unchanged() {
    return new ReloadResult("unchanged", List.of(), List.of(), 0, 0, 0, 0);
  }

  static ReloadResult applied(GatewayRuntime old, GatewayRuntime next, List<String> notApplied) {
    int kept = next.units.length - next.unitsLeftBy(old).size();
    return new ReloadResult(
        "applied",
        List.of(),
        notApplied,
        next.table.size(),
        next.policies.reused(),
        next.units.length,
        kept);
  }

  public boolean applied() {
    return outcome.equals("applied");
  }

  String summary() {
    String s =
        routes
            + " routes, "
            + policiesKept
            + " policies unchanged, "
            + backends
            + " backends ("
            + backendsKept
            + " unchanged)";
    return notApplied.isEmpty() ? s : s + "; at the next start only: " + notApplied;
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject().put("outcome", outcome);
    if (!errors.isEmpty()) {
      o.put("errors", new JsonArray(errors));
    }
    if (applied()) {
      o.put("routes", routes)
          .put("policiesUnchanged", policiesKept)
          .put("backends", backends)
          .put("backendsUnchanged", backendsKept);
    }
    if (!notApplied.isEmpty()) {
      o.put("notApplied", new JsonArray(notApplied));
    }
    return o;
  }
}
