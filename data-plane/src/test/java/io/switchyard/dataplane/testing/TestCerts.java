package io.switchyard.dataplane.testing;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.switchyard.config.Certificate;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

/** Self-signed certificates made at test time, and TLS client sockets that report what the server presented. */
public final class TestCerts {
    private TestCerts() {
    }

    /** A PEM chain and PKCS#8 key for {@code cn}, and the parsed certificate. */
    public record Pem(String certPem, String keyPem, X509Certificate cert) {
        public Certificate certificate(String name, List<String> snis, boolean isDefault) {
            return new Certificate(name, snis, certPem, keyPem, isDefault);
        }
    }

    public static Pem generate(String cn) {
        try {
            SelfSignedCertificate ssc = new SelfSignedCertificate(cn);
            try {
                return new Pem(Files.readString(ssc.certificate().toPath()), Files.readString(ssc.privateKey().toPath()), ssc.cert());
            } finally {
                ssc.delete();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate a certificate for " + cn, e);
        }
    }

    /** Trusts exactly {@code certs}. */
    public static SSLContext trusting(X509Certificate... certs) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < certs.length; i++) ks.setCertificateEntry("c" + i, certs[i]);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Accepts any server certificate: for tests that look at which one was presented. */
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
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A handshaken TLS socket to {@code address}, sending {@code sni} (none when null) and offering h2 and http/1.1. */
    public static SSLSocket connect(InetSocketAddress address, String sni) throws Exception {
        SSLSocket s = (SSLSocket) trustingAll().getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[]{"h2", "http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    public static String presentedCn(SSLSocket s) throws Exception {
        X509Certificate c = (X509Certificate) s.getSession().getPeerCertificates()[0];
        return c.getSubjectX500Principal().getName();
    }
}
