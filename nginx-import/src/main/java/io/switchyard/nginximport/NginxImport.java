package io.switchyard.nginximport;

import io.switchyard.config.Balance;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates a parsed nginx configuration into Switchyard's declarative document and a {@link Report}
 * naming, for every directive, what it became or why it did not carry. The rules are nginx's own:
 * timeouts and {@code proxy_set_header} inherit http → server → location (a level that sets any
 * {@code proxy_set_header} inherits none), the default server of a port answers any host,
 * {@code proxy_pass} with a URI part replaces the matched location prefix. Stateless: each call
 * translates one configuration.
 */
public final class NginxImport {
    /** nginx's own defaults for proxy_connect/read/send_timeout: 60 s each. */
    static final long NGINX_DEFAULT_TIMEOUT_MS = 60_000;

    /** The document, the report, and the listeners the data plane should use. */
    public record Result(Config config, Report report, List<String> listen, List<String> tlsListen) {
        /** The document as JSON, through the codec (and read back by it, so it is one the API accepts). */
        public String json() {
            String json = ConfigCodec.writePretty(config);
            ConfigCodec.readConfig(json);
            return json;
        }
    }

    private NginxImport() {
    }

    /** Reads {@code main} (and its includes) and translates it. */
    public static Result translate(Path main) {
        List<Directive> top = NginxParser.parse(main);
        return translate(top, main.toAbsolutePath().normalize().getParent());
    }

    /** Translates parsed directives; relative certificate paths resolve against {@code confDir}. */
    public static Result translate(List<Directive> top, Path confDir) {
        return new Translation(confDir).run(top);
    }

    private static final Set<String> MAIN_CONTEXT = Set.of("user", "worker_processes", "pid", "worker_rlimit_nofile",
            "events", "load_module", "daemon", "master_process", "env", "thread_pool", "pcre_jit", "worker_cpu_affinity",
            "worker_shutdown_timeout", "worker_priority", "lock_file", "timer_resolution", "working_directory",
            "worker_rlimit_core", "debug_points", "ssl_engine");
    /** Directives that shape how nginx itself serves files or buffers, with no counterpart a proxy needs. */
    private static final Set<String> NOTHING_TO_CARRY = Set.of("sendfile", "tcp_nopush", "tcp_nodelay", "types",
            "default_type", "types_hash_max_size", "types_hash_bucket_size", "server_names_hash_bucket_size",
            "server_names_hash_max_size", "variables_hash_max_size", "variables_hash_bucket_size", "server_tokens",
            "gzip", "gzip_vary", "gzip_comp_level", "gzip_buffers", "gzip_http_version", "gzip_types", "gzip_min_length",
            "gzip_disable", "open_file_cache", "open_file_cache_valid", "open_file_cache_min_uses",
            "open_file_cache_errors", "reset_timedout_connection", "keepalive_timeout", "keepalive_requests",
            "client_header_timeout", "client_header_buffer_size", "large_client_header_buffers", "charset",
            "ssl_protocols", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_session_cache", "ssl_session_timeout",
            "ssl_session_tickets", "ssl_dhparam", "ssl_ecdh_curve", "ssl_stapling", "ssl_stapling_verify",
            "ssl_trusted_certificate", "resolver", "resolver_timeout", "proxy_temp_path", "client_body_temp_path",
            "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path", "server_name_in_redirect", "port_in_redirect",
            "absolute_redirect", "msie_padding", "lingering_close", "lingering_time", "lingering_timeout");
    /** Buffering knobs: Switchyard streams bodies and frames as they come. */
    private static final Set<String> BUFFERING = Set.of("proxy_buffering", "proxy_buffers", "proxy_buffer_size",
            "proxy_busy_buffers_size", "proxy_request_buffering", "proxy_max_temp_file_size", "proxy_temp_file_write_size");

    /** One level of nginx's inheritance (http, server, location) for the directives the document can carry. */
    private static final class Scope {
        final Scope parent;
        final String level;
        final Map<String, Directive> timeouts = new HashMap<>();
        List<Directive> headers;
        Directive sslCertificate;
        Directive sslCertificateKey;

        Scope(Scope parent, String level) {
            this.parent = parent;
            this.level = level;
        }

        /** nginx's rule: the nearest level that sets any proxy_set_header supplies all of them. */
        List<Directive> effectiveHeaders() {
            for (Scope s = this; s != null; s = s.parent) if (s.headers != null) return s.headers;
            return List.of();
        }

        Directive timeout(String name, boolean includeHttp) {
            for (Scope s = this; s != null; s = s.parent) {
                if (!includeHttp && s.level.equals("http")) return null;
                Directive d = s.timeouts.get(name);
                if (d != null) return d;
            }
            return null;
        }

        Directive certificate() {
            for (Scope s = this; s != null; s = s.parent) if (s.sslCertificate != null) return s.sslCertificate;
            return null;
        }

        Directive certificateKey() {
            for (Scope s = this; s != null; s = s.parent) if (s.sslCertificateKey != null) return s.sslCertificateKey;
            return null;
        }
    }

    /** A server block with what its listen and server_name directives say. */
    private static final class Server {
        final Directive block;
        final List<Listen> listens = new ArrayList<>();
        final List<String> hosts = new ArrayList<>();
        final List<Directive> names = new ArrayList<>();
        String firstName;
        boolean isDefault;
        /** The {@code return 30x https://...} that makes this a plain-to-https redirect server, if it is one. */
        Directive redirect;
        final List<Integer> defaultFor = new ArrayList<>();

        Server(Directive block) {
            this.block = block;
        }

        boolean tls() {
            return listens.stream().anyMatch(l -> l.ssl);
        }

        boolean tlsOnly() {
            return listens.stream().allMatch(l -> l.ssl);
        }
    }

    private record Listen(Directive directive, String host, int port, boolean ssl, boolean explicitDefault, String problem) {
    }

    private static final class Translation {
        private final Path confDir;
        private final Report report = new Report();
        private final Map<String, String> upstreamNames = new LinkedHashMap<>(); // nginx name -> document name
        private final Map<String, Upstream> upstreams = new LinkedHashMap<>();    // document name -> upstream
        private final Map<String, String> implicitUpstreams = new HashMap<>();    // scheme://host:port -> document name
        private final List<Route> routes = new ArrayList<>();
        private final Map<String, Route> matchOwner = new HashMap<>();
        private final Set<String> routeNames = new HashSet<>();
        private final Map<String, Certificate> certificates = new LinkedHashMap<>();
        private final Map<String, String> certificateByFiles = new HashMap<>();
        private final Map<String, String> sniOwner = new HashMap<>();
        private final Set<String> upgradeVariables = new HashSet<>();
        private final Map<Integer, String> plainPorts = new LinkedHashMap<>();
        private final Map<Integer, String> tlsPorts = new LinkedHashMap<>();
        private final Set<Directive> reported = new HashSet<>();
        private Scope http;
        private boolean anyPlain;
        private boolean anyTlsOnly;

