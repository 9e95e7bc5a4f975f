package io.switchyard.routing;

import java.util.Collection;
import java.util.List;

/**
 * Picks the target for a new connection. Built once per upstream when a table is compiled. Thread-safe:
 * called from every event loop.
 */
public interface Balancer {
    /**
     * @param clientIp the downstream address bytes (used by {@code ip_hash}); may be null
     * @param tried    targets already tried for this request, skipped; may be empty
     * @return the target, or null when none is left
     */
    TargetState pick(byte[] clientIp, Collection<TargetState> tried);

    List<TargetState> targets();
}
