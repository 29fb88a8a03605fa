package io.sluice.gateway.aws;

import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.vertx.core.Vertx;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaAsyncClient;
import software.amazon.awssdk.services.lambda.LambdaAsyncClientBuilder;

/** Builds the SDK's Lambda client for a backend, the way Sluice needs it. */
public final class LambdaClients {

  private LambdaClients() {}

  /**
   * A client that sends over Vert.x ({@link VertxSdkHttpClient}), takes credentials from memory,
   * never retries by itself (Sluice owns retries, backoff and the budget), and completes its
   * futures on the thread that finished the call instead of hopping to an SDK thread pool. Slow to
   * build (class loading): call it off the event loop.
   */
  public static LambdaAsyncClient create(
      Vertx vertx, LambdaBackend config, AwsCredentialsProvider credentials) {
    Duration timeout = config.timeout();
    LambdaAsyncClientBuilder b =
        LambdaAsyncClient.builder()
            .httpClient(
                new VertxSdkHttpClient(
                    vertx,
                    "sluice-lambda-" + config.name(),
                    timeout.toMillis() + 1_000, // the SDK's own timeout below fires first
                    config.maxConnections()))
            .region(Region.of(config.region()))
            .credentialsProvider(credentials)
            .overrideConfiguration(
                c ->
                    c.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(timeout)
                        .apiCallAttemptTimeout(timeout))
            .asyncConfiguration(
                c ->
                    c.advancedOption(
                        SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR, Runnable::run));
    if (config.endpoint() != null) {
      b.endpointOverride(config.endpoint());
    }
    return b.build();
  }
}