        Translation(Path confDir) {
            this.confDir = confDir;
        }

        Result run(List<Directive> top) {
            List<Directive> httpBlocks = top.stream().filter(d -> d.name().equals("http") && d.isBlock()).toList();
            http = new Scope(null, "http");
            if (httpBlocks.isEmpty()) {
                http(top);
            } else {
                for (Directive d : top) {
                    if (d.name().equals("http") && d.isBlock()) {
                        if (d != httpBlocks.get(0)) throw d.refused("\"http\" directive is duplicate");
                        report.note(d, "the http block: its directives follow");
                    } else {
                        other(d, "main");
                    }
                }
                http(httpBlocks.get(0).block());
            }
            Timeouts global = new Timeouts(ms(http.timeouts.get("proxy_connect_timeout")),
                    ms(http.timeouts.get("proxy_read_timeout")), ms(http.timeouts.get("proxy_send_timeout")));
            Timeouts explicit = new Timeouts(
                    global.connectMs() == null ? NGINX_DEFAULT_TIMEOUT_MS : global.connectMs(),
                    global.readMs() == null ? NGINX_DEFAULT_TIMEOUT_MS : global.readMs(),
                    global.sendMs() == null ? NGINX_DEFAULT_TIMEOUT_MS : global.sendMs());
            report.general("timeouts", Report.Outcome.CARRIED, "global timeouts connect " + NginxTime.show(explicit.connectMs())
                    + ", read " + NginxTime.show(explicit.readMs()) + ", send " + NginxTime.show(explicit.sendMs())
                    + " (nginx's 60 s where the http level sets none)");
            List<String> listen = plainPorts.values().stream().toList();
            List<String> tlsListen = tlsPorts.values().stream().toList();
            String flags = (listen.isEmpty() ? "" : "--listen " + listen.get(0))
                    + (tlsListen.isEmpty() ? "" : (listen.isEmpty() ? "" : " ") + "--tls-listen " + tlsListen.get(0));
            report.general("listeners", Report.Outcome.NOTE, flags.isEmpty()
                    ? "no server listens: nothing to pass to the data plane"
                    : "run the data plane with " + flags);
            report.general("headers", Report.Outcome.BUILT_IN, "every route sends X-Real-IP, X-Forwarded-For (appended), "
                    + "X-Forwarded-Proto and X-Forwarded-Host, and passes WebSocket upgrades (Upgrade/Connection) on, "
                    + "whatever proxy_set_header said");
            Config config;
            try {
                config = new Config(explicit, List.copyOf(upstreams.values()), routes, List.copyOf(certificates.values()));
            } catch (ConfigException e) {
                // Every conflict the document forbids is checked above; reaching this is a bug in the translation.
                throw new IllegalStateException("the translated document is invalid: " + e.getMessage(), e);
            }
            return new Result(config, sorted(report, top), listen, tlsListen);
        }

        /** The http context (or the top level of a file without one). */
        private void http(List<Directive> ds) {
            List<Server> servers = new ArrayList<>();
            // First the things servers refer to (nginx resolves upstream names after reading everything).
            for (Directive d : ds) {
                switch (d.name()) {
                    case "map" -> map(d);
                    case "upstream" -> upstream(d);
                    default -> {
                    }
                }
            }
            for (Directive d : ds) {
                switch (d.name()) {
                    case "map", "upstream" -> {
                    }
                    case "server" -> {
                        if (!d.isBlock()) throw d.refused("directive \"server\" has no opening \"{\"");
                        servers.add(new Server(d));
                    }
                    case "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout" -> timeout(d, http, "global");
                    case "proxy_set_header" -> header(d, http);
                    case "ssl_certificate" -> {
                        http.sslCertificate = d;
                        report.carried(d, "the certificate of every TLS server that sets none itself");
                    }
                    case "ssl_certificate_key" -> {
                        http.sslCertificateKey = d;
                        report.carried(d, "the key of every TLS server that sets none itself");
                    }
                    default -> other(d, "http");
                }
            }
            for (Server s : servers) prepare(s);
            anyPlain = servers.stream().anyMatch(s -> s.listens.stream().anyMatch(l -> !l.ssl && l.problem == null));
            anyTlsOnly = servers.stream().anyMatch(Server::tlsOnly);
            markDefaults(servers);
            for (Server s : servers) server(s);
        }

        // ---- map and upstream --------------------------------------------------------------------

        private void map(Directive d) {
            if (d.args().size() == 2 && d.arg(0).equals("$http_upgrade") && d.arg(1).startsWith("$") && isUpgradeMap(d)) {
                upgradeVariables.add(d.arg(1));
                report.builtIn(d, "the WebSocket idiom: Switchyard sends Connection: upgrade only for a WebSocket handshake");
                return;
            }
            report.notCarried(d, "maps other than the WebSocket $http_upgrade idiom have no counterpart");
        }

        private static boolean isUpgradeMap(Directive d) {
            for (Directive e : d.block()) {
                String key = e.name();
                if (e.args().size() != 1) return false;
                String v = e.arg(0).toLowerCase(Locale.ROOT);
                if (!(key.equals("default") || key.isEmpty())) return false;
                if (!(v.equals("upgrade") || v.equals("close") || v.isEmpty() || v.equals("keep-alive"))) return false;
            }
            return true;
        }

