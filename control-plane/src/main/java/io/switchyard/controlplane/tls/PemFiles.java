package io.switchyard.controlplane.tls;

import io.switchyard.pem.Pem;
import io.switchyard.pem.Pem.Block;

import io.switchyard.pem.PrivateKeys;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS material from PEM files, as operators have it (e.g. certbot's {@code fullchain.pem} and
 * {@code privkey.pem}): key stores for the admin listener, trust stores for a CA bundle, and the
 * client {@link SSLContext} a node uses on the fleet channel. Every failure is an
 * {@link IllegalArgumentException} naming the file. Stateless.
 */
public final class PemFiles {
    /** In-memory stores only: the password protects nothing, it is required by the API. */
    public static final String STORE_PASSWORD_TEXT = "switchyard";
    static final char[] STORE_PASSWORD = STORE_PASSWORD_TEXT.toCharArray();

    private PemFiles() {
    }

    /** A key store holding {@code keyFile}'s private key with {@code certFile}'s chain (leaf first). */
    public static KeyStore keyStore(Path certFile, Path keyFile) {
        List<X509Certificate> chain = certificates(certFile);
        if (chain.isEmpty()) throw new IllegalArgumentException(certFile + ": no CERTIFICATE block (expected: a PEM certificate chain)");
        PrivateKey key = privateKey(keyFile, chain.get(0));
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("key", key, STORE_PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(certFile + " with " + keyFile + ": " + e.getMessage(), e);
        }
    }

    /** A trust store of every certificate in {@code caFile}. */
    public static KeyStore trustStore(Path caFile) {
        List<X509Certificate> cas = certificates(caFile);
        if (cas.isEmpty()) throw new IllegalArgumentException(caFile + ": no CERTIFICATE block (expected: PEM CA certificates)");
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < cas.size(); i++) ks.setCertificateEntry("ca-" + i, cas.get(i));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(caFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The TLS context of a fleet client: trusting {@code caFile} (or the JDK's default CAs when null) and
     * presenting {@code certFile}/{@code keyFile} when given (mutual TLS).
     */
    public static SSLContext clientContext(Path caFile, Path certFile, Path keyFile) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(caFile == null ? null : trustStore(caFile));
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keyStore(certFile, keyFile), STORE_PASSWORD);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS: " + e.getMessage(), e);
        }
    }

    /**
     * The admin listener's TLS: {@code certFile}/{@code keyFile}, and with {@code clientCa} a required client
     * certificate chaining to it.
     */
    public static org.eclipse.jetty.util.ssl.SslContextFactory.Server serverFactory(Path certFile, Path keyFile, Path clientCa) {
        org.eclipse.jetty.util.ssl.SslContextFactory.Server f = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        f.setKeyStore(keyStore(certFile, keyFile));
        f.setKeyStorePassword(STORE_PASSWORD_TEXT);
        if (clientCa != null) {
            f.setTrustStore(trustStore(clientCa));
            f.setTrustStorePassword(STORE_PASSWORD_TEXT);
            f.setNeedClientAuth(true);
        }
        return f;
    }

    /** Every CERTIFICATE block of the file, in order. */
    public static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (!b.label().equals("CERTIFICATE")) continue;
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": not a readable certificate (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /**
     * Whether a client certificate names {@code nodeId}: as a DNS name in its subject alternative
     * names, or, when it has none, as its subject's common name.
     */
    public static boolean names(X509Certificate cert, String nodeId) {
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                boolean anyDns = false;
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        anyDns = true;
                        if (nodeId.equalsIgnoreCase(String.valueOf(san.get(1)))) return true;
                    }
                }
                if (anyDns) return false;
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        return nodeId.equals(commonName(cert));
    }

    /** The subject's CN, or null. */
    public static String commonName(X509Certificate cert) {
        try {
            for (var rdn : new javax.naming.ldap.LdapName(cert.getSubjectX500Principal().getName()).getRdns())
                if (rdn.getType().equalsIgnoreCase("CN")) return String.valueOf(rdn.getValue());
        } catch (javax.naming.InvalidNameException e) {
            return null;
        }
        return null;
    }

    private static PrivateKey privateKey(Path keyFile, X509Certificate leaf) {
        Block block = blocks(keyFile).stream().filter(b -> b.label().endsWith("PRIVATE KEY")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(keyFile + ": no PRIVATE KEY block (expected: an unencrypted PEM private key)"));
        String algorithm = leaf.getPublicKey().getAlgorithm();
        byte[] curve = "EC".equals(algorithm) ? io.switchyard.pem.Der.spkiCurveOid(leaf.getPublicKey().getEncoded()) : null;
        try {
            byte[] pkcs8 = PrivateKeys.toPkcs8(block.label(), block.der(), curve);
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(keyFile + ": not a readable " + algorithm + " private key for the certificate (" + e.getMessage() + ")", e);
        }
    }

    private static List<Block> blocks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return Pem.blocks(text, file.toString());
        } catch (Pem.BadPem e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }
}
