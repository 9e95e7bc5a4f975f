package io.switchyard.controlplane.certificate;

import io.switchyard.pem.Pem;

import io.switchyard.pem.Der;
import io.switchyard.pem.PrivateKeys;

import io.switchyard.config.Certificate;
import io.switchyard.config.ConfigException;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Reads certificate chains and private keys with nothing but the JDK, and checks what a data
 * plane would otherwise discover too late: the certificate has not expired and the key belongs
 * to it. Keys may be PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE
 * KEY"); the latter two are wrapped into PKCS#8 first. Stateless and thread-safe.
 */
public final class CertificateInspector {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateInspector() {
    }

    /** What the API shows about a stored certificate (never the key). */
    public record Details(String subject, String issuer, Instant notBefore, Instant notAfter,
                          String fingerprintSha256, List<String> dnsNames, int chainLength) {
        /** Whole days until {@code notAfter}, negative once expired. */
        public long daysUntilExpiry(Instant now) {
            return Math.floorDiv(Duration.between(now, notAfter).toSeconds(), 86_400L);
        }
    }

    /** Details of a chain already accepted once; throws ConfigException on unreadable PEM. */
    public static Details describe(String certPem) {
        return details(chain(certPem));
    }

    /**
     * A certificate that passed {@link #check}: what was read from it, and its key (when it had
     * one) re-encoded as PKCS#8 {@code PRIVATE KEY} PEM, the one form every reader takes. A SEC1
     * key that left its curve out gets the certificate's curve written in, so nodes never need the
     * certificate to read the key.
     */
    public record Checked(Details details, String pkcs8KeyPem) {
    }

    /**
     * Checks a certificate as a write would accept it: the chain parses, the leaf is valid at
     * {@code now}, and (when present) the key parses and matches the leaf's public key.
     *
     * @throws ConfigException naming {@code cert_pem} or {@code key_pem}
     */
    public static Checked check(Certificate c, Instant now) {
        List<X509Certificate> chain = chain(c.certPem());
        X509Certificate leaf = chain.get(0);
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (notAfter.isBefore(now))
            throw new ConfigException("cert_pem", "expired on " + notAfter + " (expected: a certificate valid now)");
        String key = c.keyPem() == null ? null : pem("PRIVATE KEY", checkKey(c.keyPem(), leaf.getPublicKey()));
        return new Checked(details(chain), key);
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static List<X509Certificate> chain(String certPem) {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            int i = 0;
            for (Pem.Block b : Pem.blocks(certPem, "cert_pem")) {
                if (!b.label().equals("CERTIFICATE")) continue;
                try {
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
                } catch (CertificateException e) {
                    throw new ConfigException("cert_pem", "certificate " + i + " of the chain is not a readable X.509 certificate");
                }
                i++;
            }
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 support", e);
        } catch (Pem.BadPem e) {
            throw new ConfigException(e.field(), e.getMessage());
        }
        if (chain.isEmpty())
            throw new ConfigException("cert_pem", "(expected: a PEM certificate chain, -----BEGIN CERTIFICATE-----)");
        return chain;
    }

    /** The key as PKCS#8 DER, after proving it belongs to {@code certKey}. */
    private static byte[] checkKey(String keyPem, PublicKey certKey) {
        Pem.Block block;
        try {
            block = Pem.blocks(keyPem, "key_pem").stream()
                    .filter(b -> b.label().endsWith("PRIVATE KEY")).findFirst()
                    .orElseThrow(() -> new ConfigException("key_pem", "(expected: a PEM private key, -----BEGIN ... PRIVATE KEY-----)"));
        } catch (Pem.BadPem e) {
            throw new ConfigException(e.field(), e.getMessage());
        }
        byte[] pkcs8;
        try {
            // SEC1 may leave the curve out; then only the certificate's curve can fit.
            byte[] certCurve = "EC".equals(certKey.getAlgorithm()) ? Der.spkiCurveOid(certKey.getEncoded()) : null;
            pkcs8 = PrivateKeys.toPkcs8(block.label(), block.der(), certCurve);
        } catch (IllegalArgumentException e) {
            if (e instanceof ConfigException ce) throw ce;
            throw new ConfigException("key_pem", block.label().endsWith("PRIVATE KEY") && e.getMessage() != null && e.getMessage().contains("expected")
                    ? e.getMessage() : block.label() + " is not readable DER (" + e.getMessage() + ")");
        }
        PrivateKey key = privateKey(pkcs8, certKey.getAlgorithm());
        if (!matches(key, certKey))
            throw new ConfigException("key_pem", "does not match the certificate (its public key belongs to another private key)");
        return pkcs8;
    }

    private static PrivateKey privateKey(byte[] pkcs8, String certAlgorithm) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8);
        try {
            return KeyFactory.getInstance(certAlgorithm).generatePrivate(spec);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // Not a key of the certificate's kind: say which kind it is, if any the JDK knows.
            for (String other : List.of("RSA", "EC", "EdDSA", "RSASSA-PSS")) {
                if (other.equals(certAlgorithm)) continue;
                try {
                    KeyFactory.getInstance(other).generatePrivate(spec);
                    throw new ConfigException("key_pem", "an " + other + " key does not match the certificate's " + certAlgorithm + " public key");
                } catch (GeneralSecurityException | IllegalArgumentException ignored) {
                    if (ignored instanceof ConfigException ce) throw ce;
                }
            }
            throw new ConfigException("key_pem", "not a readable private key");
        }
    }

    /** Proof of possession: a signature by the key verifies with the certificate's public key. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        String algorithm = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null)
            throw new ConfigException("cert_pem", pub.getAlgorithm() + " public key (expected: RSA, EC or EdDSA)");
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Details details(List<X509Certificate> chain) {
        X509Certificate leaf = chain.get(0);
        try {
            String fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
            return new Details(leaf.getSubjectX500Principal().getName(), leaf.getIssuerX500Principal().getName(),
                    leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), fingerprint, dnsNames(leaf), chain.size());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static List<String> dnsNames(X509Certificate leaf) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    // GeneralName type 2 is dNSName.
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String s)
                        names.add(s.toLowerCase(Locale.ROOT));
                }
            }
        } catch (CertificateParsingException ignored) {
            // A malformed SAN extension only means no names can be suggested.
        }
        return names;
    }
}
