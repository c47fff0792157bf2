package dev.berth.audit;

import java.io.IOException;

/**
 * Where anchors go: syslog/journald in production ({@link SyslogAnchorSink}), a file for sites
 * without syslog and for tests ({@link FileAnchorSink}). Called from one thread at a time.
 */
public interface AnchorSink extends AutoCloseable {
  /** Keeps no anchors ({@code --audit-anchors none}). */
  AnchorSink NONE = anchor -> {};

  /** Records one anchor; returns once the sink has it. */
  void write(Anchor anchor) throws IOException;

  @Override
  default void close() throws IOException {}
}
