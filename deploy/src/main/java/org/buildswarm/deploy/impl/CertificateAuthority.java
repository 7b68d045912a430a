package org.buildswarm.deploy.impl;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.buildswarm.deploy.cluster.TlsSettings;

/**
 * A swarm's own certificate authority for event-bus TLS with client certificates: a CA key and
 * certificate, and for each node a key and a certificate the CA signed, valid as a server and as a
 * client, naming the node's addresses. Keys are EC P-256, written as PEM (keys readable by their
 * owner only). BouncyCastle makes the certificates: the JDK reads them but cannot make them.
 */
public final class CertificateAuthority {
  public static final String CA_CERTIFICATE = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration NODE_VALIDITY = Duration.ofDays(825);

  private final Path directory;
  private final SecureRandom random = new SecureRandom();

  public CertificateAuthority(Path directory) {
    this.directory = directory;
  }

  /** Whether the directory holds a CA already. */
  public boolean exists() {
    return Files.exists(directory.resolve(CA_CERTIFICATE)) && Files.exists(directory.resolve(CA_KEY));
  }

  /** Makes the CA (refuses if one is there: its nodes' certificates would stop being trusted). */
  public void create(String swarm) throws IOException {
    if (exists()) {
      throw new IOException("a certificate authority is in " + directory + " already; reusing it keeps its nodes' "
          + "certificates valid (remove " + CA_CERTIFICATE + " and " + CA_KEY + " to start over)");
    }
    Files.createDirectories(directory);
    KeyPair keys = newKeys();
    X500Name name = new X500Name("CN=buildswarm CA " + swarm);
    Instant now = Instant.now();
    try {
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
      write(directory.resolve(CA_KEY), keys.getPrivate(), true);
      write(directory.resolve(CA_CERTIFICATE), builder.build(signer(keys.getPrivate())), false);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make the CA: " + e.getMessage(), e);
    }
  }

  /**
   * A key and certificate for one node, signed by the CA, for these host names and addresses.
   *
   * @return where they are, with the CA's certificate, as the node's TLS settings
   */
  public TlsSettings issue(String node, List<String> names) throws IOException {
    if (!exists()) {
      throw new IOException("no certificate authority in " + directory + " (make one first)");
    }
    if (!node.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")) {
      throw new IOException("\"" + node + "\" is not a node name (letters, digits, '_', '.', '-')");
    }
    try {
      PrivateKey caKey = readKey(directory.resolve(CA_KEY));
      X509CertificateHolder ca;
      try (PEMParser parser = new PEMParser(Files.newBufferedReader(directory.resolve(CA_CERTIFICATE)))) {
        ca = (X509CertificateHolder) parser.readObject();
      }
      KeyPair keys = newKeys();
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.getSubject(), serial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(NODE_VALIDITY)), new X500Name("CN=" + node),
          keys.getPublic());
      List<GeneralName> alternatives = new ArrayList<>();
      for (String name : names) {
        boolean address = name.matches("[0-9.]+") || name.contains(":");
        if (address) {
          InetAddress.getByName(name); // refuses what is not an address
        }
        alternatives.add(new GeneralName(address ? GeneralName.iPAddress : GeneralName.dNSName, name));
      }
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      if (!alternatives.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(alternatives.toArray(GeneralName[]::new)));
      }
      Path certificate = directory.resolve(node + ".pem");
      Path key = directory.resolve(node + "-key.pem");
      write(key, keys.getPrivate(), true);
      write(certificate, builder.build(signer(caKey)), false);
      return new TlsSettings(certificate, key, directory.resolve(CA_CERTIFICATE));
    } catch (OperatorCreationException e) {
      throw new IOException("cannot make the certificate of " + node + ": " + e.getMessage(), e);
    }
  }

  private KeyPair newKeys() throws IOException {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("this Java cannot make EC keys: " + e.getMessage(), e);
    }
  }

  private BigInteger serial() {
    return new BigInteger(127, random);
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (PEMParser parser = new PEMParser(Files.newBufferedReader(file))) {
      Object read = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (read instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      return converter.getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) read);
    }
  }

  /** Writes PEM; a key readable by its owner only. */
  private static void write(Path file, Object value, boolean secret) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(value instanceof PrivateKey key ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null)
          : value);
    }
    Files.deleteIfExists(file);
    if (secret) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    Files.writeString(file, text.toString(), StandardCharsets.US_ASCII);
  }
}
