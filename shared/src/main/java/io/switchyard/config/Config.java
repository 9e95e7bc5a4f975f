package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;

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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Config(Timeouts timeouts, List<Upstream> upstreams, List<Route> routes, List<Certificate> certificates) {
    public static final Config EMPTY = new Config(null, null, null, null);

    public Config {
        timeouts = (timeouts == null ? Timeouts.DEFAULTS : timeouts).withDefaults();
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        routes = routes == null ? List.of() : List.copyOf(routes);
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        Checks c = new Checks();

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
        return new Config(timeouts, upstreams, routes, certificates.stream().map(Certificate::redacted).toList());
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
        return new Config(t, upstreams, routes, certificates);
    }

    public Config withUpstreams(List<Upstream> u) {
        return new Config(timeouts, u, routes, certificates);
    }

    public Config withRoutes(List<Route> r) {
        return new Config(timeouts, upstreams, r, certificates);
    }

    public Config withCertificates(List<Certificate> c) {
        return new Config(timeouts, upstreams, routes, c);
    }
}
