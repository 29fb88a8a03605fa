package io.sluice.policies;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What one gateway's policies share (the response store, a Redis connection), one per Vert.x
 * instance and key: made on first use, and forgotten (closed, when it is {@link AutoCloseable})
 * when that Vert.x closes. Policies live as long as a config; these outlive reloads.
 */
public final class PerVertx {

  private static final Map<List<Object>, Object> VALUES = new ConcurrentHashMap<>();

  private PerVertx() {}

  /** The value of this Vert.x for {@code key}, made by {@code make} the first time. */
  @SuppressWarnings("unchecked")
  public static <T> T get(Vertx vertx, List<?> key, Supplier<T> make) {
    List<Object> k = new ArrayList<>(key.size() + 1);
    k.add(vertx); // a Vert.x is equal only to itself
    k.addAll(key);
    return (T)
        VALUES.computeIfAbsent(
            List.copyOf(k),
            kk -> {
              T value = make.get();
              vertx.deployVerticle(
                  new AbstractVerticle() {
                    @Override
                    public void stop() throws Exception {
                      VALUES.remove(kk);
                      if (value instanceof AutoCloseable c) {
                        c.close();
                      }
                    }
                  });
              return value;
            });
  }

  /** The values of this Vert.x whose key starts with {@code first}. */
  public static <T> List<T> all(Vertx vertx, Object first, Class<T> type) {
    List<T> out = new ArrayList<>();
    VALUES.forEach(
        (k, v) -> {
          if (k.get(0) == vertx && k.size() > 1 && k.get(1).equals(first) && type.isInstance(v)) {
            out.add(type.cast(v));
          }
        });
    return out;
  }
}
