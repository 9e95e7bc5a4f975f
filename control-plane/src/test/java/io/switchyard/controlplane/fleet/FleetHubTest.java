package io.switchyard.controlplane.fleet;

import io.switchyard.config.Config;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Upstream;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hub's logic without sockets: each node is a {@link NodeLink} that records what it is sent and
 * completes sends only when the test says so, so "in flight" is a state the test holds, not a race.
 */
class FleetHubTest {
    final AtomicReference<Snapshot> current = new AtomicReference<>(new Snapshot(0, Config.EMPTY));
    final FleetHub hub = new FleetHub(current::get);

    @AfterEach
    void close() {
        hub.close();
    }

    /** A connection whose sends stay in flight until {@link #complete} or {@link #fail}. */
    static final class Link implements NodeLink {
        final String id;
        final List<Long> sent = new ArrayList<>();
        /** Queries sent, in order; their sends complete at once (they do not take the snapshot's turn). */
        final List<FleetMessage.Query> queries = new ArrayList<>();
        /** When set, query sends fail with this. */
        volatile Throwable failQueries;
        final ArrayDeque<Consumer<Throwable>> inFlight = new ArrayDeque<>();
        Integer closeCode;
        String closeReason;

        Link(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void send(String text, Consumer<Throwable> done) {
            FleetMessage m = FleetMessage.decode(text);
            if (m instanceof FleetMessage.Query q) {
                synchronized (this) {
                    queries.add(q);
                }
                done.accept(failQueries);
                return;
            }
            synchronized (this) {
                sent.add(((FleetMessage.SnapshotPush) m).version());
                inFlight.add(done);
            }
        }

        synchronized FleetMessage.Query lastQuery() {
            return queries.get(queries.size() - 1);
        }

        @Override
        public synchronized void close(int code, String reason) {
            closeCode = code;
            closeReason = reason;
        }

        void complete() {
            Consumer<Throwable> done;
            synchronized (this) {
                done = inFlight.remove();
            }
            done.accept(null);
        }

        void fail() {
            Consumer<Throwable> done;
            synchronized (this) {
                done = inFlight.remove();
            }
            done.accept(new IOException("connection reset"));
        }

        synchronized List<Long> sent() {
            return List.copyOf(sent);
        }
    }

    void commit(long version) {
        current.set(new Snapshot(version, Config.EMPTY.withUpstreams(List.of(new Upstream("u" + version, null, List.of())))));
        hub.published(current.get());
    }

    Link connect(String connection, String nodeId) {
        Link link = new Link(connection);
        hub.connected(link, nodeId, "192.0.2.1");
        return link;
    }

    void say(Link link, FleetMessage m) {
        hub.message(link, FleetMessage.encode(m));
    }

    static FleetMessage.Hello hello(String nodeId, long applied) {
        return new FleetMessage.Hello(nodeId, "0.1.0", "192.0.2.1:8080", applied, 0);
    }

    FleetHub.NodeView view(String nodeId) {
        return hub.nodes().stream().filter(v -> v.nodeId().equals(nodeId)).findFirst().orElseThrow();
    }

    @Test
    void aNodeIsSentNothingBeforeItsHelloAndOnlyTheNewestVersionRightAfterIt() {
        commit(1);
        commit(2);
        commit(3);
        Link a = connect("c1", "a");
        assertThat(a.sent()).isEmpty();
        assertThat(view("a").status()).isEqualTo("lagging");
        say(a, hello("a", 0));
        assertThat(a.sent()).containsExactly(3L);
    }

    @Test
    void versionsCommittedWhileASendIsInFlightGoOutAsOneSendOfTheNewest() {
        commit(1);
        Link a = connect("c1", "a");
        say(a, hello("a", 0));
        commit(2);
        commit(3);
        assertThat(a.sent()).as("one send in flight at a time").containsExactly(1L);
        a.complete();
        assertThat(a.sent()).as("2 is skipped: only the newest goes out").containsExactly(1L, 3L);
        a.complete();
        assertThat(a.sent()).containsExactly(1L, 3L);
        assertThat(a.inFlight).isEmpty();
    }

    @Test
    void aNodeIsNeverSentAVersionItAlreadyHoldsOrOneOlder() {
        commit(5);
        Link a = connect("c1", "a");
        say(a, hello("a", 5));
        assertThat(a.sent()).isEmpty();
        // Failed over from a control plane that is ahead of this one.
        Link b = connect("c2", "b");
        say(b, hello("b", 7));
        commit(6);
        assertThat(a.sent()).containsExactly(6L);
        assertThat(b.sent()).isEmpty();
    }

    @Test
    void aFailedSendFreesTheNodeForTheNextCommit() {
        commit(1);
        Link a = connect("c1", "a");
        say(a, hello("a", 0));
        a.fail();
        assertThat(a.inFlight).isEmpty();
        commit(2);
        assertThat(a.sent()).containsExactly(1L, 2L);
    }

