package io.switchyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small certificate authority for TLS tests (mutual TLS between nodes and the control plane), run with the
 * JDK's own keytool like {@link TestCerts}: a CA, and certificates it issues with the subject alternative names asked for, written
 * as the PEM files an operator would pass to the flags.
 */
public final class TestPki {
    private static final String PASS = Keytool.PASS;

    /** A CA: its key store (to issue with) and its certificate as PEM. */
    public record Ca(Path keyStore, Path certFile) {
    }

    /** An issued certificate: the chain (leaf, then CA) and the unencrypted PKCS#8 key, as PEM files. */
    public record Issued(Path certFile, Path keyFile) {
    }

    private TestPki() {
    }

    public static Ca ca(Path dir, String name) {
        try {
            Path d = Files.createDirectories(dir.resolve("ca-" + name));
            Path ks = d.resolve("ca.p12");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                    "-ext", "bc:c", "-validity", "30", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
            Path cert = d.resolve("ca.pem");
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ks.toString(), "-storepass", PASS, "-file", cert.toString());
            return new Ca(ks, cert);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param san keytool's form, e.g. {@code dns:edge-1} or {@code ip:127.0.0.1,dns:localhost} */
    public static Issued issue(Ca ca, Path dir, String cn, String san) {
        try {
            Path d = Files.createDirectories(dir.resolve("cert-" + cn + "-" + System.nanoTime()));
            Path ks = d.resolve("leaf.p12");
            keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                    "-validity", "30", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
            Path csr = d.resolve("leaf.csr");
            keytool("-certreq", "-alias", "leaf", "-keystore", ks.toString(), "-storepass", PASS, "-file", csr.toString());
            Path leaf = d.resolve("leaf.pem");
            keytool("-gencert", "-alias", "ca", "-keystore", ca.keyStore().toString(), "-storepass", PASS, "-infile", csr.toString(),
                    "-outfile", leaf.toString(), "-rfc", "-validity", "30", "-ext", "san=" + san);
            Path chain = d.resolve("cert.pem");
            Files.writeString(chain, Files.readString(leaf) + Files.readString(ca.certFile()));
            byte[] pkcs8 = Keytool.load(ks).getKey("leaf", PASS.toCharArray()).getEncoded();
            Path key = d.resolve("key.pem");
            Files.writeString(key, Keytool.pem("PRIVATE KEY", pkcs8));
            return new Issued(chain, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void keytool(String... args) {
        Keytool.run(args);
    }
}
