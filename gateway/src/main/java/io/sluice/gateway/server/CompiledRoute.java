package io.sluice.gateway.server;

/**
 * A route as the request path uses it: its id and the index of its backend in each event loop's
 * backend array.
 */
public record CompiledRoute(String id, String backend, int backendIndex) {}