        private void upstream(Directive d) {
            if (d.args().size() != 1) throw d.refused("invalid number of arguments in \"upstream\" directive");
            String nginxName = d.arg(0);
            if (upstreamNames.containsKey(nginxName)) throw d.refused("duplicate upstream \"" + nginxName + "\"");
            String name = uniqueUpstreamName(sanitize(nginxName));
            upstreamNames.put(nginxName, name);
            Balance balance = Balance.ROUND_ROBIN;
            Directive balanceBy = null;
            List<Target> targets = new ArrayList<>();
            Map<String, Integer> targetIndex = new HashMap<>();
            for (Directive e : d.block()) {
                switch (e.name()) {
                    case "server" -> target(e, targets, targetIndex);
                    case "ip_hash" -> {
                        balance = Balance.IP_HASH;
                        balanceBy = e;
                        report.carried(e, "balance ip_hash (Switchyard hashes the whole client address, "
                                + "so a client may land on another target than under nginx, and keeps it)");
                    }
                    case "least_conn" -> {
                        balance = Balance.LEAST_CONN;
                        balanceBy = e;
                        report.carried(e, "balance least_conn");
                    }
                    case "hash" -> {
                        if (e.arg(0) != null && e.arg(0).equals("$remote_addr")) {
                            balance = Balance.IP_HASH;
                            balanceBy = e;
                            report.carried(e, "balance ip_hash" + (e.args().contains("consistent")
                                    ? " (rendezvous hashing: like consistent, removing a target moves only its clients)" : ""));
                        } else {
                            report.notCarried(e, "hashing on anything but $remote_addr has no counterpart; round_robin used");
                        }
                    }
                    case "random" -> report.notCarried(e, "random balancing has no counterpart; round_robin used");
                    case "keepalive", "keepalive_timeout", "keepalive_requests", "keepalive_time" ->
                            report.builtIn(e, "Switchyard keeps idle upstream connections in its own pool");
                    case "zone" -> report.note(e, "nothing to carry: every Switchyard worker shares one upstream state");
                    default -> report.notCarried(e, "no counterpart in an upstream");
                }
            }
            Upstream u = new Upstream(name, balance, targets);
            upstreams.put(name, u);
            report.carried(d, "upstream " + name + (name.equals(nginxName) ? "" : " (renamed: names are letters, digits, '.', '_', '-')")
                    + ", balance " + balance.wire() + (balanceBy == null ? " (nginx's default, made explicit)" : "")
                    + ", " + targets.size() + " target" + (targets.size() == 1 ? "" : "s"));
        }

        private void target(Directive e, List<Target> targets, Map<String, Integer> index) {
            if (e.args().isEmpty()) throw e.refused("invalid number of arguments in \"server\" directive");
            String address = e.arg(0);
            if (address.startsWith("unix:")) {
                report.notCarried(e, "unix socket targets have no counterpart");
                return;
            }
            String hostPort = withPort(address, 80);
            if (hostPort == null) {
                report.notCarried(e, "\"" + address + "\" is not a host:port");
                return;
            }
            int weight = 1;
            List<String> lost = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (String p : e.args().subList(1, e.args().size())) {
                if (p.startsWith("weight=")) {
                    try {
                        weight = Integer.parseInt(p.substring(7));
                    } catch (NumberFormatException ex) {
                        throw e.refused("invalid parameter \"" + p + "\"");
                    }
                } else if (p.equals("down")) {
                    report.carried(e, "left out (down)");
                    return;
                } else if (p.equals("backup")) {
                    report.notCarried(e, "backup targets have no counterpart (Switchyard would use it like any other); left out");
                    return;
                } else if (p.startsWith("max_fails=") || p.startsWith("fail_timeout=")) {
                    if (p.equals("max_fails=0")) notes.add("max_fails=0: no passive checks, as in Switchyard");
                    else lost.add(p + " (passive health checks do not exist yet)");
                } else {
                    lost.add(p);
                }
            }
            if (weight < 1 || weight > Target.MAX_WEIGHT) {
                report.notCarried(e, "weight " + weight + " (Switchyard takes 1 to " + Target.MAX_WEIGHT + "); left out");
                return;
            }
            Target t;
            try {
                t = new Target(hostPort, weight);
            } catch (ConfigException ex) {
                report.notCarried(e, "target " + hostPort + ": " + ex.getMessage());
                return;
            }
            Integer prev = index.get(t.address());
            if (prev != null) {
                Target old = targets.get(prev);
                int sum = Math.min(Target.MAX_WEIGHT, old.weight() + weight);
                targets.set(prev, new Target(old.address(), sum));
                report.carried(e, "same target as above: weights added (" + sum + ")");
                return;
            }
            index.put(t.address(), targets.size());
            targets.add(t);
            String msg = "target " + t.address() + " weight " + weight + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
            if (lost.isEmpty()) report.carried(e, msg);
            else report.notCarried(e, msg + ", without " + String.join(", ", lost));
        }

        private String uniqueUpstreamName(String base) {
            String n = base;
            for (int i = 2; upstreams.containsKey(n) || upstreamNames.containsValue(n); i++) n = base + "-" + i;
            return n;
        }

        // ---- servers -----------------------------------------------------------------------------

        private void prepare(Server s) {
            for (Directive d : s.block.block()) {
                if (d.name().equals("listen")) s.listens.add(listen(d));
                if (d.name().equals("server_name")) {
                    s.names.add(d);
                    for (String n : d.args()) {
                        if (s.firstName == null && !n.isEmpty() && !n.startsWith("~") && !n.equals("_")) s.firstName = n;
                        for (String h : hostsOf(n)) if (!s.hosts.contains(h)) s.hosts.add(h);
                    }
                }
            }
            if (s.listens.isEmpty()) s.listens.add(new Listen(null, "0.0.0.0", 80, false, false, null));
            for (Directive d : s.block.block()) {
                if (isHttpsRedirect(d)) s.redirect = d;
                if (d.name().equals("location") && d.isBlock() && d.args().equals(List.of("/")) && d.block().size() == 1
                        && isHttpsRedirect(d.block().get(0))) s.redirect = d.block().get(0);
            }
        }

        private static boolean isHttpsRedirect(Directive d) {
            return d.name().equals("return") && d.args().size() == 2 && List.of("301", "302", "307", "308").contains(d.arg(0))
                    && d.arg(1).startsWith("https://");
        }

        private void redirectReport(Directive d) {
            if (anyTlsOnly) report.carried(d, "https_only on the routes of the TLS servers: Switchyard answers plain HTTP for them with a redirect to https");
            else report.notCarried(d, "a redirect with no TLS server to carry it to (https_only needs a route)");
        }

        /** nginx: the default server of a port is the one marked default_server, else the first one listening on it. */
        private static void markDefaults(List<Server> servers) {
            Map<Integer, Server> byPort = new LinkedHashMap<>();
            for (Server s : servers)
                for (Listen l : s.listens) if (l.problem == null && l.explicitDefault) byPort.putIfAbsent(l.port, s);
            for (Server s : servers)
                for (Listen l : s.listens) if (l.problem == null) byPort.putIfAbsent(l.port, s);
            byPort.forEach((port, s) -> {
                s.isDefault = true;
                s.defaultFor.add(port);
            });
        }

