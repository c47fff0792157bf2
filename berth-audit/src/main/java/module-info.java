/**
 * berth's audit trail (see {@code dev.berth.audit}). Exports its one API package; the writer, the
 * active file and the codec are package-private within it.
 */
module dev.berth.audit {
  requires static org.jspecify;
  requires com.fasterxml.jackson.databind;

  exports dev.berth.audit;
}
