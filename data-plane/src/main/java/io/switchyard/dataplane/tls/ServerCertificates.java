package io.switchyard.dataplane.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.switchyard.host.HostMapping;
import io.switchyard.config.Certificate;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Violation;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshot's certificates compiled into server {@link SslContext}s and an SNI map (exact names,
 * then {@code *.} wildcards of one label, then the default). Built when a snapshot is applied and
 * published with the routing table, so a rotation reaches new handshakes only; established sessions
 * keep the context they started with. Immutable and thread-safe. Internal.
 */
public final class ServerCertificates {
    public static final ServerCertificates NONE = new ServerCertificates(Map.of(), HostMapping.empty());

    /**
     * The listener's TLS policy, Mozilla's "intermediate": TLS 1.2 and 1.3 only, and for TLS 1.2 only ECDHE key
     * exchange (forward secrecy) with AEAD ciphers. Unsupported names are filtered per provider.
     */
    public static final String POLICY = "intermediate";
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private final Map<String, Compiled> byName;
    private final HostMapping<SslContext> sni;

    private record Compiled(Certificate certificate, SslContext context) {
    }

    private ServerCertificates(Map<String, Compiled> byName, HostMapping<SslContext> sni) {
        this.byName = byName;
        this.sni = sni;
    }

    private static volatile SslProvider resolved;

    /**
     * "OpenSSL" (netty-tcnative BoringSSL) when its native library loads here, else "JDK". The first call loads the
     * library and the TLS classes (about 7 MB of a process's memory), so it is made only when TLS is first needed: a
     * TLS listener, a certificate, an upstream over TLS.
     */
    public static SslProvider provider() {
        SslProvider p = resolved;
        if (p == null) resolved = p = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        return p;
    }

    /** The status page's name of the provider: {@code openssl} or {@code jdk}, or {@code not_loaded} while nothing here used TLS. */
    public static String providerName() {
        SslProvider p = resolved;
        return p == null ? "not_loaded" : p == SslProvider.OPENSSL ? "openssl" : "jdk";
    }

    /**
     * Compiles {@code certificates}, reusing the contexts of unchanged certificates from {@code previous}.
     *
     * @throws ConfigException naming each certificate whose chain or key cannot be loaded
     */
    public static ServerCertificates compile(List<Certificate> certificates, ServerCertificates previous) {
        if (certificates.isEmpty()) return NONE;
        List<Violation> violations = new ArrayList<>();
        Map<String, Compiled> byName = new HashMap<>();
        HostMapping.Builder<SslContext> sni = HostMapping.builder();
        SslContext def = null;
        for (int i = 0; i < certificates.size(); i++) {
            Certificate c = certificates.get(i);
            Compiled old = previous == null ? null : previous.byName.get(c.name());
            SslContext ctx;
            if (old != null && old.certificate.equals(c)) {
                ctx = old.context;
            } else {
                try {
                    ctx = serverContext(c);
                } catch (Exception | Error e) {
                    violations.add(new Violation("certificates[" + i + "]",
                            "\"" + c.name() + "\" cannot be loaded: " + e.getMessage()
                                    + " (expected: a PEM chain and its unencrypted PEM private key: PKCS#8, PKCS#1 RSA or SEC1 EC)"));
                    continue;
                }
            }
            byName.put(c.name(), new Compiled(c, ctx));
            for (String name : c.snis()) sni.add(name, ctx);
            if (c.isDefault()) def = ctx;
        }
        if (!violations.isEmpty()) throw new ConfigException(violations);
        if (def == null && certificates.size() == 1) def = byName.get(certificates.get(0).name()).context;
        if (def != null) sni.fallback(def);
        return new ServerCertificates(byName, sni.build());
    }

    private static SslContext serverContext(Certificate c) throws Exception {
        if (c.keyPem() == null) throw new IllegalArgumentException("no private key");
        return SslContextBuilder.forServer(
                        new ByteArrayInputStream(c.certPem().getBytes(StandardCharsets.US_ASCII)),
                        new ByteArrayInputStream(PemKeys.toPkcs8(c.keyPem()).getBytes(StandardCharsets.US_ASCII)))
                .sslProvider(provider())
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    /**
     * The context for a ClientHello's server name: exact, then wildcard (one label), then the default.
     * Null when nothing fits (the handshake then fails).
     */
    public SslContext select(String serverName) {
        return sni.get(serverName);
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }
}
