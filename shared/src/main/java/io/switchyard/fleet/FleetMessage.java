package io.switchyard.fleet;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;

/**
 * The fleet protocol: JSON text messages over one WebSocket between a node and the control plane
 * ({@link #STREAM_PATH} on the admin listener, {@code Authorization: Bearer <cluster token>}).
 *
 * <pre>
 * node  -> cp : hello {node_id, software_version, address, applied_version, open_tunnels}
 * cp    -> node: snapshot {version, config}        (at once if newer than applied_version, then on every new version)
 * node  -> cp : ack {version} | nack {version, error}
 * node  -> cp : heartbeat {applied_version, open_tunnels}   (every few seconds)
 * cp    -> node: tunnels_query {query_id, route?, target?}    node -> cp: tunnels {query_id, tunnels}
 * cp    -> node: close_tunnels {query_id, tunnel_id?, route?, target?, over_ms}
 *                                                            node -> cp: tunnels_closed {query_id, closed}
 * cp    -> node: health_query {query_id}                     node -> cp: health {query_id, targets}
 * </pre>
 *
 * The control plane always pushes only the newest version; a node that was away catches up in one step.
 * A query carries an id the control plane chose; the node's answer repeats it, so the control plane can
 * match answers to the request that waits for them (and ignore late ones).
 * Snapshots on this channel carry private keys (the node needs them); nothing else does.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = FleetMessage.Hello.class, name = "hello"),
        @JsonSubTypes.Type(value = FleetMessage.SnapshotPush.class, name = "snapshot"),
        @JsonSubTypes.Type(value = FleetMessage.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = FleetMessage.Nack.class, name = "nack"),
        @JsonSubTypes.Type(value = FleetMessage.Heartbeat.class, name = "heartbeat"),
        @JsonSubTypes.Type(value = FleetMessage.TunnelsQuery.class, name = "tunnels_query"),
        @JsonSubTypes.Type(value = FleetMessage.Tunnels.class, name = "tunnels"),
        @JsonSubTypes.Type(value = FleetMessage.CloseTunnels.class, name = "close_tunnels"),
        @JsonSubTypes.Type(value = FleetMessage.TunnelsClosed.class, name = "tunnels_closed"),
        @JsonSubTypes.Type(value = FleetMessage.HealthQuery.class, name = "health_query"),
        @JsonSubTypes.Type(value = FleetMessage.TargetsHealth.class, name = "health"),
})
public sealed interface FleetMessage {
    String STREAM_PATH = "/fleet/v1/stream";

    record Hello(String nodeId, String softwareVersion, String address, long appliedVersion, long openTunnels)
            implements FleetMessage {
    }

    record SnapshotPush(long version, Config config) implements FleetMessage {
    }

    record Ack(long version) implements FleetMessage {
    }

    record Nack(long version, String error) implements FleetMessage {
    }

    record Heartbeat(long appliedVersion, long openTunnels) implements FleetMessage {
    }

    /** A request from the control plane that the node answers with an {@link Answer} of the same id. */
    sealed interface Query extends FleetMessage {
        String queryId();
    }

    /** A node's answer to a {@link Query}. */
    sealed interface Answer extends FleetMessage {
        String queryId();
    }

    /** Lists the node's open tunnels, only those on {@code route} and to {@code target} when given. */
    record TunnelsQuery(String queryId, String route, String target) implements Query {
    }

    /** One open tunnel; {@code opened_at} is an ISO-8601 instant. */
    record TunnelRow(String id, String route, String upstream, String target, String client, String openedAt,
                     long bytesIn, long bytesOut) {
    }

    record Tunnels(String queryId, java.util.List<TunnelRow> tunnels) implements Answer {
        public Tunnels {
            tunnels = tunnels == null ? java.util.List.of() : java.util.List.copyOf(tunnels);
        }
    }

    /**
     * Closes with 1001 "closed by operator" the tunnel {@code tunnel_id}, or else every tunnel on {@code route} and to
     * {@code target} (null matches any), tunnel i of n after i*{@code over_ms}/n.
     */
    record CloseTunnels(String queryId, String tunnelId, String route, String target, long overMs) implements Query {
    }

    /** How many tunnels the node closed (or scheduled to close, when paced). */
    record TunnelsClosed(String queryId, int closed) implements Answer {
    }

    /** Asks for the node's view of every target it serves. */
    record HealthQuery(String queryId) implements Query {
    }

    /**
     * One target as a node sees it; {@code last_check} is an ISO-8601 instant or null when no probe ran,
     * {@code last_failure} why the last failure was one, or null.
     */
    record TargetRow(String upstream, String target, String state, boolean healthy, String lastCheck, String lastFailure,
                     long tunnelsOpen) {
    }

    record TargetsHealth(String queryId, java.util.List<TargetRow> targets) implements Answer {
        public TargetsHealth {
            targets = targets == null ? java.util.List.of() : java.util.List.copyOf(targets);
        }
    }

    static String encode(FleetMessage m) {
        return ConfigCodec.write(m);
    }

    /** @throws io.switchyard.config.ConfigException when the text is not a valid message */
    static FleetMessage decode(String text) {
        return ConfigCodec.read(text, FleetMessage.class);
    }
}
