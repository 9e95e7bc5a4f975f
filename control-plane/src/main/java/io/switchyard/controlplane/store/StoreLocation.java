package io.switchyard.controlplane.store;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the control plane keeps its configuration: a SQLite file (the default, one control plane
 * per file) or a PostgreSQL database (several control planes may share it). Immutable.
 */
public sealed interface StoreLocation {

    /** A SQLite file, created and migrated on start. */
    record Sqlite(Path file) implements StoreLocation {
        public Sqlite {
            if (file == null) throw new IllegalArgumentException("db: null (expected: a file path)");
        }

        @Override
        public String toString() {
            return file.toString();
        }
    }

    /**
     * A PostgreSQL database reached as {@code postgresql://HOST:PORT/DB?user=U}; the password never
     * comes from the URL (it is given separately, from the environment or a file).
     *
     * @param parameters further connection parameters from the URL (e.g. {@code sslmode}), passed to the driver
     */
    record Postgres(String host, int port, String database, String user, String password, Map<String, String> parameters)
            implements StoreLocation {
        public Postgres {
            parameters = Map.copyOf(parameters);
        }

        /** The JDBC URL, without user or password. */
        public String jdbcUrl() {
            StringBuilder b = new StringBuilder("jdbc:postgresql://").append(host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                    .append(':').append(port).append('/').append(database);
            char sep = '?';
            for (Map.Entry<String, String> e : parameters.entrySet()) {
                b.append(sep).append(e.getKey()).append('=').append(java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
                sep = '&';
            }
            return b.toString();
        }

        /** Never shows the password (locations end up in logs and messages). */
        @Override
        public String toString() {
            return "postgresql://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + "/" + database + "?user=" + user;
        }
    }

    /**
     * Reads a {@code --db} value: {@code postgresql://HOST[:PORT]/DB?user=U} (also {@code postgres://}),
     * anything else is a SQLite file path.
     *
     * @param password the PostgreSQL password (from SWITCHYARD_DB_PASSWORD or a file), or null
     * @throws IllegalArgumentException with a one-line message naming what is wrong
     */
    static StoreLocation parse(String value, String password) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("db: empty (expected: a SQLite file path or postgresql://HOST:PORT/DB?user=U)");
        if (!value.startsWith("postgresql://") && !value.startsWith("postgres://")) return new Sqlite(Path.of(value));
        URI u;
        try {
            u = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("db: \"" + value + "\" is not a URL (expected: postgresql://HOST:PORT/DB?user=U)");
        }
        if (u.getHost() == null)
            throw new IllegalArgumentException("db: \"" + value + "\" has no host (expected: postgresql://HOST:PORT/DB?user=U)");
        if (u.getRawUserInfo() != null)
            throw new IllegalArgumentException("db: put the user in ?user= and the password in SWITCHYARD_DB_PASSWORD or --db-password-file, not before the host");
        String path = u.getPath() == null ? "" : u.getPath();
        String database = path.startsWith("/") ? path.substring(1) : path;
        if (database.isEmpty() || database.contains("/"))
            throw new IllegalArgumentException("db: \"" + value + "\" names no database (expected: postgresql://HOST:PORT/DB?user=U)");
        Map<String, String> params = new LinkedHashMap<>();
        if (u.getRawQuery() != null) {
            for (String pair : u.getRawQuery().split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(k, v);
            }
        }
        if (params.containsKey("password"))
            throw new IllegalArgumentException("db: the password does not go in the URL (set SWITCHYARD_DB_PASSWORD or --db-password-file)");
        String user = params.remove("user");
        if (user == null || user.isBlank())
            throw new IllegalArgumentException("db: \"" + value + "\" names no user (expected: postgresql://HOST:PORT/DB?user=U)");
        int port = u.getPort() < 0 ? 5432 : u.getPort();
        String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
        return new Postgres(host, port, database, user, password, params);
    }
}
