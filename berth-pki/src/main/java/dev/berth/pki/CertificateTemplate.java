package dev.berth.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What berth's certificates and CRLs contain: the only class that builds them (with BouncyCastle),
 * given keys, names and times. {@link CertificateAuthority} decides what to issue and records it.
 *
 * <p>Keys are EC P-256 with ECDSA-SHA256 signatures: the security of RSA 3072 with keys and
 * signatures a tenth of the size and key generation in milliseconds instead of seconds; every TLS
 * stack berth meets supports it (Go's crypto/tls in dockerd and the docker CLI, the JDK, OpenSSL),
 * and with TLS 1.2 it selects ECDHE-ECDSA-AES-GCM suites. Serial numbers are 128 random bits.
 *
 * <p>Client certificates carry only the clientAuth extended key usage, server certificates only
 * serverAuth, so neither can stand in for the other; the CA is limited to path length 0, so a
 * certificate it issued cannot sign certificates in turn. Certificates start {@link #BACKDATE} in
 * the past, for clocks slightly behind ours.
 */
final class CertificateTemplate {
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateTemplate() {}

  /** A self-signed CA certificate ({@code O=berth, CN=berth CA}, path length 0). */
  static X509Certificate ca(KeyPair pair, BigInteger serial, Instant now, Instant notAfter)
      throws GeneralSecurityException, CertIOException, OperatorCreationException {
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "berth")
            .addRDN(BCStyle.CN, "berth CA")
            .build();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            serial,
            Date.from(now.minus(BACKDATE)),
            Date.from(notAfter),
            name,
            pair.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    return new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
  }

  /**
   * A server (serverAuth) or client (clientAuth) certificate whose CommonName is {@code name},
   * signed by the CA.
   */
  static X509Certificate leaf(
      X509Certificate ca,
      PrivateKey caKey,
      IndexEntry.Kind kind,
      String name,
      List<SubjectAltName> sans,
      KeyPair pair,
      BigInteger serial,
      Instant now,
      Instant notAfter)
      throws GeneralSecurityException, CertIOException, OperatorCreationException {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            ca,
            serial,
            Date.from(now.minus(BACKDATE)),
            Date.from(notAfter),
            subject,
            pair.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            kind == IndexEntry.Kind.SERVER
                ? KeyPurposeId.id_kp_serverAuth
                : KeyPurposeId.id_kp_clientAuth));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
    if (!sans.isEmpty()) {
      ASN1Encodable[] names =
          sans.stream()
              .map(
                  s ->
                      new GeneralName(
                          s.kind() == SubjectAltName.Kind.DNS
                              ? GeneralName.dNSName
                              : GeneralName.iPAddress,
                          s.value()))
              .toArray(ASN1Encodable[]::new);
      b.addExtension(Extension.subjectAlternativeName, false, new DERSequence(names));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(signer(caKey)));
  }

  /** A CRL numbered {@code number} of the revoked entries of {@code index}. */
  static X509CRL crl(
      X509Certificate ca,
      PrivateKey caKey,
      List<IndexEntry> index,
      BigInteger number,
      Instant now,
      Duration validity)
      throws GeneralSecurityException, CertIOException, OperatorCreationException {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(
            X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), Date.from(now));
    b.setNextUpdate(Date.from(now.plus(validity)));
    for (IndexEntry e : index) {
      if (e.revoked() != null) {
        b.addCRLEntry(e.serial(), Date.from(e.revoked()), CRLReason.privilegeWithdrawn);
      }
    }
    b.addExtension(
        Extension.authorityKeyIdentifier,
        false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
    b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
    return new JcaX509CRLConverter().getCRL(b.build(signer(caKey)));
  }

  static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  static BigInteger newSerial() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    b[0] &= 0x7f; // positive, as RFC 5280 requires
    b[0] |= 0x40; // and never shorter than 15 bytes or zero
    return new BigInteger(1, b);
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }

  /** Whether {@code key} is the private key of {@code cert} (a signature round trip). */
  static boolean matches(X509Certificate cert, PrivateKey key) {
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature s = Signature.getInstance(SIGNATURE);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(SIGNATURE);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
