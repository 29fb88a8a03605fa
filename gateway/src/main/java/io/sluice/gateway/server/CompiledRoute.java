package io.sluice.gateway.server;

import io.sluice.gateway.policy.PolicyChain;
import io.sluice.gateway.telemetry.GatewayMetrics;

/**
 * A route as the request path uses it: its id and path template, the index of its backend in each
 * event loop's backend array, its policy chain and its metrics.
 */
public record CompiledRoute(
    String id,
    String template,
    String backend,
    int backendIndex,
    PolicyChain chain,
    GatewayMetrics.Route metrics) {}