        private Listen listen(Directive d) {
            if (d.args().isEmpty()) throw d.refused("invalid number of arguments in \"listen\" directive");
            String a = d.arg(0);
            if (a.startsWith("unix:")) return new Listen(d, null, 0, false, false, "unix sockets have no counterpart");
            String host = "0.0.0.0";
            String port;
            if (a.startsWith("[")) {
                int end = a.indexOf(']');
                if (end < 0) throw d.refused("invalid host in \"" + a + "\" of the \"listen\" directive");
                host = a.substring(0, end + 1);
                port = end + 1 < a.length() && a.charAt(end + 1) == ':' ? a.substring(end + 2) : "80";
            } else if (a.contains(":")) {
                host = a.substring(0, a.lastIndexOf(':'));
                port = a.substring(a.lastIndexOf(':') + 1);
                if (host.equals("*")) host = "0.0.0.0";
            } else if (a.chars().allMatch(Character::isDigit)) {
                port = a;
            } else {
                host = a;
                port = "80";
            }
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw d.refused("invalid port in \"" + a + "\" of the \"listen\" directive");
            }
            if (p < 1 || p > 65535) throw d.refused("invalid port in \"" + a + "\" of the \"listen\" directive");
            boolean ssl = false;
            boolean def = false;
            String problem = null;
            for (String o : d.args().subList(1, d.args().size())) {
                if (o.equals("ssl")) ssl = true;
                else if (o.equals("default_server") || o.equals("default")) def = true;
                else if (o.equals("proxy_protocol") || o.equals("quic") || o.equals("http3")) problem = o + " has no counterpart";
            }
            return new Listen(d, host, p, ssl, def, problem);
        }

        private void server(Server s) {
            Scope scope = new Scope(http, "server");
            boolean sslOn = false;
            for (Directive d : s.block.block()) {
                switch (d.name()) {
                    case "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout" -> timeout(d, scope, "this server's routes");
                    case "proxy_set_header" -> header(d, scope);
                    case "ssl_certificate" -> scope.sslCertificate = d;
                    case "ssl_certificate_key" -> scope.sslCertificateKey = d;
                    case "ssl" -> sslOn = d.arg(0) != null && d.arg(0).equals("on");
                    default -> {
                    }
                }
            }
            for (Listen l : s.listens) listenReport(l);
            boolean tls = s.tls() || sslOn;
            for (Directive n : s.names) serverNameReport(n);
            String base = s.firstName != null ? s.firstName : s.isDefault ? "default" : "server-" + s.block.line();
            List<String> hosts = s.isDefault ? List.of() : List.copyOf(s.hosts);
            String certName = tls ? certificate(s, scope, base) : null;
            int routesBefore = routes.size();
            for (Directive d : s.block.block()) {
                switch (d.name()) {
                    case "listen", "server_name", "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout",
                         "proxy_set_header" -> {
                    }
                    case "ssl_certificate", "ssl_certificate_key" -> {
                        if (!reported.contains(d)) report.note(d, "nothing to carry: this server does not listen with ssl");
                    }
                    case "ssl" -> report.note(d, "read as listen ... ssl");
                    case "return" -> {
                        if (d == s.redirect) redirectReport(d);
                        else other(d, "server");
                    }
                    case "location" -> {
                        if (s.redirect != null && d.isBlock() && d.block().contains(s.redirect)) {
                            report.carried(d, "the plain HTTP server's redirect to https (see its return)");
                            redirectReport(s.redirect);
                        } else {
                            location(d, s, hosts, scope, base);
                        }
                    }
                    case "proxy_pass" -> report.notCarried(d, "proxy_pass belongs in a location (nginx refuses it here)");
                    default -> other(d, "server");
                }
            }
            String who = s.isDefault
                    ? "default server for port " + join(s.defaultFor) + ": its routes match any host, as nginx's default server answers every name no other server has"
                    : "its routes match host " + String.join(", ", s.hosts)
                    + (routes.subList(routesBefore, routes.size()).stream().anyMatch(r -> r.pathPrefix().equals("/")) ? ""
                    : "; a path none of its locations match falls through to the default server's routes (nginx answered it itself)");
            if (!s.isDefault && s.hosts.isEmpty()) {
                report.notCarried(s.block, "no server_name Switchyard can match and not a default server: its routes match any host");
            } else {
                report.carried(s.block, who + (certName == null ? "" : "; certificate " + certName));
            }
        }

        private void listenReport(Listen l) {
            if (l.directive == null) return;
            if (l.problem != null) {
                report.notCarried(l.directive, l.problem);
                return;
            }
            Map<Integer, String> ports = l.ssl ? tlsPorts : plainPorts;
            String flag = l.ssl ? "--tls-listen" : "--listen";
            String addr = l.host + ":" + l.port;
            String extra = l.directive.args().stream().skip(1)
                    .filter(o -> !o.equals("ssl") && !o.equals("default_server") && !o.equals("default"))
                    .reduce((x, y) -> x + " " + y).map(o -> " (" + o + ": nothing to carry; clients speak HTTP/1.1 to Switchyard)").orElse("");
            if (ports.containsKey(l.port)) {
                report.note(l.directive, flag + " " + ports.get(l.port) + " (as above)" + extra);
            } else if (ports.isEmpty()) {
                ports.put(l.port, addr);
                report.note(l.directive, flag + " " + addr + extra);
            } else {
                report.notCarried(l.directive, "a data plane has one " + flag + " (" + ports.values().iterator().next()
                        + "); run another data plane for " + addr);
            }
        }

        private void serverNameReport(Directive d) {
            List<String> parts = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            List<String> lost = new ArrayList<>();
            for (String n : d.args()) {
                if (n.isEmpty() || n.equals("_")) notes.add((n.isEmpty() ? "\"\"" : "_") + " is the catch-all idiom, no host");
                else if (n.startsWith("~")) lost.add(n + " (regular expression; Switchyard matches exact names and *.domain)");
                else if (n.startsWith("$")) lost.add(n + " (variable)");
                else if (n.startsWith(".") && isHost(n.substring(1))) parts.add(n.substring(1) + ", *" + n + " (one label deep; nginx's " + n + " matched any depth)");
                else if (n.startsWith("*.") && isHost(n)) parts.add(n + " (one label deep; nginx matched any depth)");
                else if (n.endsWith(".*")) lost.add(n + " (trailing wildcard)");
                else if (!isHost(n)) lost.add(n + " (not a host name)");
                else parts.add(n);
            }
            String msg = (parts.isEmpty() ? "no host" : "hosts " + String.join(", ", parts))
                    + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
            if (lost.isEmpty()) report.carried(d, msg);
            else report.notCarried(d, msg + "; " + String.join(", ", lost));
        }

