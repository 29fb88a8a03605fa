package io.sluice.testkit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Collects Vert.x's blocked-thread warnings ("Thread ... has been blocked for ..."), so that a test
 * that blocks an event loop fails instead of passing slowly.
 */
final class BlockedThreadDetector extends AppenderBase<ILoggingEvent> {

  static final String LOGGER = "io.vertx.core.impl.BlockedThreadChecker";

  private final List<String> reports = new CopyOnWriteArrayList<>();

  static BlockedThreadDetector install() {
    Logger logger = (Logger) LoggerFactory.getLogger(LOGGER);
    BlockedThreadDetector d = new BlockedThreadDetector();
    d.setContext(logger.getLoggerContext());
    d.setName("sluice-blocked-thread-detector");
    d.start();
    logger.addAppender(d);
    return d;
  }

  void uninstall() {
    ((Logger) LoggerFactory.getLogger(LOGGER)).detachAppender(this);
    stop();
  }

  @Override
  protected void append(ILoggingEvent e) {
    String msg = e.getFormattedMessage();
    if (msg != null && msg.contains("has been blocked")) {
      reports.add(msg);
    }
  }

  /** Reports since the last call, cleared. */
  List<String> drain() {
    List<String> out = List.copyOf(reports);
    reports.clear();
    return out;
  }
}
