package io.switchyard.controlplane.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import io.switchyard.controlplane.certificate.CertificateInspector;
import io.switchyard.controlplane.snapshot.ConfigDiff;
import io.switchyard.controlplane.snapshot.GlobalSettings;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The configuration and its history. The current configuration is kept as rows (one per
 * upstream, target, route, certificate, plus one for the global timeouts and one for the other global
 * settings); every write that changes
 * something updates those rows and stores the whole new document as the next snapshot version in
 * the same transaction, so a version exists exactly when its rows do. Thread-safe: writes are
 * serialised (see {@link #writeLock}); reads of the current state come from a volatile copy
 * published after each commit.
 */
public final class ConfigStore {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);
    private static final ObjectMapper MAPPER = ConfigCodec.mapper();
    /** PostgreSQL channel on which each committed version number is announced. */
    public static final String VERSIONS_CHANNEL = "switchyard_versions";
    public static final int DEFAULT_KEEP_VERSIONS = 1000;

    /** The newest committed version; version 0 (never stored) is the empty document of a fresh database. */
    public record Current(long version, Instant createdAt, Config config) {
    }

    /** One stored version with its full document (private keys included: only the fleet channel may send it). */
    public record Stored(long version, Instant createdAt, String summary, Config config) {
    }

    /** A history entry without its document. */
    public record Entry(long version, Instant createdAt, String summary) {
    }

    /** What a write did: the version after it, and whether it created that version. */
    public record Written(long version, boolean created, Config after, Instant createdAt) {
    }

    private final Jdbi jdbi;
    private final Database db;
    private final int keepVersions;
    private final SecretBox box;
    /**
     * Serialises writers inside this process: the change function runs on the state it will
     * replace, and versions are max+1, so two writers must not interleave. The database serialises
     * writers of different processes too ({@link Database#lockForWrite}); this fair JVM lock queues
     * the ones of this process without holding a connection or touching SQLite's busy timeout.
     * Also guards publication: {@link #current} only moves forward, and listeners see versions in order.
     */
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private volatile Current current;
    /** The rows as of {@link #rowsVersion}; guarded by {@link #writeLock}. */
    private Config rowsCache;
    private long rowsVersion = -1;
    private final List<Consumer<Current>> listeners = new CopyOnWriteArrayList<>();

    /** Keeps the default history ({@value #DEFAULT_KEEP_VERSIONS} versions), private keys stored as given. */
    public ConfigStore(Database db) {
        this(db, DEFAULT_KEEP_VERSIONS, null);
    }

    /**
     * @param keepVersions how many versions history keeps (at least 1: the current one is never pruned)
     * @param box          encrypts private keys at rest, or null to store them as given
     */
    public ConfigStore(Database db, int keepVersions, SecretBox box) {
        if (keepVersions < 1) throw new IllegalArgumentException("keep-versions: " + keepVersions + " (expected: >= 1)");
        this.db = db;
        this.jdbi = db.jdbi();
        this.keepVersions = keepVersions;
        this.box = box;
        if (box != null) sealStoredKeys();
        seedSettings();
        this.current = jdbi.withHandle(this::loadCurrent);
        // Rows and the newest snapshot are written in one transaction, so they must agree; if they
        // do not (a hand-edited file), say so: the rows win for the next write, the snapshot is served.
        Config rows = rows();
        rowsCache = rows;
        rowsVersion = current.version();
        if (!rows.equals(current.config()))
            LOG.warn("database {}: the current rows differ from snapshot version {}; the next write starts from the rows",
                    db.location(), current.version());
    }

    /** Called, in version order, after each commit that created a version (keep it quick and non-blocking). */
    public void onCommit(Consumer<Current> listener) {
        listeners.add(listener);
    }

    public Current current() {
        return current;
    }

    /**
     * Applies {@code change} to the current configuration (with private keys) and, when the result
     * differs, commits rows and a new snapshot in one transaction. Exceptions from {@code change}
     * (validation, conflicts) roll everything back and propagate unchanged. When another control
     * plane committed versions this one has not seen yet, the newest of them is published first,
     * so {@code change} and {@link #current()} agree with the rows it is given.
     *
     * @param note prefix of the history summary (e.g. "rollback to 3"), or null
     */
    public Written write(String note, UnaryOperator<Config> change) {
        writeLock.lock();
        try {
            Written w = jdbi.inTransaction(h -> {
                db.lockForWrite(h);
                long latest = h.createQuery("SELECT COALESCE(MAX(version), 0) FROM snapshots").mapTo(Long.class).one();
                if (latest > current.version()) advance(loadCurrent(h));
                // The rows as this process last wrote them are still the rows unless another
                // process wrote since (the version tells); reusing them saves parsing every row.
                Config before = latest == rowsVersion && rowsCache != null ? rowsCache : loadRows(h);
                Config after = change.apply(before);
                if (after.equals(before)) return new Written(latest, false, before, null);
                syncRows(h, before, after);
                long version = latest + 1;
                Instant now = Instant.now();
                String summary = ConfigDiff.between(before, after).summary();
                if (note != null) summary = note + ": " + summary;
                h.createUpdate("INSERT INTO snapshots (version, created_at, summary, document, document_deflate) VALUES (?, ?, ?, '', ?)")
                        .bind(0, version).bind(1, now.toString()).bind(2, summary).bind(3, deflate(document(after)))
                        .execute();
                // History is bounded; the version just written is always kept.
                if (version > keepVersions)
                    h.createUpdate("DELETE FROM snapshots WHERE version <= ?").bind(0, version - keepVersions).execute();
                afterInsert(h, version);
                return new Written(version, true, after, now);
            });
            if (w.created()) {
                rowsCache = w.after();
                rowsVersion = w.version();
                // Published only after commit, still under the lock, so listeners see versions in order.
                advance(new Current(w.version(), w.createdAt(), w.after()));
            }
            return w;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Publishes the newest committed version when another control plane wrote it (PostgreSQL).
     *
     * @return the version now current
     */
    public long refresh() {
        writeLock.lock();
        try {
            long latest = jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(MAX(version), 0) FROM snapshots").mapTo(Long.class).one());
            if (latest > current.version()) advance(jdbi.withHandle(this::loadCurrent));
            return current.version();
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs inside the write transaction, after the snapshot row. */
    private void afterInsert(Handle h, long version) {
        // PostgreSQL tells the other control planes at commit (NOTIFY is transactional).
        if (db.dialect() == Database.Dialect.POSTGRESQL)
            Database.call(h, "SELECT pg_notify(?, ?)", VERSIONS_CHANNEL, Long.toString(version));
    }

    /** Makes {@code c} current and tells the listeners, unless it is not newer. Caller holds {@link #writeLock}. */
    private void advance(Current c) {
        if (c.version() <= current.version()) return;
        current = c;
        for (Consumer<Current> l : listeners) {
            try {
                l.accept(c);
            } catch (RuntimeException e) {
                LOG.warn("commit listener failed for version {}", c.version(), e);
            }
        }
    }

    public Optional<Stored> snapshot(long version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT version, created_at, summary, document, document_deflate FROM snapshots WHERE version = ?")
                .bind(0, version)
                .map((rs, ctx) -> stored(rs))
                .findOne());
    }

    /** History newest first, versions below {@code before} (exclusive), at most {@code limit}. */
    public List<Entry> history(long before, int limit) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT version, created_at, summary FROM snapshots WHERE version < ? ORDER BY version DESC LIMIT ?")
                .bind(0, before).bind(1, limit)
                .map((rs, ctx) -> new Entry(rs.getLong(1), Instant.parse(rs.getString(2)), rs.getString(3)))
                .list());
    }

    /** The configuration as the rows hold it (for consistency checks; normally equal to {@link #current()}). */
    public Config rows() {
        return jdbi.inTransaction(this::loadRows);
    }

    private Current loadCurrent(Handle h) {
        Optional<Stored> latest = h.createQuery("SELECT version, created_at, summary, document, document_deflate FROM snapshots ORDER BY version DESC LIMIT 1")
                .map((rs, ctx) -> stored(rs))
                .findOne();
        if (latest.isEmpty()) return new Current(0, null, Config.EMPTY);
        Stored s = latest.get();
        return new Current(s.version(), s.createdAt(), s.config());
    }

    private Stored stored(ResultSet rs) throws SQLException {
        byte[] deflated = rs.getBytes(5);
        byte[] json = deflated != null ? inflate(deflated) : rs.getString(4).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Config config = ConfigCodec.readConfig(openKeys(json));
        return new Stored(rs.getLong(1), Instant.parse(rs.getString(2)), rs.getString(3), config);
    }

    /** A snapshot document as stored: the private keys inside it sealed when a secret key is set. */
    private byte[] document(Config config) {
        byte[] json = ConfigCodec.writeBytes(config);
        if (box == null || config.certificates().isEmpty()) return json;
        ObjectNode tree = parse(new String(json, java.nio.charset.StandardCharsets.UTF_8));
        for (JsonNode c : tree.path("certificates")) {
            JsonNode k = c.get("key_pem");
            if (k != null && k.isTextual() && !SecretBox.sealed(k.asText())) ((ObjectNode) c).put("key_pem", box.seal(k.asText()));
        }
        return tree.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A stored document with its sealed private keys opened (plain documents pass unchanged). */
    private byte[] openKeys(byte[] json) {
        if (!contains(json, SEALED_MARK)) return json;
        ObjectNode tree = parse(new String(json, java.nio.charset.StandardCharsets.UTF_8));
        for (JsonNode c : tree.path("certificates")) {
            JsonNode k = c.get("key_pem");
            if (k != null && k.isTextual()) ((ObjectNode) c).put("key_pem", SecretBox.open(box, k.asText()));
        }
        return tree.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static final byte[] SEALED_MARK = ("\"" + SecretBox.PREFIX).getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    /**
     * Before schema 3 the global settings (trusted_proxies, max_tunnels, ...) had no row; the newest
     * snapshot held them. A database migrated to schema 3 gets its settings row from there, once, so the
     * next write keeps them. Another control plane of the same database may do the same at once: the
     * write lock serialises them, the second finds the row.
     */
    private void seedSettings() {
        writeLock.lock();
        try {
            jdbi.useTransaction(h -> {
                db.lockForWrite(h);
                if (h.createQuery("SELECT COUNT(*) FROM settings").mapTo(Integer.class).one() > 0) return;
                Current c = loadCurrent(h);
                if (c.version() == 0) return;
                h.createUpdate("INSERT INTO settings (id, body) VALUES (1, :body)")
                        .bind("body", GlobalSettings.of(c.config()).toString()).execute();
                LOG.info("database {}: global settings taken from version {} into their own row", db.location(), c.version());
            });
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * With a secret key set, private keys stored in plain text before it was (rows and history) are
     * sealed now, in one transaction, so turning encryption on covers what is already stored.
     */
    private void sealStoredKeys() {
        writeLock.lock();
        try {
            int[] sealed = new int[2];
            jdbi.useTransaction(h -> {
                db.lockForWrite(h);
                List<String[]> plain = h.createQuery("SELECT name, key_pem FROM certificates")
                        .map((rs, ctx) -> new String[]{rs.getString(1), rs.getString(2)}).list();
                for (String[] row : plain) {
                    if (SecretBox.sealed(row[1])) continue;
                    h.createUpdate("UPDATE certificates SET key_pem = ? WHERE name = ?").bind(0, box.seal(row[1])).bind(1, row[0]).execute();
                    sealed[0]++;
                }
                List<Long> versions = h.createQuery("SELECT version FROM snapshots ORDER BY version").mapTo(Long.class).list();
                for (long v : versions) {
                    Stored st = h.createQuery("SELECT version, created_at, summary, document, document_deflate FROM snapshots WHERE version = ?")
                            .bind(0, v).map((rs, ctx) -> stored(rs)).one();
                    if (st.config().certificates().isEmpty()) continue;
                    byte[] raw = h.createQuery("SELECT document_deflate FROM snapshots WHERE version = ?").bind(0, v)
                            .map((rs, ctx) -> rs.getBytes(1)).one();
                    if (raw != null && contains(inflate(raw), SEALED_MARK)) continue;
                    h.createUpdate("UPDATE snapshots SET document = '', document_deflate = ? WHERE version = ?")
                            .bind(0, deflate(document(st.config()))).bind(1, v).execute();
                    sealed[1]++;
                }
            });
            if (sealed[0] + sealed[1] > 0)
                LOG.info("database {}: sealed {} stored private key(s) and the keys in {} snapshot(s) with the secret key", db.location(), sealed[0], sealed[1]);
        } finally {
            writeLock.unlock();
        }
    }

    static byte[] deflate(byte[] json) {
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        try {
            d.setInput(json);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 4 + 64);
            byte[] buf = new byte[8192];
            while (!d.finished()) out.write(buf, 0, d.deflate(buf));
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    static byte[] inflate(byte[] deflated) {
        Inflater i = new Inflater();
        try {
            i.setInput(deflated);
            ByteArrayOutputStream out = new ByteArrayOutputStream(deflated.length * 8);
            byte[] buf = new byte[8192];
            while (!i.finished()) {
                int n = i.inflate(buf);
                if (n == 0 && (i.needsInput() || i.needsDictionary()))
                    throw new IllegalStateException("stored snapshot document is truncated or corrupt");
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalStateException("stored snapshot document is corrupt: " + e.getMessage(), e);
        } finally {
            i.end();
        }
    }

    // ---- rows <-> document ------------------------------------------------------------------

    private Config loadRows(Handle h) {
        Timeouts timeouts = h.createQuery("SELECT connect_ms, read_ms, send_ms FROM timeouts WHERE id = 1")
                .map((rs, ctx) -> new Timeouts(rs.getLong(1), rs.getLong(2), rs.getLong(3)))
                .findOne().orElse(null);
        Map<String, ArrayNode> targets = new HashMap<>();
        h.createQuery("SELECT upstream, address, weight FROM targets ORDER BY upstream, position")
                .map((rs, ctx) -> {
                    ObjectNode t = MAPPER.createObjectNode();
                    t.put("address", rs.getString(2));
                    t.put("weight", rs.getInt(3));
                    targets.computeIfAbsent(rs.getString(1), k -> MAPPER.createArrayNode()).add(t);
                    return 0;
                }).list();
        List<Upstream> upstreams = h.createQuery("SELECT name, body FROM upstreams ORDER BY position")
                .map((rs, ctx) -> {
                    ObjectNode body = parse(rs.getString(2));
                    body.set("targets", targets.getOrDefault(rs.getString(1), MAPPER.createArrayNode()));
                    return treeTo(body, Upstream.class);
                }).list();
        List<Route> routes = h.createQuery("SELECT body FROM routes ORDER BY position")
                .map((rs, ctx) -> treeTo(parse(rs.getString(1)), Route.class)).list();
        List<Certificate> certificates = h.createQuery("SELECT body, key_pem FROM certificates ORDER BY position")
                .map((rs, ctx) -> {
                    ObjectNode body = parse(rs.getString(1));
                    body.put("key_pem", SecretBox.open(box, rs.getString(2)));
                    return treeTo(body, Certificate.class);
                }).list();
        // No row: a database from before schema 3 whose settings were never seeded; the defaults then.
        Config settings = h.createQuery("SELECT body FROM settings WHERE id = 1").mapTo(String.class).findOne()
                .map(GlobalSettings::read).orElse(Config.EMPTY);
        return GlobalSettings.combine(new Config(timeouts, upstreams, routes, certificates), settings);
    }

    /**
     * Brings the rows from {@code before} to {@code after}, touching only what differs. Order
     * matters for the foreign keys: upstreams are written before the routes that use them, and
     * routes are deleted before the upstreams they used.
     */
    private void syncRows(Handle h, Config before, Config after) {
        if (!after.timeouts().equals(before.timeouts()) || h.createQuery("SELECT COUNT(*) FROM timeouts").mapTo(Integer.class).one() == 0) {
            Timeouts t = after.timeouts();
            h.createUpdate("INSERT INTO timeouts (id, connect_ms, read_ms, send_ms) VALUES (1, ?, ?, ?) "
                            + "ON CONFLICT (id) DO UPDATE SET connect_ms = excluded.connect_ms, read_ms = excluded.read_ms, send_ms = excluded.send_ms")
                    .bind(0, t.connectMs()).bind(1, t.readMs()).bind(2, t.sendMs()).execute();
        }
        ObjectNode settings = GlobalSettings.of(after);
        if (!settings.equals(GlobalSettings.of(before)) || h.createQuery("SELECT COUNT(*) FROM settings").mapTo(Integer.class).one() == 0)
            h.createUpdate("INSERT INTO settings (id, body) VALUES (1, :body) ON CONFLICT (id) DO UPDATE SET body = excluded.body")
                    .bind("body", settings.toString()).execute();
        // Name-indexed views: Config's own lookups are linear scans, which would make this quadratic.
        Map<String, Integer> oldUpstreams = positions(before.upstreams().stream().map(Upstream::name).toList());
        Map<String, Upstream> oldUpstreamByName = byName(before.upstreams(), Upstream::name);
        for (int i = 0; i < after.upstreams().size(); i++) {
            Upstream u = after.upstreams().get(i);
            Upstream old = oldUpstreamByName.get(u.name());
            if (old != null && old.equals(u) && oldUpstreams.get(u.name()) == i) continue;
            ObjectNode body = MAPPER.valueToTree(u);
            body.remove("targets");
            h.createUpdate("INSERT INTO upstreams (name, position, body) VALUES (?, ?, ?) "
                            + "ON CONFLICT (name) DO UPDATE SET position = excluded.position, body = excluded.body")
                    .bind(0, u.name()).bind(1, i).bind(2, body.toString()).execute();
            if (old == null || !old.targets().equals(u.targets())) {
                h.createUpdate("DELETE FROM targets WHERE upstream = ?").bind(0, u.name()).execute();
                List<Target> ts = u.targets();
                for (int j = 0; j < ts.size(); j++) {
                    h.createUpdate("INSERT INTO targets (upstream, address, weight, position) VALUES (?, ?, ?, ?)")
                            .bind(0, u.name()).bind(1, ts.get(j).address()).bind(2, ts.get(j).weight()).bind(3, j).execute();
                }
            }
        }
        Map<String, Integer> oldRoutes = positions(before.routes().stream().map(Route::name).toList());
        Map<String, Route> oldRouteByName = byName(before.routes(), Route::name);
        for (int i = 0; i < after.routes().size(); i++) {
            Route r = after.routes().get(i);
            if (r.equals(oldRouteByName.get(r.name())) && oldRoutes.get(r.name()) == i) continue;
            h.createUpdate("INSERT INTO routes (name, position, upstream, body) VALUES (?, ?, ?, ?) "
                            + "ON CONFLICT (name) DO UPDATE SET position = excluded.position, upstream = excluded.upstream, body = excluded.body")
                    .bind(0, r.name()).bind(1, i).bind(2, r.upstream()).bind(3, ConfigCodec.write(r)).execute();
        }
        Map<String, Route> newRouteByName = byName(after.routes(), Route::name);
        Map<String, Upstream> newUpstreamByName = byName(after.upstreams(), Upstream::name);
        for (Route r : before.routes())
            if (!newRouteByName.containsKey(r.name())) h.createUpdate("DELETE FROM routes WHERE name = ?").bind(0, r.name()).execute();
        for (Upstream u : before.upstreams())
            if (!newUpstreamByName.containsKey(u.name())) h.createUpdate("DELETE FROM upstreams WHERE name = ?").bind(0, u.name()).execute();

        Map<String, Integer> oldCerts = positions(before.certificates().stream().map(Certificate::name).toList());
        Map<String, Certificate> oldCertByName = byName(before.certificates(), Certificate::name);
        for (int i = 0; i < after.certificates().size(); i++) {
            Certificate c = after.certificates().get(i);
            if (c.equals(oldCertByName.get(c.name())) && oldCerts.get(c.name()) == i) continue;
            if (c.keyPem() == null) throw new IllegalStateException("certificate " + c.name() + " has no key (the API must supply or keep one)");
            CertificateInspector.Details d = CertificateInspector.describe(c.certPem());
            h.createUpdate("INSERT INTO certificates (name, position, body, key_pem, not_after, fingerprint_sha256) VALUES (?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (name) DO UPDATE SET position = excluded.position, body = excluded.body, key_pem = excluded.key_pem, "
                            + "not_after = excluded.not_after, fingerprint_sha256 = excluded.fingerprint_sha256")
                    .bind(0, c.name()).bind(1, i).bind(2, ConfigCodec.write(c.redacted())).bind(3, box == null ? c.keyPem() : box.seal(c.keyPem()))
                    .bind(4, d.notAfter().toString()).bind(5, d.fingerprintSha256()).execute();
        }
        Map<String, Certificate> newCertByName = byName(after.certificates(), Certificate::name);
        for (Certificate c : before.certificates())
            if (!newCertByName.containsKey(c.name())) h.createUpdate("DELETE FROM certificates WHERE name = ?").bind(0, c.name()).execute();
    }

    private static <T> Map<String, T> byName(List<T> list, java.util.function.Function<T, String> name) {
        Map<String, T> m = new HashMap<>();
        for (T t : list) m.put(name.apply(t), t);
        return m;
    }

    private static Map<String, Integer> positions(List<String> names) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < names.size(); i++) m.put(names.get(i), i);
        return m;
    }

    private static ObjectNode parse(String json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (!(n instanceof ObjectNode o)) throw new IllegalStateException("stored row is not a JSON object: " + json);
            return o;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T treeTo(ObjectNode n, Class<T> type) {
        return ConfigCodec.read(n.toString(), type);
    }
}
