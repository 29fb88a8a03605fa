package io.sluice.it.support;

import io.sluice.api.Exchange;
import io.sluice.api.Phase;
import io.sluice.api.Policy;
import io.sluice.api.PolicyContext;
import io.sluice.api.PolicyFactory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Policies that only tests use, found on the test class path like any plugin. */
public final class TestPolicies {

  private TestPolicies() {}

  static final String TAG_SCHEMA =
      "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"tag\"],"
          + "\"properties\":{\"tag\":{\"type\":\"string\"}}}";

  /** Appends its tag to X-Trace on the request and X-Trace-Back on the response. */
  abstract static class Recorder implements PolicyFactory {
    @Override
    public String configSchema() {
      return TAG_SCHEMA;
    }

    @Override
    public Policy create(JsonObject config, PolicyContext context) {
      String tag = config.getString("tag");
      return new Policy() {
        @Override
        public Future<Void> onRequest(Exchange ex) {
          String t = ex.requestHeaders().get("X-Trace");
          ex.requestHeaders().set("X-Trace", t == null ? tag : t + "," + tag);
          ex.requestHeaders()
              .set("X-On-Loop-" + tag, String.valueOf(Context.isOnEventLoopThread()));
          // asynchronous on purpose: the chain must wait for it
          return context.vertx().timer(1).mapEmpty();
        }

        @Override
        public Future<Void> onResponse(Exchange ex) {
          String t = ex.responseHeaders().get("X-Trace-Back");
          ex.responseHeaders().set("X-Trace-Back", t == null ? tag : t + "," + tag);
          return Future.succeededFuture();
        }
      };
    }
  }

  public static final class PreRecorder extends Recorder {
    @Override
    public String name() {
      return "test-pre";
    }

    @Override
    public Phase phase() {
      return Phase.PRE;
    }
  }

  public static final class TransformRecorder extends Recorder {
    @Override
    public String name() {
      return "test-transform";
    }

    @Override
    public Phase phase() {
      return Phase.TRANSFORM;
    }
  }

  /** Shows the backend who the gateway thinks is calling: X-Principal and X-Scopes. */
  public static final class WhoAmI implements PolicyFactory {
    @Override
    public String name() {
      return "test-whoami";
    }

    @Override
    public Phase phase() {
      return Phase.TRANSFORM;
    }

    @Override
    public String configSchema() {
      return "{\"type\":\"object\",\"additionalProperties\":false}";
    }

    @Override
    public Policy create(JsonObject config, PolicyContext context) {
      return new Policy() {
        @Override
        public Future<Void> onRequest(Exchange ex) {
          ex.requestHeaders().set("X-Principal", String.valueOf(ex.principal()));
          java.util.List<String> scopes = ex.attribute(io.sluice.api.StandardAttributes.SCOPES);
          ex.requestHeaders().set("X-Scopes", String.valueOf(scopes));
          return Future.succeededFuture();
        }
      };
    }
  }

  /** A future completed by a thread that is not Vert.x's, as a client library's callback is. */
  static Future<Void> onAPlainThread() {
    java.util.concurrent.CompletableFuture<Void> cf =
        new java.util.concurrent.CompletableFuture<>();
    new Thread(() -> cf.complete(null), "not-vertx").start();
    return Future.fromCompletionStage(cf);
  }

  /** Fails, throws, reads the body, or completes on a foreign thread, as configured. */
  public static final class Misbehaving implements PolicyFactory {
    @Override
    public String name() {
      return "test-misbehaving";
    }

    @Override
    public Phase phase() {
      return Phase.VALIDATE;
    }

    @Override
    public String configSchema() {
      return "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"mode\"],"
          + "\"properties\":{\"mode\":{\"enum\":[\"throw\",\"fail\",\"echo-body\",\"bad-config\",\"foreign-thread\"]}}}";
    }

    @Override
    public Policy create(JsonObject config, PolicyContext context) {
      String mode = config.getString("mode");
      if (mode.equals("bad-config")) {
        throw new IllegalArgumentException("this config cannot work");
      }
      return new Policy() {
        @Override
        public Future<Void> onRequest(Exchange ex) {
          switch (mode) {
            case "throw":
              throw new IllegalStateException("secret internal detail");
            case "fail":
              return Future.failedFuture(new IllegalStateException("secret internal detail"));
            case "foreign-thread":
              return onAPlainThread();
            default:
              ex.requestHeaders().set("X-Body-Length", String.valueOf(ex.body().length()));
              return Future.succeededFuture();
          }
        }

        @Override
        public Future<Void> onResponse(Exchange ex) {
          return mode.equals("foreign-thread") ? onAPlainThread() : Future.succeededFuture();
        }

        @Override
        public boolean needsRequestBody() {
          return mode.equals("echo-body");
        }
      };
    }
  }
}