    @Test
    void aWaitCompletesWhenTheLastConnectedNodeAcks() throws Exception {
        commit(1);
        commit(2);
        Link a = connect("c1", "a");
        Link b = connect("c2", "b");
        say(a, hello("a", 0));
        CompletableFuture<FleetHub.WaitResult> wait = hub.await(2, 60_000);
        assertThat(hub.waiting()).isEqualTo(1);
        assertThat(wait).as("b has not said hello: its version is unknown").isNotDone();
        say(b, hello("b", 2));
        say(a, new FleetMessage.Ack(1));
        assertThat(wait).isNotDone();
        say(a, new FleetMessage.Ack(2));
        FleetHub.WaitResult r = wait.get(5, TimeUnit.SECONDS);
        assertThat(r.converged()).isTrue();
        assertThat(r.lagging()).isEmpty();
        assertThat(r.nodes()).extracting(FleetHub.NodeView::status).containsExactly("in_sync", "in_sync");
        assertThat(hub.waiting()).isZero();
    }

    @Test
    void aWaitThatRunsOutNamesTheNodesStillBehind() throws Exception {
        commit(1);
        Link a = connect("c1", "a");
        Link b = connect("c2", "b");
        say(a, hello("a", 1));
        say(b, hello("b", 0));
        FleetHub.WaitResult r = hub.await(1, 100).get(5, TimeUnit.SECONDS);
        assertThat(r.converged()).isFalse();
        assertThat(r.lagging()).extracting(FleetHub.NodeView::nodeId).containsExactly("b");
        assertThat(hub.waiting()).isZero();
    }

    @Test
    void aDisconnectedNodeNoLongerHoldsUpAWait() throws Exception {
        commit(1);
        Link a = connect("c1", "a");
        say(a, hello("a", 0));
        CompletableFuture<FleetHub.WaitResult> wait = hub.await(1, 60_000);
        assertThat(wait).isNotDone();
        hub.closed(a, 1006, "gone");
        assertThat(wait.get(5, TimeUnit.SECONDS).converged()).isTrue();
        assertThat(view("a").status()).isEqualTo("disconnected");
    }

    @Test
    void aNackOfTheCurrentVersionShowsAsRejectedWithItsErrorUntilAnAck() {
        commit(1);
        Link a = connect("c1", "a");
        say(a, hello("a", 0));
        say(a, new FleetMessage.Nack(1, "certificate example: key does not match"));
        assertThat(view("a").status()).isEqualTo("rejected");
        assertThat(view("a").error()).isEqualTo("certificate example: key does not match");
        say(a, new FleetMessage.Ack(1));
        assertThat(view("a").status()).isEqualTo("in_sync");
        assertThat(view("a").error()).isNull();
    }

    @Test
    void aNewConnectionOfTheSameNodeClosesTheOldOneWhoseLateCloseChangesNothing() {
        commit(1);
        Link first = connect("c1", "a");
        say(first, hello("a", 1));
        Link second = connect("c2", "a");
        assertThat(first.closeCode).isEqualTo(4000);
        say(second, hello("a", 1));
        hub.closed(first, 4000, "replaced");
        assertThat(view("a").status()).isEqualTo("in_sync");
        say(first, new FleetMessage.Ack(1));
        assertThat(hub.nodes()).hasSize(1);
    }

    @Test
    void anUnreadableMessageOrAHelloForAnotherNodeClosesTheConnection() {
        Link a = connect("c1", "a");
        hub.message(a, "{not json");
        assertThat(a.closeCode).isEqualTo(1003);
        Link b = connect("c2", "b");
        say(b, hello("someone-else", 0));
        assertThat(b.closeCode).isEqualTo(1008);
        assertThat(b.closeReason).contains("someone-else");
        Link c = connect("c3", "c");
        say(c, new FleetMessage.SnapshotPush(1, Config.EMPTY));
        assertThat(c.closeCode).as("snapshots only flow outwards").isEqualTo(1008);
    }

    @Test
    void aRefusedClaimShowsAsRefusedButNeverHidesAConnectedNodeOfThatId() {
        Link a = connect("c1", "a");
        say(a, hello("a", 0));
        hub.refused("a", "203.0.113.9", "wrong or missing cluster token");
        hub.refused("intruder", "203.0.113.9", "wrong or missing cluster token");
        assertThat(view("a").status()).as("nothing committed yet: version 0 is what it holds").isEqualTo("in_sync");
        assertThat(view("intruder").status()).isEqualTo("refused");
        assertThat(view("intruder").error()).isEqualTo("wrong or missing cluster token");
        assertThat(view("intruder").address()).isEqualTo("203.0.113.9");
    }

    @Test
    void closingTheHubTellsEveryNodeItIsGoingAwayAndEndsEveryWait() throws Exception {
        commit(1);
        Link a = connect("c1", "a");
        CompletableFuture<FleetHub.WaitResult> wait = hub.await(1, 60_000);
        hub.close();
        assertThat(a.closeCode).isEqualTo(1001);
        assertThat(wait.get(5, TimeUnit.SECONDS).converged()).isFalse();
    }
}
