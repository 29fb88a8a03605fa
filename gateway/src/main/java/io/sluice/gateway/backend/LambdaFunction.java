package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.resilience.BackendGuard;
import io.sluice.gateway.resilience.RetryBudget;
import io.sluice.gateway.telemetry.LambdaMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.lambda.LambdaAsyncClient;

/**
 * What the event loops share about one lambda backend: its SDK client, retry budget, guard and
 * metrics, and the cold-start sample.
 */
public final class LambdaFunction {

  /**
   * The REPORT line's cold-start field: {@code Init Duration} (a new execution environment) or
   * {@code Restore Duration} (SnapStart), not {@code Billed Restore Duration}.
   */
  private static final Pattern INIT =
      Pattern.compile("(?:^|\\t| )(?:Init|Restore) Duration: ([0-9]+(?:\\.[0-9]+)?) ms");

  final LambdaBackend config;
  final LambdaAsyncClient client;
  final RetryBudget budget;
  final BackendGuard guard;
  final LambdaMetrics metrics;

  public LambdaFunction(
      LambdaBackend config,
      LambdaAsyncClient client,
      RetryBudget budget,
      BackendGuard guard,
      LambdaMetrics metrics) {
    this.config = config;
    this.client = client;
    this.budget = budget;
    this.guard = guard;
    this.metrics = metrics;
  }

  /** Whether this invocation asks for the log tail (the configured share of them). */
  boolean sampleLogTail() {
    double share = config.coldStartSample();
    return share > 0 && (share >= 1 || ThreadLocalRandom.current().nextDouble() < share);
  }

  /**
   * The Init (or SnapStart Restore) Duration in the invocation's log tail ({@code
   * X-Amz-Log-Result}, base64), in milliseconds; -1 when there is none, so the invocation found a
   * warm instance.
   */
  static double initDurationMillis(String logResult) {
    if (logResult == null || logResult.isEmpty()) {
      return -1;
    }
    String tail;
    try {
      tail = new String(Base64.getDecoder().decode(logResult), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return -1;
    }
    int report = tail.lastIndexOf("REPORT ");
    Matcher m = INIT.matcher(report < 0 ? tail : tail.substring(report));
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  public LambdaAsyncClient client() {
    return client;
  }

  public LambdaBackend config() {
    return config;
  }
}
