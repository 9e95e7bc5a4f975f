package io.switchyard.dataplane;

/**
 * One open tunnel as a moment's copy, for listings ({@link DataPlane#tunnels()}).
 *
 * @param id             16 hex digits, random: unique across a fleet without coordination
 * @param route          the route it was opened on
 * @param upstream       the upstream of its target
 * @param target         the target's {@code host:port}
 * @param client         the client's address (as the access log names it)
 * @param openedAtMillis wall-clock time it opened, epoch ms
 * @param bytesIn        bytes relayed from the client so far
 * @param bytesOut       bytes relayed from the upstream so far
 */
public record TunnelInfo(String id, String route, String upstream, String target, String client, long openedAtMillis,
                         long bytesIn, long bytesOut) {
}
