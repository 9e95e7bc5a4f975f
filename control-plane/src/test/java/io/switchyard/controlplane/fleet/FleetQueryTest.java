package io.switchyard.controlplane.fleet;

import io.switchyard.config.Config;
import io.switchyard.config.Snapshot;
import io.switchyard.controlplane.fleet.FleetHubTest.Link;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Queries over the fleet channel (ask, answer, time out), through the hub alone: nodes are {@link Link}s, no sockets. */
class FleetQueryTest {
    final FleetHub hub = new FleetHub(() -> new Snapshot(0, Config.EMPTY));

    @AfterEach
    void close() {
        hub.close();
    }

    Link node(String connection, String nodeId) {
        Link link = new Link(connection);
        hub.connected(link, nodeId, "192.0.2.1");
        hub.message(link, FleetMessage.encode(new FleetMessage.Hello(nodeId, "0.1.0", "192.0.2.1:8080", 0, 0)));
        return link;
    }

    void answer(Link link, FleetMessage.Answer a) {
        hub.message(link, FleetMessage.encode(a));
    }

    static FleetMessage.Tunnels tunnels(String queryId, String... ids) {
        return new FleetMessage.Tunnels(queryId, java.util.Arrays.stream(ids)
                .map(id -> new FleetMessage.TunnelRow(id, "chat", "chat", "127.0.0.1:9000", "198.51.100.7:5000", "2026-01-01T00:00:00Z", 1, 2))
                .toList());
    }

    CompletableFuture<FleetHub.Gathered<FleetMessage.Tunnels>> askTunnels(String onlyNode, long timeoutMs) {
        return hub.ask(onlyNode, id -> new FleetMessage.TunnelsQuery(id, null, null), FleetMessage.Tunnels.class, timeoutMs);
    }

    @Test
    void aQueryCompletesAsSoonAsEveryConnectedNodeAnsweredWithEachNodesAnswer() throws Exception {
        Link a = node("c1", "a");
        Link b = node("c2", "b");
        var f = askTunnels(null, 60_000);
        String id = a.lastQuery().queryId();
        assertThat(b.lastQuery().queryId()).as("one query, one id, sent to each node").isEqualTo(id);
        answer(a, tunnels(id, "00000000000000a1"));
        assertThat(f).as("b has not answered").isNotDone();
        answer(b, tunnels(id, "00000000000000b1", "00000000000000b2"));
        FleetHub.Gathered<FleetMessage.Tunnels> g = f.get(5, TimeUnit.SECONDS);
        assertThat(g.unanswered()).isEmpty();
        assertThat(g.answers().get("a").tunnels()).extracting(FleetMessage.TunnelRow::id).containsExactly("00000000000000a1");
        assertThat(g.answers().get("b").tunnels()).hasSize(2);
        assertThat(hub.queriesInFlight()).isZero();
    }

    @Test
    void aNodeThatDoesNotAnswerInTimeIsNamedAndItsLateAnswerIsIgnored() throws Exception {
        Link a = node("c1", "a");
        Link b = node("c2", "b");
        var f = askTunnels(null, 200);
        String id = a.lastQuery().queryId();
        answer(a, tunnels(id, "00000000000000a1"));
        FleetHub.Gathered<FleetMessage.Tunnels> g = f.get(5, TimeUnit.SECONDS);
        assertThat(g.unanswered()).containsExactly("b");
        assertThat(g.answers()).containsOnlyKeys("a");
        answer(b, tunnels(id, "00000000000000b1"));
        assertThat(hub.queriesInFlight()).isZero();
        assertThat(b.closeCode).as("a late answer is not an error").isNull();
    }

    @Test
    void aNodeThatDisconnectsOrWhoseSendFailsNoLongerHoldsUpTheQuery() throws Exception {
        Link a = node("c1", "a");
        Link b = node("c2", "b");
        Link c = node("c3", "c");
        c.failQueries = new IOException("connection reset");
        var f = askTunnels(null, 60_000);
        String id = a.lastQuery().queryId();
        answer(a, tunnels(id));
        assertThat(f).isNotDone();
        hub.closed(b, 1006, "gone");
        FleetHub.Gathered<FleetMessage.Tunnels> g = f.get(5, TimeUnit.SECONDS);
        assertThat(g.answers()).containsOnlyKeys("a");
        assertThat(g.unanswered()).containsExactly("b", "c");
    }

    @Test
    void aQueryForOneNodeGoesToThatNodeOnlyAndNodesBeforeTheirHelloAreNotAsked() throws Exception {
        Link a = node("c1", "a");
        Link b = node("c2", "b");
        Link silent = new Link("c3");
        hub.connected(silent, "quiet", "192.0.2.3");
        var f = askTunnels("b", 60_000);
        assertThat(a.queries).isEmpty();
        assertThat(silent.queries).isEmpty();
        answer(b, tunnels(b.lastQuery().queryId(), "00000000000000b1"));
        assertThat(f.get(5, TimeUnit.SECONDS).answers()).containsOnlyKeys("b");

        var all = askTunnels(null, 60_000);
        assertThat(silent.queries).as("no hello yet").isEmpty();
        answer(a, tunnels(a.lastQuery().queryId()));
        answer(b, tunnels(b.lastQuery().queryId()));
        assertThat(all.get(5, TimeUnit.SECONDS).unanswered()).isEmpty();
    }

    @Test
    void withNoNodeConnectedAQueryAnswersAtOnceWithNothing() throws Exception {
        var f = askTunnels(null, 60_000);
        assertThat(f.get(1, TimeUnit.SECONDS).answers()).isEmpty();
        assertThat(f.get().unanswered()).isEmpty();
    }

    @Test
    void answersOfAnotherKindOrToAnotherQueryDoNotCountAndAnAnswerFromAnotherNodeIsNotTaken() throws Exception {
        Link a = node("c1", "a");
        Link b = node("c2", "b");
        var f = askTunnels("a", 300);
        String id = a.lastQuery().queryId();
        answer(a, new FleetMessage.TunnelsClosed(id, 3));
        answer(a, tunnels("another-query", "00000000000000a9"));
        answer(b, tunnels(id, "00000000000000b1"));
        assertThat(f).isNotDone();
        answer(a, tunnels(id, "00000000000000a1"));
        FleetHub.Gathered<FleetMessage.Tunnels> g = f.get(5, TimeUnit.SECONDS);
        assertThat(g.answers()).containsOnlyKeys("a");
        assertThat(g.answers().get("a").tunnels()).extracting(FleetMessage.TunnelRow::id).containsExactly("00000000000000a1");
    }

    @Test
    void aNodeThatSendsAQueryIsDisconnected() {
        Link a = node("c1", "a");
        hub.message(a, FleetMessage.encode(new FleetMessage.HealthQuery("q")));
        assertThat(a.closeCode).isEqualTo(1008);
    }

    @Test
    void closingTheHubEndsEveryQueryWithWhatHadAnswered() throws Exception {
        Link a = node("c1", "a");
        node("c2", "b");
        var f = hub.ask(id -> new FleetMessage.HealthQuery(id), FleetMessage.TargetsHealth.class, 60_000);
        answer(a, new FleetMessage.TargetsHealth(a.lastQuery().queryId(), List.of(
                new FleetMessage.TargetRow("chat", "127.0.0.1:9000", "active", true, null, null, 0))));
        hub.close();
        FleetHub.Gathered<FleetMessage.TargetsHealth> g = f.get(5, TimeUnit.SECONDS);
        assertThat(g.answers()).containsOnlyKeys("a");
        assertThat(g.unanswered()).containsExactly("b");
    }
}
