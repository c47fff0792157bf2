package dev.berth.audit;

import static java.util.Objects.requireNonNull;

/**
 * The last record of the trail: what an anchor copies elsewhere.
 *
 * @param seq its sequence number (0 for a trail without records)
 * @param hash the SHA-256 of its line ({@link AuditChain#GENESIS} for a trail without records)
 * @param file the name of the file that holds it
 */
public record ChainHead(long seq, String hash, String file) {
  public ChainHead {
    requireNonNull(hash, "hash");
    requireNonNull(file, "file");
  }
}
