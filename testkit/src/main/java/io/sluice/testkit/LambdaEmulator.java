package io.sluice.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * A loopback emulator of the Lambda Invoke API ({@code POST
 * /2015-03-31/functions/NAME/invocations}) for tests: the real AWS SDK client talks to it. Every
 * request's SigV4 signature is recomputed with the SDK's own signer and the test credentials; a
 * wrong one is refused 403 as AWS refuses it, and counted.
 *
 * <p>Functions, by name (a {@code :qualifier} is accepted and recorded):
 *
 * <ul>
 *   <li>{@code echo}: a proxy response whose body is the event it received (JSON);
 *   <li>{@code bare}: {@code {"hello":"world"}}, JSON without {@code statusCode};
 *   <li>{@code cookies}: status 201, two cookies and a base64 binary body;
 *   <li>{@code error}: a function error ({@code X-Amz-Function-Error: Unhandled}) with a stack;
 *   <li>{@code malformed}: a proxy response whose {@code statusCode} is not a number;
 *   <li>{@code throttled}: 429 TooManyRequestsException while {@link #throttle(int)} has some left,
 *       then like {@code echo};
 *   <li>{@code slow}: like {@code echo} after {@link #slowMs(long)};
 *   <li>{@code cold}: like {@code echo}; each qualifier ({@code cold}, {@code cold:a}, ...) is its
 *       own function whose first call is a cold start, reported as an {@code Init Duration} in the
 *       log tail when the caller asks for the tail ({@code X-Amz-Log-Type: Tail});
 *   <li>any other name: 404 ResourceNotFoundException.
 * </ul>
 *
 * An {@code Event} invocation of a known function is answered 202 at once. A payload over Lambda's
 * limits (6 MB sync, 1 MB Event, or {@link #payloadLimit(long)}) is refused 413
 * RequestEntityTooLargeException without invoking.
 */
public final class LambdaEmulator {

  public static final String ACCESS_KEY = "AKIDSLUICETESTKEY0001";
  public static final String SECRET_KEY = "sluice-test-secret-key-do-not-use-anywhere";
  public static final String REGION = "eu-west-1";

  private static final Pattern PATH =
      Pattern.compile("^/2015-03-31/functions/([^/]+)/invocations$");
  private static final Pattern CREDENTIAL =
      Pattern.compile("Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request");
  private static final Pattern SIGNED_HEADERS = Pattern.compile("SignedHeaders=([^,]+)");
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);

  /** One invocation as received. */
  public record Invocation(
      String function, String qualifier, String type, String logType, JsonObject event) {}

  /** The latest {@link #KEPT} invocations (a load test makes millions). */
  private final ConcurrentLinkedDeque<Invocation> invocations = new ConcurrentLinkedDeque<>();

  private final AtomicInteger kept = new AtomicInteger();
  private static final int KEPT = 10_000;
  private final AtomicInteger signatureFailures = new AtomicInteger();
  private final AtomicInteger throttles = new AtomicInteger();
  private final java.util.Map<String, AtomicInteger> coldCalls =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile long payloadLimit = -1;
  private final AtomicInteger tooLarge = new AtomicInteger();
  private volatile long slowMs = 1000;
  private volatile boolean verify = true;
  private HttpServer server;

  /** Starts on a free loopback port. */
  public LambdaEmulator start(Vertx vertx) {
    return start(vertx, 0);
  }

  /** Starts on this loopback port (0: a free one). */
  public LambdaEmulator start(Vertx vertx, int port) {
    server =
        Await.result(
            vertx.createHttpServer().requestHandler(this::handle).listen(port, "127.0.0.1"), 10);
    return this;
  }

  /**
   * Whether signatures are checked (default true). Off only for load tests, where the check would
   * take CPU from the gateway being measured.
   */
  public LambdaEmulator verifySignatures(boolean check) {
    this.verify = check;
    return this;
  }

  public void stop() {
    if (server != null) {
      Await.result(server.close(), 10);
      server = null;
    }
  }

  /** {@code http://127.0.0.1:PORT}: the backend's {@code endpoint}. */
  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** The next {@code n} invocations of {@code throttled} get a 429. */
  public void throttle(int n) {
    throttles.set(n);
  }

  /** A lower payload limit than Lambda's, for every invocation (-1: Lambda's own). */
  public void payloadLimit(long bytes) {
    payloadLimit = bytes;
  }

  /** Payloads refused 413 for their size (a gateway that checks first sends none). */
  public int tooLargeRefusals() {
    return tooLarge.get();
  }

  /** How long {@code slow} takes. */
  public void slowMs(long ms) {
    slowMs = ms;
  }

  public List<Invocation> invocations() {
    return List.copyOf(invocations);
  }

  /** The invocations of one function. */
  public List<Invocation> invocations(String function) {
    return invocations.stream().filter(i -> i.function().equals(function)).toList();
  }

  /** Requests whose signature did not verify (every test expects 0). */
  public int signatureFailures() {
    return signatureFailures.get();
  }

  private void handle(HttpServerRequest req) {
    req.body()
        .onSuccess(
            body -> {
              String problem = verify ? verify(req, body) : null;
              if (problem != null) {
                signatureFailures.incrementAndGet();
                error(req.response(), 403, "InvalidSignatureException", problem);
                return;
              }
              Matcher m = PATH.matcher(req.path());
              if (!m.matches() || !req.method().name().equals("POST")) {
                error(req.response(), 404, "UnknownOperationException", "no such operation");
                return;
              }
              String name = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
              String qualifier = req.getParam("Qualifier");
              int colon = name.indexOf(':');
              if (colon > 0 && !name.startsWith("arn:")) {
                qualifier = name.substring(colon + 1);
                name = name.substring(0, colon);
              }
              String type = header(req, "X-Amz-Invocation-Type", "RequestResponse");
              String logType = header(req, "X-Amz-Log-Type", "None");
              long limit =
                  payloadLimit >= 0
                      ? payloadLimit
                      : type.equals("Event") ? 1024L * 1024 : 6L * 1024 * 1024;
              if (body.length() > limit) {
                tooLarge.incrementAndGet();
                error(
                    req.response(),
                    413,
                    "RequestEntityTooLargeException",
                    "Request must be smaller than " + limit + " bytes for the Invoke operation");
                return;
              }
              JsonObject event;
              try {
                event = body.length() == 0 ? new JsonObject() : body.toJsonObject();
              } catch (RuntimeException e) {
                error(req.response(), 400, "InvalidRequestContentException", "not JSON");
                return;
              }
              invocations.addLast(new Invocation(name, qualifier, type, logType, event));
              if (kept.incrementAndGet() > KEPT && invocations.pollFirst() != null) {
                kept.decrementAndGet();
              }
              invoke(req.response(), name, qualifier, type, logType, event);
            });
  }

  private void invoke(
      HttpServerResponse res,
      String name,
      String qualifier,
      String type,
      String logType,
      JsonObject event) {
    if (!List.of("echo", "bare", "cookies", "error", "malformed", "throttled", "slow", "cold")
        .contains(name)) {
      error(res, 404, "ResourceNotFoundException", "Function not found: " + name);
      return;
    }
    if (name.equals("throttled") && throttles.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      res.putHeader("x-amzn-ErrorType", "TooManyRequestsException");
      error(
          res,
          429,
          "TooManyRequestsException",
          "Rate Exceeded.",
          new JsonObject().put("Reason", "ReservedFunctionConcurrentInvocationLimitExceeded"));
      return;
    }
    res.putHeader("x-amzn-RequestId", UUID.randomUUID().toString());
    if (type.equals("Event")) {
      res.setStatusCode(202).end();
      return;
    }
    res.putHeader("X-Amz-Executed-Version", "$LATEST");
    switch (name) {
      case "bare" -> res.end(new JsonObject().put("hello", "world").encode());
      case "cookies" ->
          res.end(
              new JsonObject()
                  .put("statusCode", 201)
                  .put("headers", new JsonObject().put("content-type", "image/png"))
                  .put("cookies", new JsonArray().add("a=1; Path=/").add("b=2; HttpOnly"))
                  .put(
                      "body",
                      Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))
                  .put("isBase64Encoded", true)
                  .encode());
      case "error" ->
          res.putHeader("X-Amz-Function-Error", "Unhandled")
              .end(
                  new JsonObject()
                      .put("errorMessage", "database password=hunter2 rejected")
                      .put("errorType", "RuntimeException")
                      .put("stackTrace", new JsonArray().add("at handler (index.js:3)"))
                      .encode());
      case "malformed" -> res.end(new JsonObject().put("statusCode", "nope").encode());
      case "slow" -> Vertx.currentContext().owner().setTimer(slowMs, id -> echo(res, event, null));
      case "cold" -> {
        String tail = null;
        if (logType.equals("Tail")) {
          boolean first =
              coldCalls
                      .computeIfAbsent(qualifier == null ? "" : qualifier, q -> new AtomicInteger())
                      .getAndIncrement()
                  == 0;
          tail =
              "START RequestId: x\nEND RequestId: x\nREPORT RequestId: x\tDuration: 2.00 ms\t"
                  + (first ? "Init Duration: 123.45 ms\t" : "")
                  + "\n";
        }
        echo(res, event, tail);
      }
      default -> echo(res, event, null);
    }
  }

  private static void echo(HttpServerResponse res, JsonObject event, String logTail) {
    if (res.closed()) {
      return;
    }
    if (logTail != null) {
      res.putHeader(
          "X-Amz-Log-Result",
          Base64.getEncoder().encodeToString(logTail.getBytes(StandardCharsets.UTF_8)));
    }
    res.end(
        new JsonObject()
            .put("statusCode", 200)
            .put("headers", new JsonObject().put("content-type", "application/json"))
            .put("body", event.encode())
            .encode());
  }

  private static void error(HttpServerResponse res, int status, String type, String message) {
    error(res, status, type, message, new JsonObject());
  }

  private static void error(
      HttpServerResponse res, int status, String type, String message, JsonObject extra) {
    res.setStatusCode(status)
        .putHeader("x-amzn-ErrorType", type)
        .putHeader("content-type", "application/json")
        .end(extra.copy().put("Type", "User").put("message", message).encode());
  }

  private static String header(HttpServerRequest req, String name, String dflt) {
    String v = req.getHeader(name);
    return v == null ? dflt : v;
  }

  /**
   * Recomputes the request's signature with the SDK's SigV4 signer, the test credentials and the
   * request's own X-Amz-Date; null when it matches, else why not.
   */
  private static String verify(HttpServerRequest req, Buffer body) {
    String auth = req.getHeader("Authorization");
    String date = req.getHeader("X-Amz-Date");
    if (auth == null || date == null) {
      return "unsigned request";
    }
    Matcher c = CREDENTIAL.matcher(auth);
    Matcher sh = SIGNED_HEADERS.matcher(auth);
    if (!c.find() || !sh.find()) {
      return "malformed Authorization header";
    }
    if (!c.group(1).equals(ACCESS_KEY)) {
      return "unknown access key";
    }
    if (!c.group(3).equals(REGION) || !c.group(4).equals("lambda")) {
      return "signed for " + c.group(3) + "/" + c.group(4);
    }
    SdkHttpRequest.Builder copy =
        SdkHttpRequest.builder()
            .method(SdkHttpMethod.fromValue(req.method().name()))
            .protocol("http")
            .host("127.0.0.1")
            .port(req.localAddress().port())
            .encodedPath(req.path());
    String query = req.query();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        copy.appendRawQueryParameter(
            URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
            eq < 0 ? null : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    List<String> signed = new ArrayList<>(List.of(sh.group(1).split(";")));
    for (String name : signed) {
      for (String v : req.headers().getAll(name)) {
        copy.appendHeader(name, v);
      }
    }
    Clock at =
        Clock.fixed(LocalDateTime.parse(date, AMZ_DATE).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    byte[] bytes = body.getBytes();
    SignedRequest expected =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(AwsCredentialsIdentity.create(ACCESS_KEY, SECRET_KEY))
                        .request(copy.build())
                        .payload(ContentStreamProvider.fromByteArray(bytes))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                        .putProperty(HttpSigner.SIGNING_CLOCK, at));
    String want = expected.request().firstMatchingHeader("Authorization").orElse("");
    return want.equals(auth) ? null : "signature mismatch";
  }
}
