package io.sluice.gateway.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaAsyncClient;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The SDK's HTTP client on Vert.x, with the real Lambda client against a loopback server: calls
 * from a plain thread and from an event loop, one after another and many at once, all answered.
 */
class VertxSdkHttpClientTest {

  private Vertx vertx;
  private HttpServer server;
  private LambdaAsyncClient client;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body ->
                                req.response()
                                    .putHeader("x-amzn-RequestId", "r-1")
                                    .end(
                                        new JsonObject()
                                            .put("path", req.path())
                                            .put("got", body.toJsonObject())
                                            .encode())))
            .listen(0, "127.0.0.1")
            .await();
    client =
        LambdaAsyncClient.builder()
            .httpClient(new VertxSdkHttpClient(vertx, "test", 5_000, 4))
            .region(Region.EU_WEST_1)
            .endpointOverride(URI.create("http://127.0.0.1:" + server.actualPort()))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    vertx.close().await();
  }

  private static InvokeRequest call(int i) {
    return InvokeRequest.builder()
        .functionName("fn")
        .payload(SdkBytes.fromUtf8String("{\"i\":" + i + "}"))
        .build();
  }

  @Test
  void callsFromAPlainThreadOneAfterAnotherAllComplete() throws Exception {
    // Eight times the pool: a response whose body was lost would keep its connection, and the
    // fifth call would wait forever.
    for (int i = 0; i < 32; i++) {
      InvokeResponse r = client.invoke(call(i)).get(5, TimeUnit.SECONDS);
      JsonObject answer = new JsonObject(r.payload().asUtf8String());
      assertThat(answer.getString("path")).isEqualTo("/2015-03-31/functions/fn/invocations");
      assertThat(answer.getJsonObject("got").getInteger("i")).isEqualTo(i);
      assertThat(r.responseMetadata().requestId()).isEqualTo("r-1");
    }
  }

  @Test
  void manyCallsAtOnceFromAnEventLoopAllComplete() throws Exception {
    CompletableFuture<List<CompletableFuture<InvokeResponse>>> started = new CompletableFuture<>();
    vertx.runOnContext(
        v -> {
          List<CompletableFuture<InvokeResponse>> calls = new ArrayList<>();
          for (int i = 0; i < 64; i++) {
            calls.add(client.invoke(call(i)));
          }
          started.complete(calls);
        });
    List<CompletableFuture<InvokeResponse>> calls = started.get(5, TimeUnit.SECONDS);
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    for (int i = 0; i < calls.size(); i++) {
      JsonObject answer = new JsonObject(calls.get(i).get().payload().asUtf8String());
      assertThat(answer.getJsonObject("got").getInteger("i")).isEqualTo(i);
    }
  }
}
