package io.sluice.api;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A response as it went to the client, for {@link Exchange#onResponseSent}.
 *
 * @param status the status code sent
 * @param headers the headers sent (a copy)
 * @param body the whole body, or null when it was larger than asked for or not sent whole
 * @param complete whether the response was sent whole: false when the client left first or the
 *     backend broke off mid-body
 */
public record SentResponse(int status, MultiMap headers, Buffer body, boolean complete) {}
