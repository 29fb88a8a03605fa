package io.sluice.gateway.server;

/**
 * A route as the request path uses it: its id, the index of its backend in each event loop's
 * backend array, and its policy chain.
 */
public record CompiledRoute(
    String id, String backend, int backendIndex, io.sluice.gateway.policy.PolicyChain chain) {}
