package io.sluice.bench;

import io.sluice.api.AttributeKey;
import io.sluice.api.Exchange;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.Map;

/** A request as policies see it, for micro-benchmarks: settable headers, query, path and body. */
final class BenchExchange implements Exchange {
  final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  final Map<AttributeKey<?>, Object> attributes = new HashMap<>();
  String principal;
  int status;

  final MultiMap query = MultiMap.caseInsensitiveMultiMap();
  Map<String, String> pathParams = Map.of();
  Buffer body;
  String method = "GET";
  String rawQuery;
  io.vertx.core.Handler<io.sluice.api.SentResponse> sent;

  BenchExchange() {
    headers.set("Host", "api.example.com");
    headers.set("Accept", "application/json");
  }

  @Override
  public String requestId() {
    return "bench";
  }

  @Override
  public String routeId() {
    return "bench";
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String path() {
    return "/orders/1";
  }

  @Override
  public String rawQuery() {
    return rawQuery;
  }

  @Override
  public void rawQuery(String query) {}

  @Override
  public MultiMap queryParams() {
    return query;
  }

  @Override
  public String pathParam(String name) {
    return pathParams.get(name);
  }

  @Override
  public Map<String, String> pathParams() {
    return pathParams;
  }

  @Override
  public MultiMap requestHeaders() {
    return headers;
  }

  @Override
  public String clientAddress() {
    return "127.0.0.1";
  }

  @Override
  public String principal() {
    return principal;
  }

  @Override
  public void principal(String principal) {
    this.principal = principal;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T attribute(AttributeKey<T> key) {
    return (T) attributes.get(key);
  }

  @Override
  public <T> void attribute(AttributeKey<T> key, T value) {
    attributes.put(key, value);
  }

  @Override
  public Buffer body() {
    if (body == null) {
      throw new IllegalStateException("no body set");
    }
    return body;
  }

  @Override
  public void limitBodySize(long bytes) {}

  @Override
  public void respond(int status, MultiMap headers, Buffer body) {
    this.status = status;
  }

  @Override
  public void onResponseSent(
      long maxBodyBytes, io.vertx.core.Handler<io.sluice.api.SentResponse> done) {
    sent = done;
  }

  @Override
  public boolean responded() {
    return status != 0;
  }

  @Override
  public int responseStatus() {
    return 0;
  }

  @Override
  public void responseStatus(int status) {}

  @Override
  public MultiMap responseHeaders() {
    return MultiMap.caseInsensitiveMultiMap();
  }
}