        private static List<String> hostsOf(String n) {
            if (n.isEmpty() || n.equals("_") || n.startsWith("~") || n.startsWith("$") || n.endsWith(".*")) return List.of();
            if (n.startsWith(".")) {
                String bare = n.substring(1);
                return isHost(bare) ? List.of(bare.toLowerCase(Locale.ROOT), "*." + bare.toLowerCase(Locale.ROOT)) : List.of();
            }
            return isHost(n) ? List.of(n.toLowerCase(Locale.ROOT)) : List.of();
        }

        private static boolean isHost(String h) {
            try {
                new Route("probe", List.of(h), "/", "probe");
                return true;
            } catch (ConfigException e) {
                return false;
            }
        }

        // ---- certificates ------------------------------------------------------------------------

        private String certificate(Server s, Scope scope, String base) {
            Directive cert = scope.certificate();
            Directive key = scope.certificateKey();
            if (cert == null || key == null) {
                report.notCarried(s.block, "listens with ssl but has no ssl_certificate and ssl_certificate_key");
                return null;
            }
            String filesKey = cert.arg(0) + "\n" + key.arg(0);
            String existing = certificateByFiles.get(filesKey);
            if (existing != null) {
                addSnis(existing, s, cert);
                markReported(cert, key, existing, true);
                return existing;
            }
            String certPem = readPem(cert, "-----BEGIN CERTIFICATE-----", "a PEM certificate");
            String keyPem = readPem(key, "PRIVATE KEY-----", "a PEM private key");
            if (certPem == null || keyPem == null) {
                if (reported.add(cert)) report.notCarried(cert, "its key could not be read (see " + key.file() + ":" + key.line() + ")");
                if (reported.add(key)) report.notCarried(key, "its certificate could not be read (see " + cert.file() + ":" + cert.line() + ")");
                return null;
            }
            String name = sanitize(base);
            for (int i = 2; certificates.containsKey(name); i++) name = sanitize(base) + "-" + i;
            boolean makeDefault = s.isDefault && s.listens.stream().anyMatch(l -> l.ssl && s.defaultFor.contains(l.port))
                    && certificates.values().stream().noneMatch(Certificate::isDefault);
            Certificate c;
            try {
                c = new Certificate(name, List.of(), certPem, keyPem, makeDefault);
            } catch (ConfigException e) {
                report.notCarried(cert, "certificate " + cert.arg(0) + ": " + e.getMessage());
                reported.add(cert);
                return null;
            }
            certificates.put(name, c);
            certificateByFiles.put(filesKey, name);
            addSnis(name, s, cert);
            markReported(cert, key, name, false);
            return name;
        }

        private void markReported(Directive cert, Directive key, String name, boolean again) {
            if (reported.add(cert)) report.carried(cert, "certificate " + name + (again ? " (shared)" : "") + ": the chain read from " + cert.arg(0));
            if (reported.add(key)) report.carried(key, "certificate " + name + ": the key read from " + key.arg(0));
        }

        private void addSnis(String name, Server s, Directive at) {
            Certificate c = certificates.get(name);
            List<String> snis = new ArrayList<>(c.snis());
            for (String h : s.hosts) {
                String owner = sniOwner.putIfAbsent(h, name);
                if (owner != null && !owner.equals(name)) {
                    report.notCarried(at, "name " + h + " is already served by certificate " + owner);
                    continue;
                }
                if (!snis.contains(h)) snis.add(h);
            }
            certificates.put(name, new Certificate(name, snis, c.certPem(), c.keyPem(), c.isDefault()));
        }

