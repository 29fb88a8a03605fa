package io.sluice.gateway.aws;

import java.util.concurrent.CompletionException;

/** The AWS SDK's futures, and the ones Sluice chains on them. */
public final class SdkFutures {

  private SdkFutures() {}

  /** What failed: the cause a {@link CompletionException} wraps, or the error itself. */
  public static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
