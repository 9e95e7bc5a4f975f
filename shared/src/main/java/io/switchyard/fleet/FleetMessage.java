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
 * </pre>
 *
 * The control plane always pushes only the newest version; a node that was away catches up in one step.
 * Snapshots on this channel carry private keys (the node needs them); nothing else does.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = FleetMessage.Hello.class, name = "hello"),
        @JsonSubTypes.Type(value = FleetMessage.SnapshotPush.class, name = "snapshot"),
        @JsonSubTypes.Type(value = FleetMessage.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = FleetMessage.Nack.class, name = "nack"),
        @JsonSubTypes.Type(value = FleetMessage.Heartbeat.class, name = "heartbeat"),
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

    static String encode(FleetMessage m) {
        return ConfigCodec.write(m);
    }

    /** @throws io.switchyard.config.ConfigException when the text is not a valid message */
    static FleetMessage decode(String text) {
        return ConfigCodec.read(text, FleetMessage.class);
    }
}
