package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LimitsTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                limits:
                  maxBodySize: 1KiB
                  maxHeaderSize: 4KiB
                  maxRequestLine: 1KiB
                  headerTimeout: 500ms
                  idleTimeout: 2s
                  maxConnections: 4
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - { id: echo, match: { path: "/**" }, backend: echo }
              """)
          .backend("echo", TestBackend.echo())
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("echo").reset();
  }

  private String raw(String request) {
    return sluice.client().raw(request, 3000);
  }

  @Test
  void announcedBodyOverTheLimitIs413WithoutReachingTheBackend() {
    String r =
        raw(
            "POST /announced HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n"
                + "a".repeat(100));
    assertThat(r).startsWith("HTTP/1.1 413").contains("application/problem+json");
    assertThat(r.toLowerCase()).contains("connection: close");
    assertThat(sluice.backend("echo").reached("/announced")).isFalse();
  }

  @Test
  void chunkedBodyThatGrowsOverTheLimitIs413() {
    StringBuilder req =
        new StringBuilder(
            "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 4; i++) {
      req.append("200\r\n").append("b".repeat(512)).append("\r\n");
    }
    req.append("0\r\n\r\n");
    assertThat(raw(req.toString())).startsWith("HTTP/1.1 413");
    // The backend's request was reset, never completed with a truncated body.
    assertThat(sluice.backend("echo").received()).noneMatch(r -> r.uri().equals("/chunked"));
  }

  @Test
  void bodyWithinTheLimitPasses() {
    String r =
        raw("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    assertThat(r).startsWith("HTTP/1.1 200");
  }

  @Test
  void oversizedHeadersAre431() {
    String r =
        raw("GET /big-headers HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(5000) + "\r\n\r\n");
    assertThat(r).startsWith("HTTP/1.1 431");
    assertThat(sluice.backend("echo").reached("/big-headers")).isFalse();
  }

  @Test
  void overlongRequestLineIs414() {
    String r = raw("GET /" + "u".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    // The version is unknown when the request line cannot be read: Vert.x answers as HTTP/1.0.
    assertThat(r).matches("(?s)HTTP/1\\.[01] 414 .*");
    assertThat(r).contains("urn:sluice:problem:uri-too-long");
  }

  @Test
  void contentLengthWithTransferEncodingIsRefused() {
    String r =
        raw(
            "POST /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r).startsWith("HTTP/1.1 400");
    assertThat(sluice.backend("echo").reached("/smuggle")).isFalse();
    assertThat(sluice.backend("echo").reached("/second")).isFalse();
  }

  @Test
  void conflictingContentLengthsAreRefused() {
    String r =
        raw(
            "POST /conflict HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 6\r\n\r\nabcdef");
    assertThat(r).startsWith("HTTP/1.1 400");
    assertThat(sluice.backend("echo").reached("/conflict")).isFalse();
  }

  @Test
  void slowHeadersGetTheConnectionClosed() throws IOException {
    try (Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      long start = System.nanoTime();
      out.write("GET /slow HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // Trickle a header byte now and then, never finishing the header block.
      boolean closed = false;
      for (int i = 0; i < 40 && !closed; i++) {
        try {
          out.write('X');
          out.flush();
          s.setSoTimeout(100);
          closed = in.read() < 0;
        } catch (SocketTimeoutException e) {
          // still open
        } catch (IOException e) {
          closed = true;
        }
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(closed).as("connection closed").isTrue();
      assertThat(ms).isLessThan(3000);
    }
    assertThat(sluice.backend("echo").reached("/slow")).isFalse();
  }

  @Test
  void connectionsBeyondTheLimitAreClosed() throws IOException {
    Socket[] held = new Socket[4];
    try {
      for (int i = 0; i < held.length; i++) {
        held[i] = new Socket("127.0.0.1", sluice.port());
        // Make sure each one is accepted before the next.
        OutputStream o = held[i].getOutputStream();
        o.write("GET /keep HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        o.flush();
        held[i].setSoTimeout(3000);
        assertThat(readHead(held[i].getInputStream())).startsWith("HTTP/1.1 200");
      }
      String extra = raw("GET /one-too-many HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(extra).isEmpty();
    } finally {
      for (Socket s : held) {
        if (s != null) {
          s.close();
        }
      }
      // The gateway counts the closes a moment later: wait until it takes connections again, so
      // that the next test does not meet a full gateway.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < deadline
          && sluice
              .client()
              .raw("GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1000)
              .isEmpty()) {
        Thread.onSpinWait();
      }
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.toString().endsWith("\r\n\r\n")) {
        break;
      }
    }
    return sb.toString();
  }
}
