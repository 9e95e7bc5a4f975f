package io.switchyard.testkit;

import io.switchyard.config.Certificate;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Self-signed certificates made at test time by the JDK's keytool, and TLS clients that trust them or report what
 * a server presented. {@code TestCerts.selfSigned("a.example.com").create()} makes a fresh RSA certificate whose
 * subject alternative name is its CN; the builder names every other choice. {@link #rsa()}, {@link #otherRsa()},
 * {@link #ec()} and {@link #expired()} are made once per JVM (keytool costs about a second a call).
 * A certificate authority that issues certificates is {@link TestPki}.
 */
public final class TestCerts {
    private static final ConcurrentHashMap<String, Pem> CACHE = new ConcurrentHashMap<>();

    private TestCerts() {
    }

    /**
     * One certificate and its key: the certificate as PEM and parsed, the key as PKCS#8 PEM ({@code keyPem}) and
     * in its algorithm's own structure ({@code traditionalKeyPem}: PKCS#1 for RSA, SEC1 for EC).
     */
    public record Pem(String certPem, String keyPem, String traditionalKeyPem, X509Certificate cert, String algorithm) {
        /** This certificate as a configuration entry served for {@code snis}. */
        public Certificate certificate(String name, List<String> snis) {
            return new Certificate(name, snis, certPem, keyPem, false);
        }

        /** As {@link #certificate}, and served when no SNI name matches. */
        public Certificate defaultCertificate(String name, List<String> snis) {
            return new Certificate(name, snis, certPem, keyPem, true);
        }
    }

    /** A builder for a self-signed certificate of subject {@code CN=cn}. */
    public static Builder selfSigned(String cn) {
        return new Builder(cn);
    }

    /** RSA 2048, valid for 90 days, SANs example.com and www.example.com. */
    public static Pem rsa() {
        return CACHE.computeIfAbsent("rsa", k -> selfSigned("example.com").dnsNames("example.com", "www.example.com").validDays(90).create());
    }

    /** Another RSA certificate, for "wrong key" cases. */
    public static Pem otherRsa() {
        return CACHE.computeIfAbsent("rsa2", k -> selfSigned("other.example").validDays(90).create());
    }

    /** EC P-256, valid for 30 days, SAN ec.example.com. */
    public static Pem ec() {
        return CACHE.computeIfAbsent("ec", k -> selfSigned("ec.example.com").ec().validDays(30).create());
    }

    /** RSA, valid from 10 days ago for 2 days: expired. */
    public static Pem expired() {
        return CACHE.computeIfAbsent("expired", k -> selfSigned("old.example").validDays(2).startingDaysAgo(10).create());
    }

    /** What to make; nothing is made until {@link #create()}. */
    public static final class Builder {
        private final String cn;
        private final List<String> dnsNames = new ArrayList<>();
        private boolean ec;
        private int validDays = 30;
        private int startingDaysAgo;

        private Builder(String cn) {
            this.cn = cn;
        }

        /** The subject alternative names (DNS); without this, the CN alone. */
        public Builder dnsNames(String... names) {
            dnsNames.addAll(Arrays.asList(names));
            return this;
        }

        /** An EC P-256 key instead of RSA 2048. */
        public Builder ec() {
            this.ec = true;
            return this;
        }

        public Builder validDays(int days) {
            this.validDays = days;
            return this;
        }

        /** Valid from {@code days} ago (with a short validity: an expired certificate). */
        public Builder startingDaysAgo(int days) {
            this.startingDaysAgo = days;
            return this;
        }

        public Pem create() {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("switchyard-cert-");
                Path ks = dir.resolve("ks.p12");
                List<String> san = new ArrayList<>();
                for (String n : dnsNames.isEmpty() ? List.of(cn) : dnsNames) san.add("dns:" + n);
                List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", "k"));
                args.addAll(ec ? List.of("-keyalg", "EC", "-groupname", "secp256r1") : List.of("-keyalg", "RSA", "-keysize", "2048"));
                args.addAll(List.of("-dname", "CN=" + cn, "-ext", "SAN=" + String.join(",", san), "-validity", Integer.toString(validDays),
                        "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", Keytool.PASS, "-keypass", Keytool.PASS));
                if (startingDaysAgo > 0) args.addAll(List.of("-startdate", "-" + startingDaysAgo + "d"));
                Keytool.run(args.toArray(String[]::new));
                KeyStore store = Keytool.load(ks);
                X509Certificate cert = (X509Certificate) store.getCertificate("k");
                PrivateKey key = (PrivateKey) store.getKey("k", Keytool.PASS.toCharArray());
                byte[] pkcs8 = key.getEncoded();
                String algorithm = ec ? "EC" : "RSA";
                return new Pem(Keytool.pem("CERTIFICATE", cert.getEncoded()), Keytool.pem("PRIVATE KEY", pkcs8),
                        Keytool.pem(algorithm + " PRIVATE KEY", innerKey(pkcs8)), cert, algorithm);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot read the certificate keytool made for " + cn, e);
            } finally {
                if (dir != null) TempDirs.delete(dir);
            }
        }
    }

    /** Trusts exactly {@code certs}. */
    public static SSLContext trusting(X509Certificate... certs) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < certs.length; i++) ks.setCertificateEntry("c" + i, certs[i]);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts exactly the certificates in {@code certPems}. */
    public static SSLContext trusting(String... certPems) {
        X509Certificate[] certs = new X509Certificate[certPems.length];
        for (int i = 0; i < certPems.length; i++) certs[i] = parse(certPems[i]);
        return trusting(certs);
    }

    /** Accepts any server certificate: for tests that look at which one was presented, or compare proxies. */
    public static SSLContext trustingAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A handshaken TLS socket to {@code address}, sending {@code sni} (none when null) and offering h2 and http/1.1. */
    public static SSLSocket connect(InetSocketAddress address, String sni) throws IOException {
        SSLSocket s = (SSLSocket) trustingAll().getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[]{"h2", "http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** The subject of the certificate the peer of {@code s} presented, e.g. {@code CN=a.example.com}. */
    public static String presentedCn(SSLSocket s) throws IOException {
        X509Certificate c = (X509Certificate) s.getSession().getPeerCertificates()[0];
        return c.getSubjectX500Principal().getName();
    }

    /** The certificate a TLS server on 127.0.0.1:{@code port} presents to a client asking for {@code sni}. */
    public static X509Certificate presented(SSLContext trusting, int port, String sni) throws IOException {
        try (SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(p);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    public static String pemOf(X509Certificate c) {
        try {
            return Keytool.pem("CERTIFICATE", c.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code der} as a PEM block labelled {@code label}. */
    public static String pem(String label, byte[] der) {
        return Keytool.pem(label, der);
    }

    static X509Certificate parse(String certPem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate", e);
        }
    }

    /** The PKCS#1 / SEC1 structure inside a PKCS#8 PrivateKeyInfo: its third element's OCTET STRING content. */
    static byte[] innerKey(byte[] pkcs8) {
        int[] pos = {0};
        header(pkcs8, pos);                 // SEQUENCE
        skip(pkcs8, pos);                   // INTEGER version
        skip(pkcs8, pos);                   // AlgorithmIdentifier
        int len = header(pkcs8, pos);       // OCTET STRING
        return Arrays.copyOfRange(pkcs8, pos[0], pos[0] + len);
    }

    private static int header(byte[] d, int[] pos) {
        pos[0]++; // tag
        int len = d[pos[0]++] & 0xff;
        if (len >= 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (d[pos[0]++] & 0xff);
        }
        return len;
    }

    private static void skip(byte[] d, int[] pos) {
        int len = header(d, pos); // first: header() moves pos[0], and "pos[0] += header(...)" would read it before
        pos[0] += len;
    }
}
