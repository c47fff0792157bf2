/**
 * BuildKit mediation: HTTP/2 terminated on both legs of {@code /grpc} and {@code /session} ({@link
 * dev.berth.buildkit.H2Bridge}), every gRPC call decoded with BuildKit's own protos and judged for
 * its caller ({@link dev.berth.buildkit.CallJudge}) before it is relayed.
 */
@NullMarked
package dev.berth.buildkit;

import org.jspecify.annotations.NullMarked;
