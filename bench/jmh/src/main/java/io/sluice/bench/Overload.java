package io.sluice.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The overload test (run by {@code bench/overload.sh}): a backend with a fixed number of workers
 * that becomes 10x slower under sustained load, and an open-loop load generator in front of the
 * gateway.
 *
 * <p>The backend serves each request on one of {@code workers} workers for {@code fastMs}
 * milliseconds (then {@code fastMs * factor} during the slow phase); requests beyond the workers
 * wait in its queue, as in a real server. At {@code rate} requests per second the fast backend has
 * room to spare; the slow one does not, so without protection its queue, and every request's
 * latency, grow for as long as the phase lasts.
 *
 * <p>The generator sends at a fixed rate whatever the answers (open loop), and measures each
 * latency from the moment the request was due, so a stalled gateway cannot hide its queue
 * (coordinated omission). Each second it prints what came back: 200s and 503s with their latencies,
 * other statuses, timeouts, requests in flight and the gateway's resident memory.
 *
 * <p>Settings are system properties: {@code url}, {@code backendPort}, {@code rate}, {@code
 * workers}, {@code fastMs}, {@code factor}, {@code phases} (name:seconds,...; the phase named
 * {@code slow} is the slow one), {@code pid} (the gateway's, for its memory).
 */
public final class Overload {

  static final String URL = System.getProperty("url", "http://127.0.0.1:18100/slow");
  static final int BACKEND_PORT = Integer.getInteger("backendPort", 18091);
  static final int RATE = Integer.getInteger("rate", 3000);
  static final int WORKERS = Integer.getInteger("workers", 64);
  static final long FAST_MS = Long.getLong("fastMs", 5);
  static final long FACTOR = Long.getLong("factor", 10);
  static final String PHASES = System.getProperty("phases", "warm:20,base:20,slow:30,recover:30");
  static final String PID = System.getProperty("pid", "");
  static final long TIMEOUT_MS = 10_000;

  /** The backend's service time now (ms); changed by the generator per phase. */
  static volatile long serviceMs = FAST_MS;

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(new Backend()).await();
    Generator gen = new Generator();
    String id = vertx.deployVerticle(gen).await();
    gen.done.await();
    // The generator's connections go first, then the backend: the other way round, the gateway
    // would see the backend drop requests in flight and count them as failures.
    vertx.undeploy(id).await();
    Thread.sleep(500);
    vertx.close().await();
  }

  /** A server with a fixed pool of workers and a queue, like a thread-per-request backend. */
  static final class Backend extends VerticleBase {
    private final ArrayDeque<HttpServerRequest> waiting = new ArrayDeque<>();
    private int busy;

    @Override
    public Future<?> start() {
      return vertx
          .createHttpServer()
          .requestHandler(
              req -> {
                if (busy < WORKERS) {
                  busy++;
                  serve(req);
                } else {
                  waiting.addLast(req);
                }
              })
          .listen(BACKEND_PORT, "127.0.0.1");
    }

    private void serve(HttpServerRequest req) {
      vertx.setTimer(
          serviceMs,
          id -> {
            if (!req.response().closed()) {
              req.response().end("done");
            }
            HttpServerRequest next;
            while ((next = waiting.pollFirst()) != null && next.response().closed()) {
              // the gateway gave up on it: no work
            }
            if (next != null) {
              serve(next);
            } else {
              busy--;
            }
          });
    }
  }

  /** Sends at a fixed rate and reports every second. */
  static final class Generator extends VerticleBase {
    final io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    final Future<Void> done = promise.future();
    private HttpClientAgent client;
    private RequestOptions options;
    private final List<String[]> phases = new ArrayList<>();
    private int phase;
    private long phaseStart;
    private long sentInPhase;
    private int second;
    private int inFlight;
    private long ticker;

    private final Histogram ok = histogram();
    private final Histogram shed = histogram();
    private int other;
    private int timeouts;
    private int sentThisSecond;

    private final Histogram phaseOk = histogram();
    private final Histogram phaseShed = histogram();
    private long phaseOther;
    private long phaseTimeouts;
    private long maxRss;

    @Override
    public Future<?> stop() {
      return client.close();
    }

    @Override
    public Future<?> start() {
      for (String p : PHASES.split(",")) {
        phases.add(p.split(":"));
      }
      java.net.URI u = java.net.URI.create(URL);
      options =
          new RequestOptions()
              .setMethod(HttpMethod.GET)
              .setHost(u.getHost())
              .setPort(u.getPort())
              .setURI(u.getRawPath())
              .setTimeout(TIMEOUT_MS);
      client =
          vertx
              .httpClientBuilder()
              .with(new HttpClientOptions().setKeepAlive(true).setPipelining(false))
              .with(new PoolOptions().setHttp1MaxSize(4000).setMaxWaitQueueSize(-1))
              .build();
      System.out.println(
          "rate "
              + RATE
              + "/s, backend "
              + WORKERS
              + " workers at "
              + FAST_MS
              + " ms, "
              + FACTOR
              + "x slower in phase 'slow'");
      System.out.println(
          "  t phase      sent    200  200p50  200p99  200max    503  503p50  503p99   other  tmout  inflight  rssMB");
      startPhase(System.nanoTime());
      ticker = vertx.setPeriodic(1, id -> tick());
      vertx.setPeriodic(1000, id -> report());
      return Future.succeededFuture();
    }

    private void startPhase(long now) {
      String[] p = phases.get(phase);
      serviceMs = p[0].equals("slow") ? FAST_MS * FACTOR : FAST_MS;
      phaseStart = now;
      sentInPhase = 0;
      phaseOk.reset();
      phaseShed.reset();
      phaseOther = 0;
      phaseTimeouts = 0;
      maxRss = 0;
    }

    /** Sends every request that is due by now, each stamped with the time it was due. */
    private void tick() {
      long now = System.nanoTime();
      long due = (now - phaseStart) * RATE / 1_000_000_000L;
      while (sentInPhase < due) {
        long dueAt = phaseStart + sentInPhase * 1_000_000_000L / RATE;
        sentInPhase++;
        sentThisSecond++;
        send(dueAt);
      }
    }

    private void send(long dueAt) {
      inFlight++;
      client
          .request(options)
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(b -> resp.statusCode()))
          .onComplete(
              ar -> {
                inFlight--;
                long micros = (System.nanoTime() - dueAt) / 1000;
                if (ar.failed()) {
                  timeouts++;
                  phaseTimeouts++;
                } else if (ar.result() == 200) {
                  ok.recordValue(micros);
                  phaseOk.recordValue(micros);
                } else if (ar.result() == 503) {
                  shed.recordValue(micros);
                  phaseShed.recordValue(micros);
                } else {
                  other++;
                  phaseOther++;
                }
              });
    }

    private void report() {
      second++;
      long rss = rssMb();
      maxRss = Math.max(maxRss, rss);
      System.out.printf(
          Locale.ROOT,
          "%3d %-8s %6d %6d %7s %7s %7s %6d %7s %7s %7d %6d %9d %6d%n",
          second,
          phases.get(phase)[0],
          sentThisSecond,
          ok.getTotalCount(),
          ms(ok, 50),
          ms(ok, 99),
          ms(ok, 100),
          shed.getTotalCount(),
          ms(shed, 50),
          ms(shed, 99),
          other,
          timeouts,
          inFlight,
          rss);
      ok.reset();
      shed.reset();
      other = 0;
      timeouts = 0;
      sentThisSecond = 0;
      long now = System.nanoTime();
      if (now - phaseStart >= Long.parseLong(phases.get(phase)[1]) * 1_000_000_000L) {
        summary();
        phase++;
        if (phase == phases.size()) {
          vertx.cancelTimer(ticker);
          promise.tryComplete();
          return;
        }
        startPhase(now);
      }
    }

    private void summary() {
      long all = phaseOk.getTotalCount() + phaseShed.getTotalCount() + phaseOther + phaseTimeouts;
      System.out.printf(
          Locale.ROOT,
          "== phase %s: %d answered; 200: %d (p50 %s p99 %s max %s ms); 503: %d (p50 %s p99 %s max"
              + " %s ms); other %d; timeouts %d; max RSS %d MB%n",
          phases.get(phase)[0],
          all,
          phaseOk.getTotalCount(),
          ms(phaseOk, 50),
          ms(phaseOk, 99),
          ms(phaseOk, 100),
          phaseShed.getTotalCount(),
          ms(phaseShed, 50),
          ms(phaseShed, 99),
          ms(phaseShed, 100),
          phaseOther,
          phaseTimeouts,
          maxRss);
    }

    private static String ms(Histogram h, double percentile) {
      if (h.getTotalCount() == 0) {
        return "-";
      }
      long v = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
      return String.format(Locale.ROOT, "%.1f", v / 1000.0);
    }

    private static long rssMb() {
      if (PID.isEmpty()) {
        return 0;
      }
      try {
        for (String line : Files.readAllLines(Path.of("/proc", PID, "status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
          }
        }
      } catch (Exception e) {
        return -1;
      }
      return -1;
    }

    private static Histogram histogram() {
      return new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    }
  }
}
