/**
 * berth's certificate authority (see {@code dev.berth.pki}). Exports its one API package; the
 * certificate template, the locked directory and the credential files are package-private.
 */
module dev.berth.pki {
  requires static org.jspecify;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;

  exports dev.berth.pki;
}
