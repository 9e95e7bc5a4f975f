package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The whole desired state: the declarative document of the contract. Immutable; every instance is
 * valid (names unique, every route's upstream exists, no two routes with the same host and prefix,
 * no SNI served by two certificates, at most one default certificate). Global {@code timeouts}
 * always carry all three values.
 *
 * <p>Edge settings, all global: {@code trustedProxies} (CIDRs whose {@code X-Forwarded-For} entries are
 * believed; default none), {@code clientBodyTimeoutMs} (the longest gap while a request body arrives;
 * default {@value #DEFAULT_CLIENT_BODY_TIMEOUT_MS}), {@code maxConnections} and {@code maxTunnels} (per node;
 * 0 means unlimited). Absent fields take their defaults, and fields at their defaults are left out of the
 * JSON, so documents written before these settings existed read and print exactly as before.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Config(Timeouts timeouts, List<Upstream> upstreams, List<Route> routes, List<Certificate> certificates,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> trustedProxies,
                     @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = DefaultClientBodyTimeout.class) Long clientBodyTimeoutMs,
                     @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = Unlimited.class) Integer maxConnections,
                     @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = Unlimited.class) Integer maxTunnels) {
    public static final long DEFAULT_CLIENT_BODY_TIMEOUT_MS = 60_000;
    public static final Config EMPTY = new Config(null, null, null, null);

    public Config {
        timeouts = (timeouts == null ? Timeouts.DEFAULTS : timeouts).withDefaults();
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        routes = routes == null ? List.of() : List.copyOf(routes);
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        Checks c = new Checks();

        trustedProxies = trustedProxies(trustedProxies, c);
        if (clientBodyTimeoutMs == null) clientBodyTimeoutMs = DEFAULT_CLIENT_BODY_TIMEOUT_MS;
        else if (clientBodyTimeoutMs <= 0 || clientBodyTimeoutMs > Timeouts.MAX_MS)
            c.check(false, "client_body_timeout_ms", clientBodyTimeoutMs + " (expected: > 0 and <= " + Timeouts.MAX_MS + ")");
        if (maxConnections == null) maxConnections = 0;
        else if (maxConnections < 0) c.check(false, "max_connections", maxConnections + " (expected: >= 0; 0 for unlimited)");
        if (maxTunnels == null) maxTunnels = 0;
        else if (maxTunnels < 0) c.check(false, "max_tunnels", maxTunnels + " (expected: >= 0; 0 for unlimited)");

        Map<String, Integer> upstreamIndex = new HashMap<>();
        for (int i = 0; i < upstreams.size(); i++) {
            Upstream u = upstreams.get(i);
            Integer prev = upstreamIndex.putIfAbsent(u.name(), i);
            if (prev != null) c.check(false, "upstreams[" + i + "].name",
                    Checks.quote(u.name()) + " (duplicate: also upstreams[" + prev + "])");
        }

        Map<String, Integer> routeIndex = new HashMap<>();
        Map<String, String> matchOwner = new HashMap<>();
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            // Messages are built only on failure: this loop runs over every route of every pushed snapshot.
            Integer prev = routeIndex.putIfAbsent(r.name(), i);
            if (prev != null) c.check(false, "routes[" + i + "].name",
                    Checks.quote(r.name()) + " (duplicate: also routes[" + prev + "])");
            if (!upstreamIndex.containsKey(r.upstream())) c.check(false, "routes[" + i + "].upstream",
                    Checks.quote(r.upstream()) + " (no such upstream; upstreams are: "
                            + upstreams.stream().map(Upstream::name).collect(Collectors.joining(", ")) + ")");
            List<String> hosts = r.hosts().isEmpty() ? List.of("") : r.hosts();
            for (String h : hosts) {
                String owner = matchOwner.putIfAbsent(h + " " + r.pathPrefix(), r.name());
                if (owner != null && !owner.equals(r.name())) c.check(false, "routes[" + i + "].path_prefix",
                        Checks.quote(r.pathPrefix()) + " (route " + Checks.quote(owner) + " already matches "
                                + (h.isEmpty() ? "any host" : "host " + Checks.quote(h)) + " with this prefix)");
            }
        }

        Map<String, Integer> certIndex = new HashMap<>();
        Map<String, String> sniOwner = new HashMap<>();
        String defaultCert = null;
        for (int i = 0; i < certificates.size(); i++) {
            Certificate cert = certificates.get(i);
            Integer prev = certIndex.putIfAbsent(cert.name(), i);
            if (prev != null) c.check(false, "certificates[" + i + "].name",
                    Checks.quote(cert.name()) + " (duplicate: also certificates[" + prev + "])");
            for (int j = 0; j < cert.snis().size(); j++) {
                String sni = cert.snis().get(j);
                String owner = sniOwner.putIfAbsent(sni, cert.name());
                if (owner != null) c.check(false, "certificates[" + i + "].snis[" + j + "]",
                        Checks.quote(sni) + " (already served by certificate " + Checks.quote(owner) + ")");
            }
            if (cert.isDefault()) {
                c.check(defaultCert == null, "certificates[" + i + "].default",
                        "true (certificate " + Checks.quote(defaultCert) + " is already the default)");
                if (defaultCert == null) defaultCert = cert.name();
            }
        }
        c.throwIfAny();
    }

    /** The document without the edge settings (all at their defaults): how the planes built it before they existed. */
    public Config(Timeouts timeouts, List<Upstream> upstreams, List<Route> routes, List<Certificate> certificates) {
        this(timeouts, upstreams, routes, certificates, null, null, null, null);
    }

    private static List<String> trustedProxies(List<String> written, Checks c) {
        if (written == null || written.isEmpty()) return TrustedProxies.NONE;
        if (written instanceof TrustedProxies already) return already;
        List<Cidr> cidrs = new ArrayList<>(written.size());
        Map<Cidr, Integer> seen = new HashMap<>();
        for (int i = 0; i < written.size(); i++) {
            String s = written.get(i);
            try {
                Cidr cidr = Cidr.parse(s);
                Integer prev = seen.putIfAbsent(cidr, i);
                if (prev != null) c.check(false, "trusted_proxies[" + i + "]",
                        Checks.quote(s) + " (duplicate: also trusted_proxies[" + prev + "])");
                cidrs.add(cidr);
            } catch (IllegalArgumentException e) {
                c.check(false, "trusted_proxies[" + i + "]", e.getMessage());
            }
        }
        // Only reached with every entry non-null when valid: a null entry failed Cidr.parse above.
        return c.ok() ? new TrustedProxies(written, cidrs) : TrustedProxies.NONE;
    }

    /** {@code trustedProxies} parsed (once, when this document was built), in document order. */
    public List<Cidr> trustedProxyCidrs() {
        return ((TrustedProxies) trustedProxies).cidrs();
    }

    /** Whether {@code address} (4 or 16 bytes) lies in one of the {@code trusted_proxies}. */
    public boolean isTrustedProxy(byte[] address) {
        for (Cidr cidr : trustedProxyCidrs()) if (cidr.contains(address)) return true;
        return false;
    }

    /** Whether {@code max_connections} limits the connections of a node. */
    public boolean limitsConnections() {
        return maxConnections > 0;
    }

    /** Whether {@code max_tunnels} limits the tunnels of a node. */
    public boolean limitsTunnels() {
        return maxTunnels > 0;
    }

    /** Value filter for the codec: true for what must be left out of the JSON (the default). */
    static final class DefaultClientBodyTimeout {
        @Override
        public boolean equals(Object o) {
            return o == null || o.equals(DEFAULT_CLIENT_BODY_TIMEOUT_MS);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** Value filter for the codec: 0 (unlimited) is left out of the JSON. */
    static final class Unlimited {
        @Override
        public boolean equals(Object o) {
            return o == null || o.equals(0);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    public Optional<Upstream> upstream(String name) {
        return upstreams.stream().filter(u -> u.name().equals(name)).findFirst();
    }

    public Optional<Route> route(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public Optional<Certificate> certificate(String name) {
        return certificates.stream().filter(x -> x.name().equals(name)).findFirst();
    }

    /** Upstreams by name, in document order. */
    public Map<String, Upstream> upstreamsByName() {
        Map<String, Upstream> m = new LinkedHashMap<>();
        for (Upstream u : upstreams) m.put(u.name(), u);
        return m;
    }

    /** This document with every private key removed: what any API or log may show. */
    public Config redacted() {
        return new Config(timeouts, upstreams, routes, certificates.stream().map(Certificate::redacted).toList(),
                trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    /** Throws unless every certificate carries its key (a document a data plane can serve). */
    public Config requireKeys() {
        Checks c = new Checks();
        for (int i = 0; i < certificates.size(); i++)
            c.check(certificates.get(i).keyPem() != null, "certificates[" + i + "].key_pem", "missing (expected: a PEM private key)");
        c.throwIfAny();
        return this;
    }

    public Config withTimeouts(Timeouts t) {
        return new Config(t, upstreams, routes, certificates, trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    public Config withUpstreams(List<Upstream> u) {
        return new Config(timeouts, u, routes, certificates, trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    public Config withRoutes(List<Route> r) {
        return new Config(timeouts, upstreams, r, certificates, trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    public Config withCertificates(List<Certificate> c) {
        return new Config(timeouts, upstreams, routes, c, trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    /** @param cidrs CIDR strings; null or empty for none */
    public Config withTrustedProxies(List<String> cidrs) {
        return new Config(timeouts, upstreams, routes, certificates, cidrs, clientBodyTimeoutMs, maxConnections, maxTunnels);
    }

    /** @param ms null for the default */
    public Config withClientBodyTimeoutMs(Long ms) {
        return new Config(timeouts, upstreams, routes, certificates, trustedProxies, ms, maxConnections, maxTunnels);
    }

    /** @param max 0 or null for unlimited */
    public Config withMaxConnections(Integer max) {
        return new Config(timeouts, upstreams, routes, certificates, trustedProxies, clientBodyTimeoutMs, max, maxTunnels);
    }

    /** @param max 0 or null for unlimited */
    public Config withMaxTunnels(Integer max) {
        return new Config(timeouts, upstreams, routes, certificates, trustedProxies, clientBodyTimeoutMs, maxConnections, max);
    }
}
