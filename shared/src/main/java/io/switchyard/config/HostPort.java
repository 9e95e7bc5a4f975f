package io.switchyard.config;

/** A parsed {@code host:port}. The host is a name, an IPv4 literal or an IPv6 literal (without brackets). */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isEmpty()) throw new IllegalArgumentException("host: empty");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }

    /** A bound socket address as {@code host:port} (numeric host when resolved, IPv6 in brackets via {@link #toString()}). */
    public static HostPort of(java.net.InetSocketAddress a) {
        return new HostPort(a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString(), a.getPort());
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port}.
     *
     * @throws IllegalArgumentException with a message naming the bad value
     */
    public static HostPort parse(String s) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException("null (expected: host:port)");
        String host;
        String portText;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0 || end + 1 >= s.length() || s.charAt(end + 1) != ':')
                throw new IllegalArgumentException("\"" + s + "\" (expected: [ipv6]:port)");
            host = s.substring(1, end);
            portText = s.substring(end + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon)
                throw new IllegalArgumentException("\"" + s + "\" (expected: host:port)");
            host = s.substring(0, colon);
            portText = s.substring(colon + 1);
        }
        if (!host.matches("[A-Za-z0-9._:%-]+"))
            throw new IllegalArgumentException("\"" + s + "\" (expected: host:port with a valid host)");
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + s + "\" (expected: host:port with a numeric port)");
        }
        if (port < 1 || port > 65535)
            throw new IllegalArgumentException("\"" + s + "\" (expected: port 1-65535)");
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
