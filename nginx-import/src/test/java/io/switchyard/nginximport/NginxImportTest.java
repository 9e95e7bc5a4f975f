package io.switchyard.nginximport;

import io.switchyard.config.Balance;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NginxImportTest {
    @TempDir
    Path dir;

    static Path fieldGuide(String name) {
        try {
            return Path.of(NginxImportTest.class.getResource("/field-guide/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private NginxImport.Result translate(String text) throws IOException {
        Path f = dir.resolve("nginx.conf");
        Files.writeString(f, text);
        return NginxImport.translate(f);
    }

    private static List<String> lines(NginxImport.Result r) {
        return r.report().lines().stream().map(Report.Line::toString).toList();
    }

    /** The report line of the directive at {@code line} of nginx.conf whose text starts with {@code directive}. */
    private static Report.Line line(NginxImport.Result r, int line, String directive) {
        return r.report().lines().stream()
                .filter(l -> l.line() == line && l.directive().startsWith(directive))
                .findFirst().orElseThrow(() -> new AssertionError("no report line for " + directive + " at line " + line + " in\n"
                        + String.join("\n", lines(r))));
    }

    private static Route route(Config c, String prefix) {
        return c.routes().stream().filter(x -> x.pathPrefix().equals(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no route with prefix " + prefix + " in " + c.routes()));
    }

    // ---- the field guide's configurations -------------------------------------------------------

    @Test
    void fieldGuide1OneTlsPortCarriesTheCertificateAndTwoRoutesToTwoUpstreams() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("1-one-port.conf"));
        Config c = r.config();
        assertThat(r.report().complete()).as(String.join("\n", lines(r))).isTrue();
        assertThat(c.upstreams()).extracting(Upstream::name).containsExactly("127.0.0.1-8888", "127.0.0.1-8080");
        assertThat(c.upstreams()).allSatisfy(u -> assertThat(u.balance()).isEqualTo(Balance.ROUND_ROBIN));
        assertThat(route(c, "/wss").upstream()).isEqualTo("127.0.0.1-8888");
        assertThat(route(c, "/").upstream()).isEqualTo("127.0.0.1-8080");
        assertThat(c.routes()).allSatisfy(x -> {
            assertThat(x.hosts()).isEmpty();
            assertThat(x.preserveHost()).isFalse();
            assertThat(x.stripPrefix()).isFalse();
        });
        Certificate cert = c.certificates().get(0);
        assertThat(cert.name()).isEqualTo("example.com");
        assertThat(cert.snis()).containsExactly("example.com");
        assertThat(cert.isDefault()).isTrue();
        assertThat(cert.certPem()).isEqualTo(Files.readString(fieldGuide("fullchain.pem")));
        assertThat(cert.keyPem()).isEqualTo(Files.readString(fieldGuide("privkey.pem")));
        assertThat(r.tlsListen()).containsExactly("0.0.0.0:443");
        assertThat(r.listen()).isEmpty();
        assertThat(lines(r)).anyMatch(l -> l.endsWith("1-one-port.conf:12 proxy_set_header Connection Upgrade → built in: "
                + "Connection: upgrade goes upstream for a WebSocket handshake (only then)"));
        assertThat(lines(r)).anyMatch(l -> l.endsWith("(all) listeners → run the data plane with --tls-listen 0.0.0.0:443"));
    }

    @Test
    void fieldGuide2TheUpgradeMapIsBuiltIn() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("2-upgrade-map.conf"));
        assertThat(r.report().complete()).isTrue();
        assertThat(r.report().lines()).filteredOn(l -> l.directive().startsWith("map"))
                .singleElement().satisfies(l -> assertThat(l.outcome()).isEqualTo(Report.Outcome.BUILT_IN));
        assertThat(r.report().lines()).filteredOn(l -> l.directive().startsWith("proxy_set_header Connection $connection_upgrade"))
                .singleElement().satisfies(l -> assertThat(l.outcome()).isEqualTo(Report.Outcome.BUILT_IN));
        assertThat(r.config().routes()).singleElement().satisfies(x -> assertThat(x.name()).isEqualTo("chat.example.com-root"));
    }

    @Test
    void fieldGuide3AnUpstreamBlockWithIpHashBecomesOneUpstream() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("3-balance.conf"));
        assertThat(r.report().complete()).isTrue();
        assertThat(r.config().upstreams()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("websocket");
            assertThat(u.balance()).isEqualTo(Balance.IP_HASH);
            assertThat(u.targets()).containsExactly(new Target("localhost:8010", 1), new Target("localhost:8011", 1));
        });
        assertThat(r.config().routes()).singleElement().satisfies(x -> {
            assertThat(x.upstream()).isEqualTo("websocket");
            assertThat(x.name()).isEqualTo("default-root");
        });
        assertThat(lines(r)).anyMatch(l -> l.contains("access_log /var/log/nginx/websocket.log → run the data plane with --access-log PATH"));
        assertThat(lines(r)).anyMatch(l -> l.contains("nginx sent Host: websocket (the upstream's name)"));
    }

    @Test
    void fieldGuide4TimeoutsInheritFromHttpToServerToLocation() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("4-timeouts.conf"));
        Config c = r.config();
        assertThat(c.timeouts()).isEqualTo(new Timeouts(10_000L, 60_000L, 60_000L));
        assertThat(route(c, "/socket").timeouts()).isEqualTo(new Timeouts(null, 300_000L, 300_000L));
        assertThat(route(c, "/").timeouts()).isEqualTo(new Timeouts(null, 60_000L, null));
    }

    @Test
    void fieldGuide5HostHeaderPreservesTheHostAndTheRestIsBuiltIn() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("5-headers.conf"));
        assertThat(r.report().complete()).isTrue();
        assertThat(r.config().routes()).singleElement().satisfies(x -> assertThat(x.preserveHost()).isTrue());
        assertThat(r.report().count(Report.Outcome.BUILT_IN)).isEqualTo(5); // X-Real-IP, XFF, Upgrade, Connection, and the general line
    }

    @Test
    void fieldGuide6TheEdgeDoesNotPassHostAndTheGatewayDoes() throws IOException {
        NginxImport.Result edge = NginxImport.translate(fieldGuide("6-edge.conf"));
        NginxImport.Result gateway = NginxImport.translate(fieldGuide("6-gateway.conf"));
        assertThat(edge.config().routes()).singleElement().satisfies(x -> {
            assertThat(x.preserveHost()).isFalse();
            assertThat(x.timeouts()).isEqualTo(new Timeouts(null, 3_600_000L, 3_600_000L));
            assertThat(x.upstream()).isEqualTo("gateway.example.net-80");
        });
        assertThat(edge.config().upstreams().get(0).targets()).containsExactly(new Target("gateway.example.net:80"));
        assertThat(edge.config().certificates()).singleElement().satisfies(cert -> assertThat(cert.snis()).containsExactly("ws.example.org"));
        assertThat(gateway.config().routes()).singleElement().satisfies(x -> assertThat(x.preserveHost()).isTrue());
        assertThat(gateway.listen()).containsExactly("0.0.0.0:80");
    }

    @Test
    void fieldGuide7ReportsFastCgiTheRegexLocationAndCorsHeadersAsNotCarried() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("7-beside.conf"));
        assertThat(r.report().complete()).isFalse();
        assertThat(r.config().routes()).extracting(Route::pathPrefix).containsExactly("/wss", "/Tomcat");
        assertThat(route(r.config(), "/Tomcat").preserveHost()).isTrue();
        assertThat(route(r.config(), "/wss").preserveHost()).isFalse();
        assertThat(r.report().lines()).filteredOn(l -> l.outcome() == Report.Outcome.NOT_CARRIED)
                .extracting(l -> l.directive().split(" ")[0])
                .containsExactly("add_header", "location", "fastcgi_pass", "fastcgi_param", "fastcgi_param");
        assertThat(lines(r)).anyMatch(l -> l.contains("fastcgi_params:1 fastcgi_param QUERY_STRING $query_string → not carried"));
    }

    @Test
    void fieldGuide8UpsyncAndPassiveHealthAreReportedAndTheIncludedTargetCarries() throws IOException {
        NginxImport.Result r = NginxImport.translate(fieldGuide("8-upsync.conf"));
        assertThat(r.report().complete()).isFalse();
        assertThat(r.config().upstreams()).singleElement().satisfies(u -> assertThat(u.targets()).containsExactly(new Target("127.0.0.1:8010")));
        assertThat(lines(r)).anyMatch(l -> l.contains("servers_chat.conf:1 server 127.0.0.1:8010 weight=1 max_fails=2 fail_timeout=10s → not carried: "
                + "target 127.0.0.1:8010 weight 1, without max_fails=2 (passive health checks do not exist yet)"));
        assertThat(lines(r)).anyMatch(l -> l.contains("8-upsync.conf:3 upsync ") && l.contains("not carried"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1-one-port.conf", "2-upgrade-map.conf", "3-balance.conf", "4-timeouts.conf", "5-headers.conf",
            "6-edge.conf", "6-gateway.conf", "7-beside.conf", "8-upsync.conf"})
    void everyDirectiveOfEveryFieldGuideConfigurationHasAReportLineAndTheDocumentRoundTrips(String name) {
        Path f = fieldGuide(name);
        NginxImport.Result r = NginxImport.translate(f);
        List<String> where = new ArrayList<>();
        collect(NginxParser.parse(f), where);
        List<String> reported = r.report().lines().stream().map(l -> l.file() + ":" + l.line()).toList();
        assertThat(reported).containsAll(where);
        assertThat(ConfigCodec.readConfig(r.json())).isEqualTo(r.config());
    }

    private static void collect(List<Directive> ds, List<String> out) {
        for (Directive d : ds) {
            out.add(d.file() + ":" + d.line());
            // a map's entries and the WebSocket map are reported with the map itself
            if (d.isBlock() && !d.name().equals("map") && !d.name().equals("if")) collect(d.block(), out);
        }
    }

    // ---- translation rules ----------------------------------------------------------------------

    @Test
    void balanceDirectivesBecomeBalanceAndRoundRobinIsMadeExplicit() throws IOException {
        NginxImport.Result r = translate("""
                upstream rr { server 127.0.0.1:1 weight=3; server 127.0.0.1:2; }
                upstream lc { least_conn; server 127.0.0.1:3; }
                upstream ih { ip_hash; server 127.0.0.1:4; }
                upstream hr { hash $remote_addr consistent; server 127.0.0.1:5; }
                upstream hu { hash $request_uri; server 127.0.0.1:6; }
                """);
        assertThat(r.config().upstreams()).extracting(Upstream::name, Upstream::balance).containsExactly(
                org.assertj.core.groups.Tuple.tuple("rr", Balance.ROUND_ROBIN),
                org.assertj.core.groups.Tuple.tuple("lc", Balance.LEAST_CONN),
                org.assertj.core.groups.Tuple.tuple("ih", Balance.IP_HASH),
                org.assertj.core.groups.Tuple.tuple("hr", Balance.IP_HASH),
                org.assertj.core.groups.Tuple.tuple("hu", Balance.ROUND_ROBIN));
        assertThat(r.config().upstreams().get(0).targets()).containsExactly(new Target("127.0.0.1:1", 3), new Target("127.0.0.1:2", 1));
        assertThat(r.json()).contains("\"balance\" : \"round_robin\"");
        assertThat(line(r, 1, "upstream rr").message()).contains("balance round_robin (nginx's default, made explicit)");
        assertThat(line(r, 5, "hash $request_uri").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(r.report().complete()).isFalse();
    }

    @Test
    void downTargetsAreLeftOutAndBackupTargetsAreReported() throws IOException {
        NginxImport.Result r = translate("""
                upstream u {
                    server 127.0.0.1:1;
                    server 127.0.0.1:2 down;
                    server 127.0.0.1:3 backup;
                    server 127.0.0.1:4 max_fails=0;
                    server backend;
                    keepalive 16;
                }
                """);
        assertThat(r.config().upstreams().get(0).targets()).extracting(Target::address)
                .containsExactly("127.0.0.1:1", "127.0.0.1:4", "backend:80");
        assertThat(line(r, 3, "server 127.0.0.1:2 down").outcome()).isEqualTo(Report.Outcome.CARRIED);
        assertThat(line(r, 4, "server 127.0.0.1:3 backup").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 5, "server 127.0.0.1:4").outcome()).isEqualTo(Report.Outcome.CARRIED);
        assertThat(line(r, 7, "keepalive").outcome()).isEqualTo(Report.Outcome.BUILT_IN);
    }

    @Test
    void proxyPassWithoutAUriKeepsThePathAndWithOneFollowsNginxsReplacementRule() throws IOException {
        NginxImport.Result r = translate("""
                server {
                    listen 80;
                    location /keep { proxy_pass http://127.0.0.1:1; }
                    location /app/ { proxy_pass http://127.0.0.1:2/; }
                    location /same/ { proxy_pass http://127.0.0.1:3/same/; }
                    location = /exact { proxy_pass http://127.0.0.1:4/; }
                    location /other/ { proxy_pass http://127.0.0.1:5/v2/; }
                    location /slashless { proxy_pass http://127.0.0.1:6/; }
                    location ~ ^/re(/|$) { proxy_pass http://127.0.0.1:7/; }
                }
                """);
        Config c = r.config();
        assertThat(route(c, "/keep").stripPrefix()).isFalse();
        assertThat(route(c, "/app").stripPrefix()).isTrue();
        assertThat(route(c, "/same").stripPrefix()).isFalse();
        assertThat(route(c, "/exact").stripPrefix()).isTrue();
        assertThat(route(c, "/slashless").stripPrefix()).isTrue();
        assertThat(c.routes()).extracting(Route::pathPrefix).doesNotContain("/other", "/re");
        assertThat(line(r, 7, "location /other/").message()).contains("replaces /other/ with /v2/");
        assertThat(line(r, 7, "location /other/").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 8, "location /slashless").message()).contains("nginx sent /slashless/y upstream as //y");
        assertThat(line(r, 9, "location ~").message()).contains("nginx refuses a URI part");
        assertThat(line(r, 6, "location = /exact").message()).contains("nginx matched /exact exactly");
    }

    @Test
    void aSimpleRegexLocationReadsAsAPrefixAndOthersAreReported() throws IOException {
        NginxImport.Result r = translate("""
                server {
                    location ~ ^/api(/|$) { proxy_pass http://127.0.0.1:1; }
                    location ~* ^/img { proxy_pass http://127.0.0.1:2; }
                    location ~ \\.jpg$ { proxy_pass http://127.0.0.1:3; }
                    location @fallback { proxy_pass http://127.0.0.1:4; }
                    location ^~ /static { proxy_pass http://127.0.0.1:5; }
                }
                """);
        assertThat(r.config().routes()).extracting(Route::pathPrefix).containsExactly("/api", "/static");
        assertThat(line(r, 3, "location ~* ^/img").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 4, "location ~ \\.jpg$").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 5, "location @fallback").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
    }

    @Test
    void proxyPassToAnUpstreamNameUsesItAndToAnAddressCreatesOneUpstreamPerAddress() throws IOException {
        NginxImport.Result r = translate("""
                server {
                    location /a { proxy_pass http://later; }
                    location /b { proxy_pass http://127.0.0.1:9000; }
                    location /c { proxy_pass http://127.0.0.1:9000; }
                    location /d { proxy_pass https://secure.example.com; }
                    location /e { proxy_pass http://backend.local; }
                }
                upstream later { server 127.0.0.1:1; }
                """);
        Config c = r.config();
        assertThat(route(c, "/a").upstream()).isEqualTo("later");
        assertThat(route(c, "/b").upstream()).isEqualTo("127.0.0.1-9000");
        assertThat(route(c, "/c").upstream()).isEqualTo("127.0.0.1-9000");
        assertThat(c.upstream("secure.example.com-443")).hasValueSatisfying(u -> {
            assertThat(u.tls()).isTrue();
            assertThat(u.verify()).isFalse();
            assertThat(u.targets()).containsExactly(new Target("secure.example.com:443"));
        });
        assertThat(c.upstream("backend.local-80").orElseThrow().targets()).containsExactly(new Target("backend.local:80"));
        assertThat(c.upstreams()).hasSize(4);
    }

    @Test
    void proxyPassToAnUpstreamBlockWithAPortIsRefusedAsNginxRefusesIt() throws IOException {
        Path f = dir.resolve("nginx.conf");
        Files.writeString(f, "upstream later { server 127.0.0.1:1; }\nserver {\n  location / { proxy_pass http://later:8080/; }\n}\n");
        assertThatThrownBy(() -> NginxImport.translate(f)).isInstanceOf(NginxSyntaxException.class)
                .hasMessage("upstream \"later\" may not have port 8080")
                .satisfies(e -> assertThat(((NginxSyntaxException) e).line()).isEqualTo(3));
    }

    @Test
    void nginxInheritsProxySetHeaderOnlyIntoLevelsThatSetNone() throws IOException {
        NginxImport.Result r = translate("""
                http {
                    proxy_set_header Host $http_host;
                    server {
                        server_name a.example.com;
                        location /inherits { proxy_pass http://127.0.0.1:1; }
                        location /own {
                            proxy_pass http://127.0.0.1:1;
                            proxy_set_header X-Real-IP $remote_addr;
                        }
                    }
                    server {
                        server_name b.example.com;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        location / { proxy_pass http://127.0.0.1:2; }
                    }
                }
                """);
        Config c = r.config();
        assertThat(route(c, "/inherits").preserveHost()).isTrue();
        assertThat(route(c, "/own").preserveHost()).isFalse();
        assertThat(route(c, "/").preserveHost()).isFalse();
        assertThat(line(r, 6, "location /own").message()).contains("nginx does not inherit proxy_set_header Host from")
                .contains("nginx.conf:2");
        assertThat(line(r, 14, "location /").message()).contains("nginx does not inherit proxy_set_header Host");
    }

    @Test
    void timeoutsSetAtServerOrLocationGoOnTheRouteAndHttpOnesAreGlobal() throws IOException {
        NginxImport.Result r = translate("""
                http {
                    proxy_read_timeout 90s;
                    proxy_send_timeout 1m30s;
                    server {
                        proxy_connect_timeout 500ms;
                        location /a { proxy_pass http://127.0.0.1:1; }
                        location /b { proxy_pass http://127.0.0.1:1; proxy_read_timeout 2h; }
                        location /c {
                            proxy_pass http://127.0.0.1:1;
                            location /c/d { proxy_pass http://127.0.0.1:1; proxy_send_timeout 7; }
                        }
                    }
                }
                """);
        Config c = r.config();
        assertThat(c.timeouts()).isEqualTo(new Timeouts(60_000L, 90_000L, 90_000L));
        assertThat(route(c, "/a").timeouts()).isEqualTo(new Timeouts(500L, null, null));
        assertThat(route(c, "/b").timeouts()).isEqualTo(new Timeouts(500L, 7_200_000L, null));
        assertThat(route(c, "/c").timeouts()).isEqualTo(new Timeouts(500L, null, null));
        assertThat(route(c, "/c/d").timeouts()).isEqualTo(new Timeouts(500L, null, 7_000L));
    }

    @Test
    void theDefaultServerAnswersAnyHostAndOtherServersTheirNames() throws IOException {
        NginxImport.Result r = translate("""
                server { listen 80; server_name first.example.com; location / { proxy_pass http://127.0.0.1:1; } }
                server { listen 80; server_name second.example.com .wild.example.com; location / { proxy_pass http://127.0.0.1:2; } }
                server { listen 80 default_server; server_name _; location / { proxy_pass http://127.0.0.1:3; } }
                server { listen 80; server_name ~^(?<sub>.+)\\.example\\.net$ www.example.*; location / { proxy_pass http://127.0.0.1:4; } }
                """);
        Config c = r.config();
        assertThat(c.routes()).extracting(Route::hosts, Route::upstream).containsExactly(
                org.assertj.core.groups.Tuple.tuple(List.of("first.example.com"), "127.0.0.1-1"),
                org.assertj.core.groups.Tuple.tuple(List.of("second.example.com", "wild.example.com", "*.wild.example.com"), "127.0.0.1-2"),
                org.assertj.core.groups.Tuple.tuple(List.of(), "127.0.0.1-3"));
        assertThat(line(r, 4, "server_name ~").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 4, "server {}").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 3, "server {}").message()).startsWith("default server for port 80");
        assertThat(line(r, 1, "server {}").message()).isEqualTo("its routes match host first.example.com");
        assertThat(c.routes()).extracting(Route::name).containsExactly("first.example.com-root", "second.example.com-root", "default-root");
    }

    @Test
    void listenPortsBecomeTheDataPlaneFlagsAndASecondPlainPortIsReported() throws IOException {
        NginxImport.Result r = translate("""
                server { listen 80; listen [::]:80; listen 443 ssl http2; server_name a.example.com;
                         ssl_certificate missing.pem; ssl_certificate_key missing.key;
                         location / { proxy_pass http://127.0.0.1:1; } }
                server { listen 127.0.0.1:8080; server_name b.example.com; location / { proxy_pass http://127.0.0.1:2; } }
                """);
        assertThat(r.listen()).containsExactly("0.0.0.0:80");
        assertThat(r.tlsListen()).containsExactly("0.0.0.0:443");
        assertThat(line(r, 1, "listen [::]:80").outcome()).isEqualTo(Report.Outcome.NOTE);
        assertThat(line(r, 1, "listen 443 ssl http2").message()).startsWith("--tls-listen 0.0.0.0:443 (http2: nothing to carry");
        assertThat(line(r, 4, "listen 127.0.0.1:8080").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 4, "listen 127.0.0.1:8080").message()).contains("one --listen (0.0.0.0:80)");
    }

    @Test
    void anUnreadableCertificateIsReportedByItsPath() throws IOException {
        NginxImport.Result r = translate("""
                server { listen 443 ssl; server_name a.example.com;
                         ssl_certificate certs/missing.pem; ssl_certificate_key certs/missing.key;
                         location / { proxy_pass http://127.0.0.1:1; } }
                """);
        assertThat(r.config().certificates()).isEmpty();
        Report.Line l = line(r, 2, "ssl_certificate certs/missing.pem");
        assertThat(l.outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(l.message()).isEqualTo("cannot read " + dir.resolve("certs/missing.pem") + " (no such file)");
        assertThat(line(r, 2, "ssl_certificate_key certs/missing.key").message()).contains(dir.resolve("certs/missing.key").toString());
    }

    @Test
    void serversSharingCertificateFilesShareOneCertificateWithAllTheirNames() throws IOException {
        Files.copy(fieldGuide("fullchain.pem"), dir.resolve("chain.pem"));
        Files.copy(fieldGuide("privkey.pem"), dir.resolve("key.pem"));
        NginxImport.Result r = translate("""
                http {
                    ssl_certificate chain.pem;
                    ssl_certificate_key key.pem;
                    server { listen 443 ssl; server_name a.example.com; location / { proxy_pass http://127.0.0.1:1; } }
                    server { listen 443 ssl; server_name b.example.com; location / { proxy_pass http://127.0.0.1:2; } }
                }
                """);
        assertThat(r.config().certificates()).singleElement().satisfies(c -> {
            assertThat(c.snis()).containsExactly("a.example.com", "b.example.com");
            assertThat(c.isDefault()).isTrue();
        });
        assertThat(r.report().complete()).isTrue();
    }

    @Test
    void anExactLocationBesideAPrefixOneWithTheSamePathIsReported() throws IOException {
        NginxImport.Result r = translate("""
                server {
                    location = / { proxy_pass http://127.0.0.1:1; }
                    location / { proxy_pass http://127.0.0.1:2; }
                    location /x/ { proxy_pass http://127.0.0.1:3; }
                    location /x { proxy_pass http://127.0.0.1:3; }
                }
                """);
        assertThat(r.config().routes()).extracting(Route::pathPrefix).containsExactly("/", "/x");
        assertThat(line(r, 3, "location /").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 5, "location /x").outcome()).isEqualTo(Report.Outcome.CARRIED);
        assertThat(line(r, 5, "location /x").message()).startsWith("same as route");
    }

    @Test
    void theSameConfigurationWithAndWithoutAnHttpBlockGivesTheSameDocument() throws IOException {
        String body = """
                upstream u { least_conn; server 127.0.0.1:1; }
                server { listen 8080; server_name a.example.com; location /x { proxy_pass http://u; proxy_read_timeout 30s; } }
                """;
        Config bare = translate(body).config();
        Config wrapped = translate("worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n" + body + "}\n").config();
        assertThat(wrapped).isEqualTo(bare);
    }

    @Test
    void routeNamesAreDerivedFromServerNameAndPathAndMadeUnique() throws IOException {
        NginxImport.Result r = translate("""
                server { server_name a.example.com; location /v1/chat { proxy_pass http://127.0.0.1:1; } location = /v1/chat/x { proxy_pass http://127.0.0.1:1; } }
                server { listen 80; server_name a.example.com; location /v1/chat { proxy_pass http://127.0.0.1:2; } }
                server { listen 80; server_name "odd name!"; location /a%20b { proxy_pass http://127.0.0.1:2; } }
                """);
        assertThat(r.config().routes()).extracting(Route::name)
                .containsExactly("a.example.com-v1-chat", "a.example.com-v1-chat-x-exact", "a.example.com-v1-chat-2", "odd-name-a-20b");
    }

    @Test
    void everyOtherDirectiveIsReportedNeverDropped() throws IOException {
        NginxImport.Result r = translate("""
                user www-data;
                events { worker_connections 768; }
                http {
                    sendfile on;
                    client_max_body_size 10m;
                    limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;
                    server {
                        root /var/www/html;
                        if ($host = bad) { return 403; }
                        location / { proxy_pass http://127.0.0.1:1; proxy_buffering off; limit_req zone=one; }
                    }
                }
                stream { server { listen 5000; proxy_pass 127.0.0.1:5001; } }
                """);
        assertThat(line(r, 1, "user").outcome()).isEqualTo(Report.Outcome.NOTE);
        assertThat(line(r, 2, "events").outcome()).isEqualTo(Report.Outcome.NOTE);
        assertThat(line(r, 4, "sendfile").outcome()).isEqualTo(Report.Outcome.NOTE);
        assertThat(line(r, 5, "client_max_body_size").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 6, "limit_req_zone").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 8, "root").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 9, "if").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 10, "proxy_buffering off").outcome()).isEqualTo(Report.Outcome.BUILT_IN);
        assertThat(line(r, 10, "limit_req").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(line(r, 13, "stream").outcome()).isEqualTo(Report.Outcome.NOT_CARRIED);
        assertThat(r.report().summary()).isEqualTo("import: " + r.report().count(Report.Outcome.CARRIED) + " carried, "
                + r.report().count(Report.Outcome.BUILT_IN) + " built in, " + r.report().count(Report.Outcome.NOTE) + " noted, 6 not carried");
    }

    @Test
    void aPlainServerRedirectingToHttpsMakesTheTlsRoutesHttpsOnly() throws IOException {
        Files.copy(fieldGuide("fullchain.pem"), dir.resolve("chain.pem"));
        Files.copy(fieldGuide("privkey.pem"), dir.resolve("key.pem"));
        NginxImport.Result r = translate("""
                server { listen 80; server_name a.example.com; return 301 https://$host$request_uri; }
                server { listen 443 ssl; server_name a.example.com; ssl_certificate chain.pem; ssl_certificate_key key.pem;
                         location / { proxy_pass http://127.0.0.1:1; } }
                """);
        assertThat(r.report().complete()).as(String.join("\n", lines(r))).isTrue();
        assertThat(r.config().routes()).singleElement().satisfies(x -> {
            assertThat(x.httpsOnly()).isTrue();
            assertThat(x.hosts()).isEmpty();
        });
        assertThat(line(r, 1, "return 301").message()).startsWith("https_only on the routes of the TLS servers");
        assertThat(r.listen()).containsExactly("0.0.0.0:80");
        assertThat(r.tlsListen()).containsExactly("0.0.0.0:443");
    }

    @Test
    void aNamedServerWithoutARootLocationIsToldThatOtherPathsFallThroughToTheDefaultServer() throws IOException {
        NginxImport.Result r = translate("""
                server { listen 80; location / { proxy_pass http://127.0.0.1:1; } }
                server { listen 80; server_name api.example.com; location /v1 { proxy_pass http://127.0.0.1:2; } }
                """);
        assertThat(line(r, 2, "server {}").message()).isEqualTo("its routes match host api.example.com; a path none of its "
                + "locations match falls through to the default server's routes (nginx answered it itself)");
    }

    @Test
    void reportLinesSayFileLineDirectiveAndWhatItBecame() throws IOException {
        NginxImport.Result r = translate("server {\n    location /wss { proxy_pass http://127.0.0.1:8888; }\n}\n");
        assertThat(lines(r)).contains(dir.resolve("nginx.conf") + ":2 location /wss {} → route default-wss: any host, prefix /wss "
                + "(segment-aware: nginx also matched /wssx) → upstream 127.0.0.1-8888, preserve_host false "
                + "(no proxy_set_header Host: nginx sends the upstream's address)");
    }
}
