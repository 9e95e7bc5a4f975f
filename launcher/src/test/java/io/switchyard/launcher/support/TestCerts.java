package io.switchyard.launcher.support;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for tests, made with the JDK's own keytool (no test-only crypto library):
 * an EC P-256 key, the given DNS names as subjectAltName, PEM out.
 */
public final class TestCerts {
    public record Pem(String certPem, String keyPem) {
    }

    private TestCerts() {
    }

    public static Pem selfSigned(Path dir, String cn, String... dnsNames) throws Exception {
        Path ks = Files.createTempFile(dir, "ks-", ".p12");
        Files.delete(ks);
        StringBuilder san = new StringBuilder();
        for (String n : dnsNames) san.append(san.length() == 0 ? "SAN=" : ",").append("dns:").append(n);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "k", "-keyalg", "EC", "-groupname", "secp256r1",
                "-sigalg", "SHA256withECDSA", "-dname", "CN=" + cn, "-ext", san.toString(), "-validity", "30",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool failed: " + out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey("k", "changeit".toCharArray());
        Certificate cert = store.getCertificate("k");
        return new Pem(pem("CERTIFICATE", cert.getEncoded()), pem("PRIVATE KEY", key.getEncoded()));
    }

    /** An SSLContext that trusts exactly these certificates. */
    public static javax.net.ssl.SSLContext trusting(String... certPems) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
        for (int i = 0; i < certPems.length; i++)
            ts.setCertificateEntry("c" + i, cf.generateCertificate(new java.io.ByteArrayInputStream(certPems[i].getBytes())));
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The certificate a TLS server presents to a client asking for {@code sni}. */
    public static java.security.cert.X509Certificate presented(javax.net.ssl.SSLContext trusting, int port, String sni) throws Exception {
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", port)) {
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(sni)));
            s.setSSLParameters(p);
            s.startHandshake();
            return (java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    public static String pemOf(java.security.cert.X509Certificate c) throws Exception {
        return pem("CERTIFICATE", c.getEncoded());
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
