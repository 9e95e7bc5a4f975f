package io.switchyard.controlplane;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Real certificates and keys for tests, made by the JDK's own keytool (a tool no one here wrote)
 * and exported to PEM. Generated once per JVM and cached, since keytool costs a second a call.
 */
public final class TestCerts {
    /** One certificate with its key in every encoding the API accepts. */
    public record Pair(String certPem, String pkcs8Pem, String traditionalPem, String algorithm) {
    }

    private static final ConcurrentHashMap<String, Pair> CACHE = new ConcurrentHashMap<>();

    private TestCerts() {
    }

    /** RSA 2048, valid for 90 days, SANs example.com and www.example.com. */
    public static Pair rsa() {
        return CACHE.computeIfAbsent("rsa", k -> make("RSA", List.of("-keysize", "2048"), "example.com", "dns:example.com,dns:www.example.com", null, 90));
    }

    /** Another RSA pair for "wrong key" cases. */
    public static Pair otherRsa() {
        return CACHE.computeIfAbsent("rsa2", k -> make("RSA", List.of("-keysize", "2048"), "other.example", "dns:other.example", null, 90));
    }

    /** EC P-256, valid for 30 days, SAN ec.example.com. */
    public static Pair ec() {
        return CACHE.computeIfAbsent("ec", k -> make("EC", List.of("-groupname", "secp256r1"), "ec.example.com", "dns:ec.example.com", null, 30));
    }

    /** RSA, valid from 10 days ago for 2 days: expired. */
    public static Pair expired() {
        return CACHE.computeIfAbsent("expired", k -> make("RSA", List.of("-keysize", "2048"), "old.example", "dns:old.example", "-10d", 2));
    }

    private static Pair make(String alg, List<String> extra, String cn, String san, String start, int days) {
        try {
            Path dir = Files.createTempDirectory("switchyard-certs");
            Path ks = dir.resolve("ks.p12");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "k", "-keyalg", alg));
            cmd.addAll(extra);
            cmd.addAll(List.of("-dname", "CN=" + cn, "-ext", "SAN=" + san, "-validity", Integer.toString(days),
                    "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"));
            if (start != null) cmd.addAll(List.of("-startdate", start));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool failed: " + out);
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = new FileInputStream(ks.toFile())) {
                store.load(in, "changeit".toCharArray());
            }
            X509Certificate cert = (X509Certificate) store.getCertificate("k");
            PrivateKey key = (PrivateKey) store.getKey("k", "changeit".toCharArray());
            Files.delete(ks);
            Files.delete(dir);
            byte[] pkcs8 = key.getEncoded();
            String label = alg.equals("RSA") ? "RSA PRIVATE KEY" : "EC PRIVATE KEY";
            return new Pair(pem("CERTIFICATE", cert.getEncoded()), pem("PRIVATE KEY", pkcs8), pem(label, innerKey(pkcs8)), alg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + label + "-----\n";
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
        int len = header(d, pos);
        pos[0] += len;
    }
}
