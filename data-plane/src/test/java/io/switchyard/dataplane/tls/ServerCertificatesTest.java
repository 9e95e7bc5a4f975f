package io.switchyard.dataplane.tls;

import io.netty.handler.ssl.SslContext;
import io.switchyard.config.Certificate;
import io.switchyard.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerCertificatesTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = ServerCertificatesTest.class.getResourceAsStream("/keys/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void loadsPkcs1RsaAndSec1EcKeysAsWellAsPkcs8() throws Exception {
        Certificate rsa = new Certificate("rsa", List.of("rsa.example.com"), resource("rsa-cert.pem"), resource("rsa-pkcs1-key.pem"), false);
        Certificate ec = new Certificate("ec", List.of("ec.example.com"), resource("ec-cert.pem"), resource("ec-sec1-key.pem"), true);
        ServerCertificates certs = ServerCertificates.compile(List.of(rsa, ec), null);
        SslContext r = certs.select("rsa.example.com");
        SslContext e = certs.select("ec.example.com");
        assertThat(r).isNotNull().isNotSameAs(e);
        assertThat(certs.select(null)).isSameAs(e);
        assertThat(certs.select("other.example.com")).isSameAs(e);
    }

    @Test
    void reusesTheContextOfAnUnchangedCertificateAcrossCompiles() throws Exception {
        Certificate rsa = new Certificate("rsa", List.of("rsa.example.com"), resource("rsa-cert.pem"), resource("rsa-pkcs1-key.pem"), false);
        ServerCertificates first = ServerCertificates.compile(List.of(rsa), null);
        ServerCertificates second = ServerCertificates.compile(List.of(rsa), first);
        assertThat(second.select("rsa.example.com")).isSameAs(first.select("rsa.example.com"));
    }

    @Test
    void rejectsAKeyThatDoesNotLoadNamingTheCertificate() throws Exception {
        Certificate mismatched = new Certificate("mix", List.of("x.example.com"), resource("rsa-cert.pem"),
                "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n", false);
        assertThatThrownBy(() -> ServerCertificates.compile(List.of(mismatched), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("certificates[0]").hasMessageContaining("\"mix\"");
        Certificate encrypted = new Certificate("enc", List.of("y.example.com"), resource("rsa-cert.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQA=\n-----END ENCRYPTED PRIVATE KEY-----\n", false);
        assertThatThrownBy(() -> ServerCertificates.compile(List.of(encrypted), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encrypted");
    }
}
