package dev.berth.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/** PEM text of certificates, PKCS#8 keys and CRLs, in the forms openssl, Go and Netty read. */
final class Pem {
  private Pem() {}

  static String certificate(X509Certificate cert) {
    return write(cert);
  }

  static String crl(X509CRL crl) {
    return write(crl);
  }

  /**
   * PKCS#8 ({@code BEGIN PRIVATE KEY}), unencrypted: the form Netty's {@code SslContextBuilder}
   * requires and Go's {@code tls.X509KeyPair} accepts. The file's mode protects it.
   *
   * <p>An EC key's inner ECPrivateKey (RFC 5915) carries its public key too: the JDK's encoding
   * leaves that optional field out, and GnuTLS (rsyslog's and syslog-ng's TLS, as of Debian 12)
   * refuses such a key ("ASN1 parser: Element was not found"); OpenSSL writes it the same way.
   */
  static String privateKey(PrivateKey key, PublicKey publicKey) {
    if (!(key instanceof ECKey ec)) {
      throw new IllegalArgumentException("berth's keys are EC keys, not " + key.getAlgorithm());
    }
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      DERBitString point =
          new DERBitString(
              SubjectPublicKeyInfo.getInstance(publicKey.getEncoded())
                  .getPublicKeyData()
                  .getBytes());
      ECPrivateKey sec1 =
          new ECPrivateKey(
              ec.getParams().getOrder().bitLength(),
              ECPrivateKey.getInstance(info.parsePrivateKey()).getKey(),
              point,
              null);
      return write(
          new PemObject(
              "PRIVATE KEY", new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), sec1).getEncoded()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the private key", e);
    }
  }

  private static String write(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  static X509Certificate parseCertificate(String pem, String what) throws PkiException {
    Object o = readOne(pem, what);
    if (!(o instanceof X509CertificateHolder holder)) {
      throw new PkiException(what + ": expected a PEM certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new PkiException(what + ": not a valid certificate: " + e.getMessage(), e);
    }
  }

  static X509CRL parseCrl(String pem, String what) throws PkiException {
    Object o = readOne(pem, what);
    if (!(o instanceof X509CRLHolder holder)) {
      throw new PkiException(what + ": expected a PEM CRL");
    }
    try {
      return new JcaX509CRLConverter().getCRL(holder);
    } catch (CRLException e) {
      throw new PkiException(what + ": not a valid CRL: " + e.getMessage(), e);
    }
  }

  static PrivateKey parsePrivateKey(String pem, String what) throws PkiException {
    Object o = readOne(pem, what);
    PrivateKeyInfo info =
        switch (o) {
          case PrivateKeyInfo i -> i;
          case PEMKeyPair pair -> pair.getPrivateKeyInfo();
          default -> throw new PkiException(what + ": expected an unencrypted PEM private key");
        };
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (PEMException e) {
      throw new PkiException(what + ": not a usable private key", e); // no key material shown
    }
  }

  private static Object readOne(String pem, String what) throws PkiException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (o == null) {
        throw new PkiException(what + ": no PEM object found");
      }
      return o;
    } catch (IOException e) {
      throw new PkiException(what + ": unreadable PEM: " + e.getMessage(), e);
    }
  }
}
