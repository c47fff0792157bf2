package dev.berth.audit;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decision ids: unique within an audit trail and across restarts, cheap to make. A random prefix
 * chosen once per process (so two runs never share ids) and a counter. Ids only link a decision to
 * its result record; they need not be unguessable, so the hot path takes no {@link SecureRandom}
 * per request (a random UUID per request showed in the proxy's profile).
 */
public final class DecisionIds {
  private static final String PREFIX = HexFormat.of().formatHex(SecureRandom.getSeed(6));
  private static final AtomicLong NEXT = new AtomicLong();

  private DecisionIds() {}

  /** A new id, such as {@code 3fa1c09be27d-1a2b}. */
  public static String next() {
    return PREFIX + "-" + Long.toHexString(NEXT.incrementAndGet());
  }
}