        private String readPem(Directive d, String marker, String what) {
            String p = d.arg(0);
            if (p == null || p.contains("$")) {
                report.notCarried(d, "a path with variables cannot be read ahead of time");
                reported.add(d);
                return null;
            }
            if (p.startsWith("data:")) {
                String text = p.substring(5);
                if (text.contains(marker)) return text;
            }
            Path file = confDir.resolve(p).normalize();
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (!text.contains(marker)) {
                    report.notCarried(d, file + " is not " + what);
                    reported.add(d);
                    return null;
                }
                return text;
            } catch (IOException | RuntimeException e) {
                report.notCarried(d, "cannot read " + file + " (" + reason(e) + ")");
                reported.add(d);
                return null;
            }
        }

        private static String reason(Exception e) {
            if (e instanceof java.nio.file.NoSuchFileException) return "no such file";
            if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }

        // ---- locations ---------------------------------------------------------------------------

        /** The kinds of location match nginx has. */
        private enum Match { PREFIX, EXACT, PREFERRED_PREFIX, REGEX, REGEX_CASELESS, NAMED }

        private static final Pattern SIMPLE_REGEX = Pattern.compile("\\^(/[A-Za-z0-9._~/-]*?)/?(?:\\(/\\|\\$\\)|\\(/\\.\\*\\)\\?\\$|\\(\\?:/\\|\\$\\))");

        private void location(Directive d, Server s, List<String> hosts, Scope parent, String base) {
            Match kind;
            String path;
            List<String> a = d.args();
            if (a.size() == 2) {
                kind = switch (a.get(0)) {
                    case "=" -> Match.EXACT;
                    case "^~" -> Match.PREFERRED_PREFIX;
                    case "~" -> Match.REGEX;
                    case "~*" -> Match.REGEX_CASELESS;
                    default -> throw d.refused("invalid location modifier \"" + a.get(0) + "\"");
                };
                path = a.get(1);
            } else if (a.size() == 1) {
                String v = a.get(0);
                if (v.startsWith("@")) kind = Match.NAMED;
                else if (v.startsWith("=")) kind = Match.EXACT;
                else if (v.startsWith("^~")) kind = Match.PREFERRED_PREFIX;
                else if (v.startsWith("~*")) kind = Match.REGEX_CASELESS;
                else if (v.startsWith("~")) kind = Match.REGEX;
                else kind = Match.PREFIX;
                path = switch (kind) {
                    case EXACT, REGEX -> v.substring(1);
                    case PREFERRED_PREFIX, REGEX_CASELESS -> v.substring(2);
                    default -> v;
                };
            } else {
                throw d.refused("invalid number of arguments in \"location\" directive");
            }
            Scope scope = new Scope(parent, "location");
            Directive proxyPass = null;
            List<Directive> nested = new ArrayList<>();
            for (Directive e : d.block()) {
                switch (e.name()) {
                    case "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout" -> timeout(e, scope, "this route");
                    case "proxy_set_header" -> header(e, scope);
                    case "proxy_pass" -> proxyPass = e;
                    case "location" -> nested.add(e);
                    default -> other(e, "location");
                }
            }
            String prefix = null;
            String matchNote = "";
            String problem = null;
            switch (kind) {
                case PREFIX, PREFERRED_PREFIX -> {
                    prefix = path;
                    if (!path.endsWith("/") && !path.equals("/"))
                        matchNote = " (segment-aware: nginx also matched " + path + "x)";
                }
                case EXACT -> {
                    prefix = path;
                    matchNote = " (nginx matched " + path + " exactly; here " + path + "/... matches too)";
                }
                case REGEX -> {
                    Matcher m = SIMPLE_REGEX.matcher(path);
                    if (m.matches()) {
                        prefix = m.group(1).isEmpty() ? "/" : m.group(1);
                        matchNote = " (from the regular expression " + path + "; nginx let it win over longer prefix locations)";
                    } else {
                        problem = "regular expression locations have no counterpart (only ^/x(/|$) reads as prefix /x)";
                    }
                }
                case REGEX_CASELESS -> problem = "case-insensitive regular expressions have no counterpart (paths match case-sensitively)";
                case NAMED -> problem = "named locations (error_page/try_files targets) have no counterpart";
            }
            if (problem == null && proxyPass == null)
                problem = "no proxy_pass: nginx answers here itself (files, return, fastcgi, ...); Switchyard only proxies";
            if (problem != null) {
                report.notCarried(d, problem);
                if (proxyPass != null) report.notCarried(proxyPass, "its location is not carried");
            } else {
                route(d, proxyPass, kind, prefix, matchNote, s, hosts, scope, base);
            }
            for (Directive n : nested) location(n, s, hosts, scope, base);
        }

        private void route(Directive loc, Directive pp, Match kind, String prefix, String matchNote, Server s,
                           List<String> hosts, Scope scope, String base) {
            if (pp.args().size() != 1) throw pp.refused("invalid number of arguments in \"proxy_pass\" directive");
            String url = pp.arg(0);
            String scheme;
            if (url.startsWith("http://")) scheme = "http";
            else if (url.startsWith("https://")) scheme = "https";
            else throw pp.refused("invalid URL prefix in \"" + url + "\"");
            String rest = url.substring(scheme.length() + 3);
            if (url.contains("$")) {
                report.notCarried(loc, "proxy_pass with variables (" + url + ") has no counterpart");
                report.notCarried(pp, "variables are resolved per request by nginx");
                return;
            }
            if (rest.startsWith("unix:")) {
                report.notCarried(loc, "proxy_pass to a unix socket has no counterpart");
                report.notCarried(pp, "unix sockets have no counterpart");
                return;
            }
            int slash = rest.indexOf('/');
            String authority = slash < 0 ? rest : rest.substring(0, slash);
            String uri = slash < 0 ? null : rest.substring(slash);
            String upstream;
            String upstreamNote = "";
            boolean group = false;
            String groupName = !authority.startsWith("[") && authority.contains(":") ? authority.substring(0, authority.indexOf(':')) : authority;
            if (!groupName.equals(authority) && upstreamNames.containsKey(groupName))
                throw pp.refused("upstream \"" + groupName + "\" may not have port "
                        + authority.substring(groupName.length() + 1));
            if (upstreamNames.containsKey(authority)) {
                upstream = upstreamNames.get(authority);
                group = true;
                if (scheme.equals("https")) {
                    report.notCarried(loc, "https to the upstream group " + authority + ": set tls on upstream " + upstream + " by hand");
                    report.notCarried(pp, "https to an upstream group is not carried");
                    return;
                }
            } else {
                String hostPort = withPort(authority, scheme.equals("https") ? 443 : 80);
                if (hostPort == null) throw pp.refused("invalid host in upstream \"" + url + "\"");
                String key = scheme + "://" + hostPort;
                upstream = implicitUpstreams.get(key);
                if (upstream == null) {
                    upstream = uniqueUpstreamName(sanitize((hostPort.startsWith("[") ? "ipv6-" : "") + hostPort.replace(':', '-')));
                    Upstream u;
                    try {
                        u = scheme.equals("https")
                                ? new Upstream(upstream, Balance.ROUND_ROBIN, List.of(new Target(hostPort)), true, null, false, null)
                                : new Upstream(upstream, Balance.ROUND_ROBIN, List.of(new Target(hostPort)));
                    } catch (ConfigException e) {
                        report.notCarried(loc, "proxy_pass " + url + ": " + e.getMessage());
                        report.notCarried(pp, "not a target: " + e.getMessage());
                        return;
                    }
                    upstreams.put(upstream, u);
                    implicitUpstreams.put(key, upstream);
                    upstreamNote = " (new upstream, one target " + hostPort + (scheme.equals("https")
                            ? ", tls without verification: nginx's proxy_ssl_verify is off by default" : "") + ")";
                }
            }
            // nginx's replacement rule: the part of the path the location matched becomes the URI part.
            boolean strip = false;
            if (uri != null) {
                if (kind == Match.REGEX) {
                    report.notCarried(loc, "nginx refuses a URI part in proxy_pass inside a regular expression location");
                    report.notCarried(pp, "a URI part in a regular expression location");
                    return;
                }
                if (uri.equals(prefix)) {
                    strip = false;
                } else if (uri.equals("/") && (prefix.endsWith("/") || kind == Match.EXACT)) {
                    strip = true;
                } else if (uri.equals("/")) {
                    strip = true;
                    matchNote += " (nginx sent " + prefix + "/y upstream as //y; Switchyard sends /y)";
                } else {
                    report.notCarried(loc, "proxy_pass " + url + " replaces " + prefix + " with " + uri
                            + "; the document can only strip the prefix or keep the path");
                    report.notCarried(pp, "path replacement " + prefix + " → " + uri + " has no counterpart");
                    return;
                }
            }
            Host host = host(scope);
            Directive rt = scope.timeout("proxy_read_timeout", false);
            Directive st = scope.timeout("proxy_send_timeout", false);
            Directive ct = scope.timeout("proxy_connect_timeout", false);
            Timeouts timeouts = (rt == null && st == null && ct == null) ? null : new Timeouts(ms(ct), ms(rt), ms(st));
            String name = routeName(base, prefix, kind);
            // nginx serves a TLS-only server's names on TLS only; Switchyard serves every route on every listener.
            boolean httpsOnly = anyPlain && s.tlsOnly();
            Route r;
            try {
                r = new Route(name, hosts, prefix, upstream, strip, host.preserve, timeouts, null, httpsOnly);
            } catch (ConfigException e) {
                report.notCarried(loc, "no route: " + e.getMessage());
                report.notCarried(pp, "its location is not carried");
                return;
            }
            // The document allows one route per host and prefix; nginx's = and prefix locations may share one.
            Route same = null;
            for (String h : hosts.isEmpty() ? List.of("") : hosts) {
                Route owner = matchOwner.get(h + " " + r.pathPrefix());
                if (owner != null) {
                    same = owner;
                    break;
                }
            }
            if (same != null) {
                Route renamed = new Route(same.name(), r.hosts(), r.pathPrefix(), r.upstream(), r.stripPrefix(), r.preserveHost(),
                        r.timeouts(), r.onTargetRemoved(), r.httpsOnly());
                if (renamed.equals(same)) {
                    report.carried(loc, "same as route " + same.name() + " (one route serves every listener)");
                } else {
                    report.notCarried(loc, "route " + same.name() + " already has prefix " + r.pathPrefix() + " for "
                            + (hosts.isEmpty() ? "any host" : "these hosts") + "; the document cannot tell them apart"
                            + (kind == Match.EXACT ? " (an exact location beside a prefix one)" : ""));
                }
                report.carried(pp, "see the location");
                return;
            }
            routeNames.add(name);
            routes.add(r);
            for (String h : hosts.isEmpty() ? List.of("") : hosts) matchOwner.put(h + " " + r.pathPrefix(), r);
            StringBuilder msg = new StringBuilder("route ").append(name).append(": ")
                    .append(hosts.isEmpty() ? "any host" : "hosts " + String.join(", ", hosts))
                    .append(", prefix ").append(r.pathPrefix()).append(matchNote)
                    .append(" → upstream ").append(upstream)
                    .append(strip ? ", strip_prefix (proxy_pass " + uri + " replaces " + prefix + ")" : "")
                    .append(", preserve_host ").append(host.preserve).append(" (").append(host.why).append(")");
            if (timeouts != null) {
                List<String> ts = new ArrayList<>();
                if (timeouts.connectMs() != null) ts.add("connect " + NginxTime.show(timeouts.connectMs()));
                if (timeouts.readMs() != null) ts.add("read " + NginxTime.show(timeouts.readMs()));
                if (timeouts.sendMs() != null) ts.add("send " + NginxTime.show(timeouts.sendMs()));
                msg.append(", timeouts ").append(String.join(", ", ts));
            }
            if (httpsOnly) msg.append(", https_only (nginx serves this server on TLS only; plain HTTP gets a redirect)");
            if (group && !host.preserve)
                msg.append("; nginx sent Host: ").append(upstreamNameOf(upstream)).append(" (the upstream's name), Switchyard sends the target's address");
            report.carried(loc, msg.toString());
            report.carried(pp, "upstream " + upstream + upstreamNote + (uri == null ? ", path unchanged" : ""));
        }

        private String upstreamNameOf(String documentName) {
            for (Map.Entry<String, String> e : upstreamNames.entrySet()) if (e.getValue().equals(documentName)) return e.getKey();
            return documentName;
        }

        private record Host(boolean preserve, String why) {
        }

        private Host host(Scope scope) {
            List<Directive> headers = scope.effectiveHeaders();
            for (Directive h : headers) {
                if (h.arg(0) != null && h.arg(0).equalsIgnoreCase("Host")) {
                    String v = h.arg(1);
                    boolean preserve = v != null && (v.equals("$host") || v.equals("$http_host"));
                    return new Host(preserve, "proxy_set_header Host " + v + " at " + h.file() + ":" + h.line()
                            + (preserve ? "" : v != null && v.equals("$proxy_host") ? "" : ", not carried"));
                }
            }
            for (Scope s = scope; s != null; s = s.parent) {
                if (s.headers == null) continue;
                if (s.headers == headers) continue;
                for (Directive h : s.headers) {
                    if (h.arg(0) != null && h.arg(0).equalsIgnoreCase("Host"))
                        return new Host(false, "nginx does not inherit proxy_set_header Host from " + h.file() + ":" + h.line()
                                + " into a level that sets its own proxy_set_header");
                }
            }
            return new Host(false, "no proxy_set_header Host: nginx sends the upstream's address");
        }

        private String routeName(String base, String prefix, Match kind) {
            String p = prefix.equals("/") ? "root" : prefix.replace('/', '-');
            String b = sanitize(base + "-" + p + (kind == Match.EXACT ? "-exact" : ""));
            String n = b;
            for (int i = 2; routeNames.contains(n); i++) n = b + "-" + i;
            return n;
        }

        // ---- inherited directives ----------------------------------------------------------------

        private void timeout(Directive d, Scope scope, String where) {
            if (d.args().size() != 1) throw d.refused("invalid number of arguments in \"" + d.name() + "\" directive");
            long v;
            try {
                v = NginxTime.parseMs(d.arg(0));
            } catch (IllegalArgumentException e) {
                throw d.refused("invalid value " + e.getMessage());
            }
            if (v <= 0 || v > Timeouts.MAX_MS) {
                report.notCarried(d, NginxTime.show(v) + " is outside 1 ms to 7 days");
                return;
            }
            scope.timeouts.put(d.name(), d);
            String field = switch (d.name()) {
                case "proxy_connect_timeout" -> "connect_ms";
                case "proxy_read_timeout" -> "read_ms";
                default -> "send_ms";
            };
            report.carried(d, field + " " + v + " (" + where + (scope.level.equals("http") ? "" : ", and every level below that sets none") + ")");
        }

        private static Long ms(Directive d) {
            return d == null ? null : NginxTime.parseMs(d.arg(0));
        }

        private void header(Directive d, Scope scope) {
            if (d.args().size() != 2) throw d.refused("invalid number of arguments in \"proxy_set_header\" directive");
            if (scope.headers == null) scope.headers = new ArrayList<>();
            scope.headers.add(d);
            String name = d.arg(0).toLowerCase(Locale.ROOT);
            String v = d.arg(1);
            String lv = v.toLowerCase(Locale.ROOT);
            switch (name) {
                case "host" -> {
                    if (v.equals("$host") || v.equals("$http_host"))
                        report.carried(d, "preserve_host: true on the routes that inherit it"
                                + (v.equals("$host") ? " (Switchyard passes the client's Host as sent; nginx's $host is lowercased, without port)" : ""));
                    else if (v.equals("$proxy_host")) report.carried(d, "preserve_host: false (nginx's default)");
                    else report.notCarried(d, "Host " + v + ": Switchyard sends the client's Host or the target's address");
                }
                case "upgrade" -> {
                    if (v.equals("$http_upgrade")) report.builtIn(d, "Upgrade is passed on for a WebSocket handshake");
                    else report.notCarried(d, "Upgrade " + v + ": only the client's own Upgrade is passed on");
                }
                case "connection" -> {
                    if (lv.equals("upgrade") || lv.isEmpty() || upgradeVariables.contains(v))
                        report.builtIn(d, lv.isEmpty() ? "keep-alive to upstreams is Switchyard's own"
                                : "Connection: upgrade goes upstream for a WebSocket handshake (only then)");
                    else report.notCarried(d, "Connection " + v + " has no counterpart");
                }
                case "x-real-ip" -> {
                    if (v.equals("$remote_addr")) report.builtIn(d, "X-Real-IP is the client's address");
                    else report.notCarried(d, "X-Real-IP " + v + ": Switchyard sends the client's address");
                }
                case "x-forwarded-for" -> {
                    if (v.equals("$proxy_add_x_forwarded_for")) report.builtIn(d, "the client's address is appended to X-Forwarded-For");
                    else if (v.equals("$remote_addr")) report.builtIn(d, "X-Forwarded-For (Switchyard appends to the client's list; nginx replaced it)");
                    else report.notCarried(d, "X-Forwarded-For " + v + ": Switchyard appends the client's address");
                }
                case "x-forwarded-proto" -> {
                    if (v.equals("$scheme")) report.builtIn(d, "X-Forwarded-Proto is the client's scheme");
                    else report.notCarried(d, "X-Forwarded-Proto " + v + ": Switchyard sends the client's scheme");
                }
                case "x-forwarded-host" -> {
                    if (v.equals("$host") || v.equals("$http_host")) report.builtIn(d, "X-Forwarded-Host is the client's Host");
                    else report.notCarried(d, "X-Forwarded-Host " + v + ": Switchyard sends the client's Host");
                }
                default -> report.notCarried(d, "setting request headers has no counterpart");
            }
        }

        // ---- everything else ---------------------------------------------------------------------

        private void other(Directive d, String context) {
            String n = d.name();
            if (MAIN_CONTEXT.contains(n)) {
                report.note(d, "nothing to carry: an nginx process setting (Switchyard's are its command-line flags)");
            } else if (n.equals("access_log")) {
                report.note(d, d.arg(0) != null && d.arg(0).equals("off") ? "run the data plane with --access-log off"
                        : "run the data plane with --access-log PATH (its own text or json format, --access-log-format)");
            } else if (n.equals("error_log")) {
                report.note(d, "nothing to carry: Switchyard logs to stderr");
            } else if (n.equals("log_format")) {
                report.note(d, "nothing to carry: Switchyard's access log has its own text and json formats");
            } else if (n.equals("proxy_http_version")) {
                report.note(d, d.arg(0) != null && d.arg(0).equals("1.1") ? "Switchyard speaks HTTP/1.1 to upstreams anyway"
                        : "Switchyard speaks HTTP/1.1 to upstreams, not " + d.arg(0));
            } else if (BUFFERING.contains(n)) {
                report.builtIn(d, "Switchyard streams bodies and frames as they come, without buffering them whole");
            } else if (n.equals("proxy_redirect") && "off".equals(d.arg(0))) {
                report.builtIn(d, "Switchyard never rewrites Location");
            } else if (n.equals("gzip_proxied") && "off".equals(d.arg(0))) {
                report.note(d, "nothing to carry: responses are relayed as the upstream sent them");
            } else if (NOTHING_TO_CARRY.contains(n)) {
                report.note(d, "nothing to carry for a proxy" + (n.startsWith("ssl_") ? " (Switchyard serves TLS 1.2 and 1.3 with its own cipher choice)" : ""));
            } else if (n.equals("include")) {
                report.note(d, "read");
            } else if (d.isBlock()) {
                report.notCarried(d, "no counterpart in " + context + " context (" + d.block().size() + " directive"
                        + (d.block().size() == 1 ? "" : "s") + " inside, none carried)");
            } else {
                report.notCarried(d, "no counterpart in " + context + " context");
            }
        }

        // ---- helpers -----------------------------------------------------------------------------

        /** {@code host:port} from nginx's {@code host[:port]} (IPv6 in brackets), or null when it is not one. */
        private static String withPort(String address, int defaultPort) {
            String a = address;
            if (a.startsWith("[")) {
                int end = a.indexOf(']');
                if (end < 0) return null;
                return end + 1 == a.length() ? a + ":" + defaultPort : a;
            }
            if (a.indexOf(':') != a.lastIndexOf(':')) return null;
            if (a.isEmpty() || a.startsWith(":")) return null;
            return a.contains(":") ? a : a + ":" + defaultPort;
        }

        private static String join(List<Integer> ports) {
            return String.join(", ", ports.stream().map(String::valueOf).toList());
        }
    }

    /** A valid document name from anything: letters, digits, '.', '_', '-', starting with a letter or digit. */
    static String sanitize(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            char out = ok ? c : '-';
            if (out == '-' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '-') continue;
            sb.append(out);
        }
        int start = 0;
        while (start < sb.length() && !Character.isLetterOrDigit(sb.charAt(start))) start++;
        String r = sb.substring(start);
        while (r.endsWith("-")) r = r.substring(0, r.length() - 1);
        if (r.isEmpty()) r = "x";
        return r.length() > 100 ? r.substring(0, 100) : r;
    }

    /** The report in reading order: files in the order they were read, lines within each; whole-configuration lines last. */
    private static Report sorted(Report r, List<Directive> top) {
        Map<Path, Integer> order = new LinkedHashMap<>();
        walk(top, order);
        List<Report.Line> lines = new ArrayList<>(r.lines());
        lines.sort(Comparator.comparing((Report.Line l) -> l.file() == null ? Integer.MAX_VALUE : order.getOrDefault(l.file(), Integer.MAX_VALUE - 1))
                .thenComparingInt(Report.Line::line));
        Report out = new Report();
        for (Report.Line l : lines) out.addLine(l);
        return out;
    }

    private static void walk(List<Directive> ds, Map<Path, Integer> order) {
        for (Directive d : ds) {
            order.putIfAbsent(d.file(), order.size());
            if (d.isBlock()) walk(d.block(), order);
        }
    }
}
