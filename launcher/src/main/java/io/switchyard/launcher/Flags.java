package io.switchyard.launcher;

import io.switchyard.config.HostPort;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Flag parsing and secrets, shared by the commands. */
final class Flags {
    private Flags() {
    }

    /** picocli converter for HOST:PORT (port 0 allowed: pick a free one). */
    static final class Address implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            return parseAddress(value);
        }
    }

    static InetSocketAddress parseAddress(String value) {
        // HostPort rejects port 0, which on a listener means "any free port"; accept it here.
        boolean anyPort = value != null && value.endsWith(":0");
        HostPort hp;
        try {
            hp = HostPort.parse(anyPort ? value.substring(0, value.length() - 1) + "1" : value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
        return new InetSocketAddress(hp.host(), anyPort ? 0 : hp.port());
    }

    static final class Url implements CommandLine.ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            try {
                URI u = URI.create(value);
                if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null)
                    throw new CommandLine.TypeConversionException("\"" + value + "\" (expected: http://host:port or https://host:port)");
                return u;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("\"" + value + "\" (expected: a URL)");
            }
        }
    }

    /** The secret from {@code file} when given, else from the environment variable; null when neither. */
    static String secret(Path file, String env) {
        if (file != null) {
            try {
                String s = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (s.isEmpty()) throw new IllegalArgumentException("secret file " + file + " is empty");
                return s;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read secret file " + file + ": " + e.getMessage());
            }
        }
        String v = System.getenv(env);
        return v == null || v.isBlank() ? null : v.strip();
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "data-plane";
        }
    }
}
