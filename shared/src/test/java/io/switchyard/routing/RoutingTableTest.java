package io.switchyard.routing;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Certificate;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutingTableTest {
    static Upstream up(String name, Balance b, String... addresses) {
        List<Target> ts = new ArrayList<>();
        for (String a : addresses) ts.add(new Target(a));
        return new Upstream(name, b, ts);
    }

    static RoutingTable table(List<Upstream> ups, List<Route> routes) {
        return RoutingTable.compile(new Snapshot(1, new Config(null, ups, routes, null)), RoutingTable.EMPTY);
    }

    /** {@code routes}, all to one upstream {@code u}. */
    static RoutingTable onU(List<Route> routes) {
        return table(List.of(up("u", null, "h:1")), routes);
    }

    static String name(CompiledRoute r) {
        return r == null ? null : r.name();
    }

    @Test
    void matchesLongestSegmentAwarePrefix() {
        RoutingTable t = onU(List.of(
                new Route("root", null, "/", "u"),
                new Route("wss", null, "/wss", "u"),
                new Route("deep", null, "/wss/admin/x", "u")));
        assertThat(name(t.match(null, "/wss"))).isEqualTo("wss");
        assertThat(name(t.match(null, "/wss/"))).isEqualTo("wss");
        assertThat(name(t.match(null, "/wss/chat"))).isEqualTo("wss");
        assertThat(name(t.match(null, "/wssx"))).isEqualTo("root");
        assertThat(name(t.match(null, "/wss/admin"))).isEqualTo("wss");
        assertThat(name(t.match(null, "/wss/admin/x/y"))).isEqualTo("deep");
        assertThat(name(t.match(null, "/"))).isEqualTo("root");
        assertThat(name(t.match("anything.example", "/other"))).isEqualTo("root");
    }

    @Test
    void answersNullWithoutAMatchingRoute() {
        RoutingTable t = onU(List.of(new Route("a", null, "/api", "u")));
        assertThat(t.match("x", "/")).isNull();
        assertThat(t.match("x", "/apix")).isNull();
        assertThat(RoutingTable.EMPTY.match("x", "/")).isNull();
        assertThat(RoutingTable.EMPTY.version()).isEqualTo(-1);
    }

    @Test
    void prefersExactHostThenWildcardOfOneLabelThenAnyHost() {
        RoutingTable t = onU(List.of(
                new Route("exact", List.of("api.example.com"), "/", "u"),
                new Route("wild", List.of("*.example.com"), "/", "u"),
                new Route("any", null, "/", "u"),
                new Route("exact-only-api", List.of("www.example.com"), "/api", "u")));
        assertThat(name(t.match("API.Example.com:8443", "/x"))).isEqualTo("exact");
        assertThat(name(t.match("api.example.com.", "/x"))).isEqualTo("exact");
        assertThat(name(t.match("chat.example.com", "/x"))).isEqualTo("wild");
        assertThat(name(t.match("a.b.example.com", "/x"))).isEqualTo("any");
        assertThat(name(t.match("example.com", "/x"))).isEqualTo("any");
        assertThat(name(t.match("www.example.com", "/api/v1"))).isEqualTo("exact-only-api");
        // No prefix of the exact host matches: fall through to the wildcard group.
        assertThat(name(t.match("www.example.com", "/"))).isEqualTo("wild");
        assertThat(name(t.match(null, "/"))).isEqualTo("any");
        assertThat(name(t.match("[::1]:80", "/"))).isEqualTo("any");
    }

    @Test
    void routesTheNormalizedPathSoDotSegmentsCannotCrossRoutes() {
        RoutingTable t = table(List.of(up("pub", null, "h:1"), up("adm", null, "h:2")), List.of(
                new Route("public", null, "/public", "pub"),
                new Route("admin", null, "/admin", "adm"),
                new Route("raw", null, "/raw", "pub").withMergeSlashes(false)));
        for (String hostile : List.of("/public/../admin", "/public/%2e%2e/admin", "/public/.%2E/admin/x")) {
            assertThat(name(t.match(null, RequestPaths.normalize(hostile, true)))).as(hostile).isEqualTo("admin");
        }
        assertThat(name(t.match(null, RequestPaths.normalize("//public//a", true)))).isEqualTo("public");
        assertThat(t.match(null, "/raw/x").mergeSlashes()).isFalse();
        assertThat(t.match(null, "/public").mergeSlashes()).isTrue();
    }

    @Test
    void aWildcardHostOfOneLabelDoesNotMatchItsApexOrDeeperNames() {
        RoutingTable t = onU(List.of(
                new Route("wild", List.of("*.example.com"), "/", "u")));
        assertThat(name(t.match("a.example.com", "/"))).isEqualTo("wild");
        assertThat(name(t.match("A.EXAMPLE.COM.:443", "/"))).isEqualTo("wild");
        assertThat(t.match("example.com", "/")).isNull();
        assertThat(t.match("a.b.example.com", "/")).isNull();
        assertThat(t.match(null, "/")).isNull();
    }

    @Test
    void stripsPrefixOnlyWhenAsked() {
        Upstream u = up("u", null, "h:1");
        RoutingTable t = table(List.of(u), List.of(
                new Route("s", null, "/wss", "u", true, false, null, null, false),
                new Route("k", null, "/keep", "u")));
        CompiledRoute s = t.match(null, "/wss/x");
        assertThat(s.rewritePath("/wss/x?a=1")).isEqualTo("/x?a=1");
        assertThat(s.rewritePath("/wss")).isEqualTo("/");
        assertThat(s.rewritePath("/wss?q")).isEqualTo("/?q");
        assertThat(t.match(null, "/keep/x").rewritePath("/keep/x")).isEqualTo("/keep/x");
    }

    @Test
    void resolvesRouteTimeoutsOverGlobalOnes() {
        Config c = new Config(new Timeouts(1000L, 2000L, null), List.of(up("u", null, "h:1")),
                List.of(new Route("r", null, "/", "u", false, false, new Timeouts(null, 300000L, null), null, false)), null);
        CompiledRoute r = RoutingTable.compile(new Snapshot(1, c), RoutingTable.EMPTY).match(null, "/");
        assertThat(r.connectMs()).isEqualTo(1000);
        assertThat(r.readMs()).isEqualTo(300000);
        assertThat(r.sendMs()).isEqualTo(Timeouts.DEFAULT_SEND_MS);
    }

    @Test
    void smoothWeightedRoundRobinInterleavesLikeNginx() {
        Upstream u = new Upstream("u", Balance.ROUND_ROBIN, List.of(new Target("a:1", 5), new Target("b:1", 1), new Target("c:1", 1)));
        RoutingTable t = table(List.of(u), List.of(new Route("r", null, "/", "u")));
        Balancer b = t.match(null, "/").balancer();
        List<String> seq = new ArrayList<>();
        for (int i = 0; i < 7; i++) seq.add(b.pick(null, List.of()).address());
        assertThat(seq).containsExactly("a:1", "a:1", "b:1", "a:1", "c:1", "a:1", "a:1");
    }

    @Test
    void roundRobinSkipsTriedTargetsAndAnswersNullWhenAllTried() {
        RoutingTable t = table(List.of(up("u", Balance.ROUND_ROBIN, "a:1", "b:1")), List.of(new Route("r", null, "/", "u")));
        Balancer b = t.match(null, "/").balancer();
        TargetState first = b.pick(null, List.of());
        TargetState second = b.pick(null, List.of(first));
        assertThat(second).isNotSameAs(first);
        assertThat(b.pick(null, List.of(first, second))).isNull();
        RoutingTable empty = table(List.of(up("e", Balance.LEAST_CONN)), List.of(new Route("r", null, "/", "e")));
        assertThat(empty.match(null, "/").balancer().pick(null, List.of())).isNull();
    }

    @Test
    void leastConnPicksFewestActiveByWeightAndCountersSurviveASwap() {
        Upstream u = new Upstream("u", Balance.LEAST_CONN, List.of(new Target("a:1", 1), new Target("b:1", 2)));
        RoutingTable t1 = table(List.of(u), List.of(new Route("r", null, "/", "u")));
        Balancer b = t1.match(null, "/").balancer();
        Map<String, Integer> opened = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            TargetState s = b.pick(null, List.of());
            s.opened();
            opened.merge(s.address(), 1, Integer::sum);
        }
        assertThat(opened).containsEntry("a:1", 10).containsEntry("b:1", 20);

        RoutingTable t2 = RoutingTable.compile(new Snapshot(2, new Config(null,
                List.of(new Upstream("u", Balance.LEAST_CONN, List.of(new Target("a:1", 1), new Target("b:1", 2), new Target("c:1", 1)))),
                List.of(new Route("r", null, "/", "u")), null)), t1);
        Map<String, TargetState> byAddress = t2.match(null, "/").balancer().targets().stream()
                .collect(Collectors.toMap(TargetState::address, s -> s));
        assertThat(byAddress.get("a:1").active()).isEqualTo(10);
        assertThat(byAddress.get("b:1").active()).isEqualTo(20);
        // The new, empty target takes the next ten connections.
        for (int i = 0; i < 10; i++) {
            TargetState s = t2.match(null, "/").balancer().pick(null, List.of());
            assertThat(s.address()).isEqualTo("c:1");
            s.opened();
        }
        // Closing through the old table's state is seen by the new one.
        t1.match(null, "/").balancer().targets().get(0).closed();
        assertThat(byAddress.get("a:1").active()).isEqualTo(9);
    }

    @Test
    void ipHashKeepsAClientOnItsTargetAndMovesOnlyClientsOfARemovedTarget() {
        RoutingTable t1 = table(List.of(up("u", Balance.IP_HASH, "a:1", "b:1", "c:1")), List.of(new Route("r", null, "/", "u")));
        RoutingTable t2 = table(List.of(up("u", Balance.IP_HASH, "a:1", "b:1")), List.of(new Route("r", null, "/", "u")));
        Random rnd = new Random(42);
        Map<String, Integer> spread = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            byte[] ip = new byte[]{10, (byte) rnd.nextInt(256), (byte) rnd.nextInt(256), (byte) rnd.nextInt(256)};
            String first = t1.match(null, "/").balancer().pick(ip, List.of()).address();
            assertThat(t1.match(null, "/").balancer().pick(ip, List.of()).address()).isEqualTo(first);
            spread.merge(first, 1, Integer::sum);
            String after = t2.match(null, "/").balancer().pick(ip, List.of()).address();
            if (!first.equals("c:1")) assertThat(after).isEqualTo(first);
        }
        assertThat(spread.values()).allSatisfy(n -> assertThat(n).isBetween(800, 1200));
    }

    @Test
    void knowsWhichTargetsItContains() {
        RoutingTable t = table(List.of(up("u", null, "a:1")), List.of());
        assertThat(t.containsTarget("u", "a:1")).isTrue();
        assertThat(t.containsTarget("u", "b:1")).isFalse();
        assertThat(t.containsTarget("v", "a:1")).isFalse();
    }

    @Test
    void refusesToCompileACertificateWithoutItsKey() {
        Config c = new Config(null, null, null, List.of(new Certificate("c", List.of("x.com"), "-----BEGIN CERTIFICATE-----x", null, false)));
        assertThatThrownBy(() -> RoutingTable.compile(new Snapshot(3, c), RoutingTable.EMPTY))
                .isInstanceOf(ConfigException.class).hasMessageContaining("certificates[0].key_pem");
    }

    @Test
    void findsEveryOneOfAHundredThousandRoutes() {
        int n = 100_000;
        List<Route> routes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> hosts = i % 2 == 0 ? List.of("h" + (i % 1000) + ".example.com") : List.of();
            routes.add(new Route("r" + i, hosts, "/svc" + i + "/v" + (i % 7), "u"));
        }
        RoutingTable t = onU(routes);
        assertThat(t.routeCount()).isEqualTo(n);
        assertThat(name(t.match(null, "/svc99999/v" + (99999 % 7) + "/deep/path"))).isEqualTo("r99999");
        assertThat(name(t.match("h998.example.com", "/svc99998/v" + (99998 % 7)))).isEqualTo("r99998");
        // The same path on a host that does not own it: an even route is host-bound, so no match.
        assertThat(t.match("other.example.com", "/svc99998/v" + (99998 % 7))).isNull();
        Random rnd = new Random(7);
        for (int k = 0; k < 20_000; k++) {
            int i = rnd.nextInt(n);
            String host = i % 2 == 0 ? "h" + (i % 1000) + ".example.com" : "any.example.org";
            assertThat(name(t.match(host, "/svc" + i + "/v" + (i % 7) + "/x"))).isEqualTo("r" + i);
        }
        assertThat(t.match(null, "/svc1")).isNull();
    }

    @Test
    void tellsApartPrefixesWhoseHashesCollide() {
        // "Aa" and "BB" have the same String.hashCode, so "/Aa" and "/BB" land on one slot of the prefix table.
        assertThat("/Aa".hashCode()).isEqualTo("/BB".hashCode());
        assertThat("/x/AaBB".hashCode()).isEqualTo("/x/BBAa".hashCode());
        RoutingTable t = onU(List.of(
                new Route("aa", null, "/Aa", "u"),
                new Route("bb", null, "/BB", "u"),
                new Route("x1", null, "/x/AaBB", "u")));
        assertThat(name(t.match(null, "/Aa/1"))).isEqualTo("aa");
        assertThat(name(t.match(null, "/BB"))).isEqualTo("bb");
        assertThat(name(t.match(null, "/x/AaBB/y"))).isEqualTo("x1");
        assertThat(t.match(null, "/x/BBAa")).isNull();
        assertThat(t.match(null, "/AaBB")).isNull();
    }

    /**
     * The table against the rule it implements, checked by a plain scan: the longest prefix {@code p} with the path
     * equal to {@code p} or starting with {@code p + "/"} ({@code /} matches every path starting with '/'). Prefixes of
     * one to four segments, some nested under others and some under segments no route has; paths with empty and
     * dotted segments, trailing slashes and near misses.
     */
    @Test
    void agreesWithAPlainScanOnRandomPrefixesAndPaths() {
        Random rnd = new Random(12);
        String[] words = {"a", "b", "ab", "api", "v1", "v2", "ws", "Aa", "BB", "x.y", "%41"};
        for (int round = 0; round < 30; round++) {
            Map<String, String> prefixes = new HashMap<>();
            if (round % 3 == 0) prefixes.put("/", "root");
            int n = 1 + rnd.nextInt(round < 10 ? 5 : 60);
            for (int i = 0; i < n; i++) {
                StringBuilder p = new StringBuilder();
                for (int d = 1 + rnd.nextInt(4); d > 0; d--) p.append('/').append(words[rnd.nextInt(words.length)]);
                prefixes.putIfAbsent(p.toString(), "r" + i);
            }
            List<Route> routes = new ArrayList<>();
            prefixes.forEach((p, name) -> routes.add(new Route(name, null, p, "u")));
            RoutingTable t = onU(routes);
            for (int k = 0; k < 400; k++) {
                StringBuilder path = new StringBuilder();
                for (int d = rnd.nextInt(6); d > 0; d--) {
                    path.append('/');
                    int pick = rnd.nextInt(words.length + 2);
                    if (pick < words.length) path.append(words[pick]);
                    else if (pick == words.length) path.append(words[rnd.nextInt(words.length)]).append('z');
                    // else: an empty segment
                }
                if (path.length() == 0 || rnd.nextInt(8) == 0) path.append('/');
                String p = path.toString();
                assertThat(name(t.match(null, p))).as("%s in %s", p, prefixes.keySet()).isEqualTo(scan(prefixes, p));
            }
        }
    }

    private static String scan(Map<String, String> prefixes, String path) {
        String best = null;
        int bestLength = -1;
        for (Map.Entry<String, String> e : prefixes.entrySet()) {
            String p = e.getKey();
            boolean matches = p.equals("/") ? path.startsWith("/") : path.equals(p) || path.startsWith(p + "/");
            if (matches && p.length() > bestLength) {
                best = e.getValue();
                bestLength = p.length();
            }
        }
        return best;
    }
}
