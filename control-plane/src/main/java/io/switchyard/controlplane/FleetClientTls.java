package io.switchyard.controlplane;

import io.switchyard.controlplane.tls.PemFiles;

import javax.net.ssl.SSLContext;
import java.nio.file.Path;

/**
 * The TLS client side of the fleet channel, for a node dialling a control plane over WSS: trust (a CA bundle, or the
 * JDK's when null) and, for mutual TLS, the node's own certificate and key, all read from PEM files the same way the
 * control plane reads its own. Part of the control plane's public surface because it speaks the control plane's
 * channel. Stateless.
 */
public final class FleetClientTls {
    private FleetClientTls() {
    }

    /**
     * @param caFile   PEM CA bundle to verify the control plane with, or null for the JDK's trusted CAs
     * @param certFile the node's PEM certificate chain for mutual TLS, or null
     * @param keyFile  its PEM private key, or null
     * @throws IllegalArgumentException with a one-line message naming an unreadable or unusable file
     */
    public static SSLContext context(Path caFile, Path certFile, Path keyFile) {
        return PemFiles.clientContext(caFile, certFile, keyFile);
    }
}
