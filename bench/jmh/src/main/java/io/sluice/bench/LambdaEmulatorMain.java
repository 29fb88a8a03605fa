package io.sluice.bench;

import io.sluice.testkit.LambdaEmulator;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The test kit's Lambda Invoke API emulator as a process, for {@code bench/lambda.sh}: one event
 * loop on 127.0.0.1:PORT (default 18092), signatures not checked (that is the emulator's CPU, not
 * the gateway's).
 */
public final class LambdaEmulatorMain {
  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 18092;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    new LambdaEmulator().verifySignatures(false).start(vertx, port);
    System.out.println("Lambda emulator on 127.0.0.1:" + port);
  }
}
