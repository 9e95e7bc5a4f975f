package io.switchyard.controlplane.certificate;

import io.switchyard.testkit.TestCerts;
import io.switchyard.pem.Der;

import io.switchyard.config.Certificate;
import io.switchyard.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateInspectorTest {
    static Certificate cert(String certPem, String keyPem) {
        return new Certificate("c", List.of(), certPem, keyPem, false);
    }

    @Test
    void acceptsRsaKeysAsPkcs8AndAsPkcs1() {
        TestCerts.Pem rsa = TestCerts.rsa();
        assertThat(rsa.traditionalKeyPem()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        CertificateInspector.Details d = CertificateInspector.check(cert(rsa.certPem(), rsa.keyPem()), Instant.now()).details();
        assertThat(d.subject()).isEqualTo("CN=example.com");
        assertThat(d.dnsNames()).containsExactly("example.com", "www.example.com");
        assertThat(d.chainLength()).isEqualTo(1);
        assertThat(CertificateInspector.check(cert(rsa.certPem(), rsa.traditionalKeyPem()), Instant.now()).pkcs8KeyPem())
                .as("PKCS#1 is stored as the PKCS#8 the JDK itself writes").isEqualTo(rsa.keyPem());
        assertThat(CertificateInspector.check(cert(rsa.certPem(), rsa.keyPem()), Instant.now()).pkcs8KeyPem()).isEqualTo(rsa.keyPem());
        assertThat(CertificateInspector.check(cert(rsa.certPem(), null), Instant.now()).pkcs8KeyPem()).isNull();
    }

    @Test
    void acceptsEcKeysAsPkcs8AndAsSec1WithOrWithoutTheirCurve() {
        TestCerts.Pem ec = TestCerts.ec();
        assertThat(ec.traditionalKeyPem()).startsWith("-----BEGIN EC PRIVATE KEY-----");
        CertificateInspector.check(cert(ec.certPem(), ec.keyPem()), Instant.now());
        assertThat(CertificateInspector.check(cert(ec.certPem(), ec.traditionalKeyPem()), Instant.now()).pkcs8KeyPem())
                .as("SEC1 without its curve gets the certificate's curve in PKCS#8").isEqualTo(ec.keyPem());
        // openssl writes SEC1 with the named curve in [0]; build that form too (prime256v1).
        byte[] sec1 = Base64.getMimeDecoder().decode(ec.traditionalKeyPem().replaceAll("-----[A-Z ]+-----", ""));
        byte[] curve = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
        byte[] withCurve = withContext0(sec1, curve);
        CertificateInspector.check(cert(ec.certPem(), TestCerts.pem("EC PRIVATE KEY", withCurve)), Instant.now());
        assertThat(Der.sec1CurveOid(withCurve)).isEqualTo(curve);
    }

    @Test
    void aChainWithMoreThanOneCertificateIsReadInOrder() {
        String chain = TestCerts.rsa().certPem() + TestCerts.ec().certPem();
        CertificateInspector.Details d = CertificateInspector.check(cert(chain, TestCerts.rsa().keyPem()), Instant.now()).details();
        assertThat(d.chainLength()).isEqualTo(2);
        assertThat(d.subject()).isEqualTo("CN=example.com");
    }

    @Test
    void refusesAnExpiredCertificateOnCertPem() {
        TestCerts.Pem old = TestCerts.expired();
        assertThatThrownBy(() -> CertificateInspector.check(cert(old.certPem(), old.keyPem()), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).singleElement().satisfies(v -> {
                        assertThat(v.field()).isEqualTo("cert_pem");
                        assertThat(v.message()).startsWith("expired on ");
                    });
                });
        assertThat(CertificateInspector.describe(old.certPem()).daysUntilExpiry(Instant.now())).isNegative();
    }

    @Test
    void refusesAKeyOfAnotherCertificateOrAnotherKindOnKeyPem() {
        TestCerts.Pem rsa = TestCerts.rsa();
        assertThatThrownBy(() -> CertificateInspector.check(cert(rsa.certPem(), TestCerts.otherRsa().traditionalKeyPem()), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("key_pem"))
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> CertificateInspector.check(cert(rsa.certPem(), TestCerts.ec().traditionalKeyPem()), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("key_pem"));
        assertThatThrownBy(() -> CertificateInspector.check(cert(TestCerts.ec().certPem(), rsa.keyPem()), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("key_pem"))
                .hasMessageContaining("RSA key does not match the certificate's EC");
    }

    @Test
    void refusesUnreadableOrEncryptedPemWithTheField() {
        TestCerts.Pem rsa = TestCerts.rsa();
        assertThatThrownBy(() -> CertificateInspector.check(cert("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", null), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("cert_pem"));
        assertThatThrownBy(() -> CertificateInspector.check(cert(rsa.certPem(), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), Instant.now()))
                .hasMessageContaining("encrypted");
        assertThatThrownBy(() -> CertificateInspector.check(cert(rsa.certPem(), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("key_pem"));
        assertThatThrownBy(() -> CertificateInspector.check(cert(rsa.certPem(), "-----BEGIN RSA PRIVATE KEY-----\n!!notbase64!!\n-----END RSA PRIVATE KEY-----\n"), Instant.now()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations().get(0).field()).isEqualTo("key_pem"));
    }

    /** Appends {@code [0] { oid }} inside a SEC1 SEQUENCE that has none (lengths kept short-form or 0x81). */
    private static byte[] withContext0(byte[] sec1, byte[] oid) {
        Der.Tlv seq = Der.read(sec1, 0);
        byte[] inner = java.util.Arrays.copyOfRange(sec1, seq.valueStart(), seq.end());
        return Der.tlv(Der.SEQUENCE, inner, Der.tlv(Der.CONTEXT_0, oid));
    }
}
