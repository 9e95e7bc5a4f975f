package io.switchyard.controlplane.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigMapper;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import io.switchyard.controlplane.certificate.CertificateInspector;
import io.switchyard.controlplane.snapshot.ConfigDiff;
import io.switchyard.controlplane.snapshot.GlobalSettings;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
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
    private static final ObjectMapper MAPPER = ConfigMapper.mapper();
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

    /** The change a write makes, run inside its transaction. */
    @FunctionalInterface
    public interface Change {
        /**
         * @param version the version {@code before} is (the newest committed, as this transaction sees it;
         *                0 for a fresh database): what {@code If-Match} on a version is checked against
         * @param before  the current configuration, private keys included
         * @return the configuration to commit; {@code before} itself (or an equal one) commits nothing
         */
        Config apply(long version, Config before);
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

    /** The database's kind, as {@code --db} names it: sqlite or postgresql. */
    public String databaseKind() {
        return db.dialect() == Database.Dialect.POSTGRESQL ? "postgresql" : "sqlite";
    }

    /** Whether the database answers a trivial query within {@code limitMs}; see {@link Database#check}. */
    public void checkDatabase(int limitMs) throws java.sql.SQLException {
        db.check(limitMs);
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
    public Written write(String note, Change change) {
        writeLock.lock();
        try {
            Written w = jdbi.inTransaction(h -> {
                db.lockForWrite(h);
                long latest = latestVersion(h);
                if (latest > current.version()) advance(loadCurrent(h));
                // The rows as this process last wrote them are still the rows unless another
                // process wrote since (the version tells); reusing them saves parsing every row.
                Config before = latest == rowsVersion && rowsCache != null ? rowsCache : loadRows(h);
                Config after = change.apply(latest, before);
                if (after.equals(before)) return new Written(latest, false, before, null);
                syncRows(h, before, after);
                long version = latest + 1;
                Instant now = Instant.now();
                String summary = ConfigDiff.between(before, after).summary();
                if (note != null) summary = note + ": " + summary;
                h.createUpdate("INSERT INTO snapshots (version, created_at, summary, document, document_deflate) "
                                + "VALUES (:version, :createdAt, :summary, '', :document)")
                        .bind("version", version).bind("createdAt", now.toString()).bind("summary", summary)
                        .bind("document", deflate(document(after)))
                        .execute();
                // History is bounded; the version just written is always kept.
                if (version > keepVersions)
                    h.createUpdate("DELETE FROM snapshots WHERE version <= :oldest").bind("oldest", version - keepVersions).execute();
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
            long latest = jdbi.withHandle(ConfigStore::latestVersion);
            if (latest > current.version()) advance(jdbi.withHandle(this::loadCurrent));
            return current.version();
        } finally {
            writeLock.unlock();
        }
    }

    private static long latestVersion(Handle h) {
        return h.createQuery("SELECT COALESCE(MAX(version), 0) FROM snapshots").mapTo(Long.class).one();
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
        return jdbi.withHandle(h -> snapshot(h, version));
    }

    private Optional<Stored> snapshot(Handle h, long version) {
        return h.createQuery("SELECT " + SNAPSHOT_COLUMNS + " FROM snapshots WHERE version = :version")
                .bind("version", version)
                .map((rs, ctx) -> stored(rs))
                .findOne();
    }

    /** History newest first, versions below {@code before} (exclusive), at most {@code limit}. */
    public List<Entry> history(long before, int limit) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT version, created_at, summary FROM snapshots WHERE version < :before ORDER BY version DESC LIMIT :limit")
                .bind("before", before).bind("limit", limit)
                .map((rs, ctx) -> new Entry(rs.getLong(1), Instant.parse(rs.getString(2)), rs.getString(3)))
                .list());
    }

    /** The configuration as the rows hold it (for consistency checks; normally equal to {@link #current()}). */
    public Config rows() {
        return jdbi.inTransaction(this::loadRows);
    }

    private Current loadCurrent(Handle h) {
        Optional<Stored> latest = h.createQuery("SELECT " + SNAPSHOT_COLUMNS + " FROM snapshots ORDER BY version DESC LIMIT 1")
                .map((rs, ctx) -> stored(rs))
                .findOne();
        if (latest.isEmpty()) return new Current(0, null, Config.EMPTY);
        Stored s = latest.get();
        return new Current(s.version(), s.createdAt(), s.config());
    }

    /** The columns {@link #stored} reads, in its order. */
    private static final String SNAPSHOT_COLUMNS = "version, created_at, summary, document, document_deflate";

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
                PreparedBatch keys = h.prepareBatch("UPDATE certificates SET key_pem = :key WHERE name = :name");
                for (String[] row : h.createQuery("SELECT name, key_pem FROM certificates")
                        .map((rs, ctx) -> new String[]{rs.getString(1), rs.getString(2)}).list())
                    if (!SecretBox.sealed(row[1])) keys.bind("key", box.seal(row[1])).bind("name", row[0]).add();
                sealed[0] = execute(keys);
                List<Long> versions = h.createQuery("SELECT version FROM snapshots ORDER BY version").mapTo(Long.class).list();
                String update = "UPDATE snapshots SET document = '', document_deflate = :document WHERE version = :version";
                PreparedBatch documents = h.prepareBatch(update);
                for (long v : versions) {
                    // In slices, so a long history is never all in memory at once.
                    if (documents.size() == 64) {
                        sealed[1] += execute(documents);
                        documents = h.prepareBatch(update);
                    }
                    Stored st = snapshot(h, v).orElseThrow();
                    if (st.config().certificates().isEmpty()) continue;
                    byte[] raw = h.createQuery("SELECT document_deflate FROM snapshots WHERE version = :version").bind("version", v)
                            .map((rs, ctx) -> rs.getBytes(1)).one();
                    if (raw != null && contains(inflate(raw), SEALED_MARK)) continue;
                    documents.bind("document", deflate(document(st.config()))).bind("version", v).add();
                }
                sealed[1] += execute(documents);
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
        if (!after.timeouts().equals(before.timeouts()) || isEmpty(h, "timeouts")) {
            Timeouts t = after.timeouts();
            h.createUpdate("INSERT INTO timeouts (id, connect_ms, read_ms, send_ms) VALUES (1, :connect, :read, :send) "
                            + "ON CONFLICT (id) DO UPDATE SET connect_ms = excluded.connect_ms, read_ms = excluded.read_ms, send_ms = excluded.send_ms")
                    .bind("connect", t.connectMs()).bind("read", t.readMs()).bind("send", t.sendMs()).execute();
        }
        ObjectNode settings = GlobalSettings.of(after);
        if (!settings.equals(GlobalSettings.of(before)) || isEmpty(h, "settings"))
            h.createUpdate("INSERT INTO settings (id, body) VALUES (1, :body) ON CONFLICT (id) DO UPDATE SET body = excluded.body")
                    .bind("body", settings.toString()).execute();

        Rows<Upstream> upstreams = Rows.between(before.upstreams(), after.upstreams(), Upstream::name);
        Rows<Route> routes = Rows.between(before.routes(), after.routes(), Route::name);
        Rows<Certificate> certificates = Rows.between(before.certificates(), after.certificates(), Certificate::name);

        upstreams.upsert(h, "upstreams", "body", (b, u) -> {
            ObjectNode body = MAPPER.valueToTree(u);
            body.remove("targets");
            b.bind("body", body.toString());
        });
        // An upstream's targets are rewritten whole when they changed (positions are their order).
        Map<String, Upstream> oldUpstreams = byName(before.upstreams(), Upstream::name);
        List<Upstream> retargeted = upstreams.written().stream().filter(u -> {
            Upstream old = oldUpstreams.get(u.name());
            return old == null || !old.targets().equals(u.targets());
        }).toList();
        PreparedBatch clear = h.prepareBatch("DELETE FROM targets WHERE upstream = :upstream");
        PreparedBatch insert = h.prepareBatch("INSERT INTO targets (upstream, address, weight, position) VALUES (:upstream, :address, :weight, :position)");
        for (Upstream u : retargeted) {
            clear.bind("upstream", u.name()).add();
            for (int j = 0; j < u.targets().size(); j++) {
                Target t = u.targets().get(j);
                insert.bind("upstream", u.name()).bind("address", t.address()).bind("weight", t.weight()).bind("position", j).add();
            }
        }
        execute(clear);
        execute(insert);

        routes.upsert(h, "routes", "upstream, body", (b, r) -> b.bind("upstream", r.upstream()).bind("body", ConfigCodec.write(r)));
        routes.delete(h, "routes");
        upstreams.delete(h, "upstreams");

        certificates.upsert(h, "certificates", "body, key_pem, not_after, fingerprint_sha256", (b, c) -> {
            if (c.keyPem() == null) throw new IllegalStateException("certificate " + c.name() + " has no key (the API must supply or keep one)");
            CertificateInspector.Details d = CertificateInspector.describe(c.certPem());
            b.bind("body", ConfigCodec.write(c.redacted())).bind("key_pem", box == null ? c.keyPem() : box.seal(c.keyPem()))
                    .bind("not_after", d.notAfter().toString()).bind("fingerprint_sha256", d.fingerprintSha256());
        });
        certificates.delete(h, "certificates");
    }

    /**
     * How the rows of one named collection (a table keyed by {@code name}, ordered by {@code position})
     * go from one list to the next: the entities new, changed or moved, and the names gone.
     */
    private record Rows<T>(List<T> written, List<Integer> positions, List<String> removed, Function<T, String> name) {
        static <T> Rows<T> between(List<T> before, List<T> after, Function<T, String> name) {
            // Name-indexed views: Config's own lookups are linear scans, which would make this quadratic.
            Map<String, Integer> oldPosition = new HashMap<>();
            for (int i = 0; i < before.size(); i++) oldPosition.put(name.apply(before.get(i)), i);
            Set<String> kept = new HashSet<>();
            List<T> written = new ArrayList<>();
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < after.size(); i++) {
                T t = after.get(i);
                String n = name.apply(t);
                kept.add(n);
                Integer old = oldPosition.get(n);
                if (old != null && old == i && before.get(old).equals(t)) continue;
                written.add(t);
                positions.add(i);
            }
            List<String> removed = new ArrayList<>();
            for (T t : before) if (!kept.contains(name.apply(t))) removed.add(name.apply(t));
            return new Rows<>(written, positions, removed, name);
        }

        /**
         * Inserts or updates the written entities: {@code name} and {@code position} plus {@code columns},
         * each bound by {@code bind} under its own column name.
         */
        void upsert(Handle h, String table, String columns, BiConsumer<PreparedBatch, T> bind) {
            List<String> cols = Arrays.stream(columns.split(",")).map(String::trim).toList();
            String sql = "INSERT INTO " + table + " (name, position, " + String.join(", ", cols) + ") VALUES (:name, :position, "
                    + cols.stream().map(c -> ":" + c).collect(Collectors.joining(", ")) + ") ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                    + cols.stream().map(c -> c + " = excluded." + c).collect(Collectors.joining(", "));
            PreparedBatch batch = h.prepareBatch(sql);
            for (int i = 0; i < written.size(); i++) {
                T t = written.get(i);
                bind.accept(batch.bind("name", name.apply(t)).bind("position", positions.get(i)), t);
                batch.add();
            }
            execute(batch);
        }

        void delete(Handle h, String table) {
            PreparedBatch batch = h.prepareBatch("DELETE FROM " + table + " WHERE name = :name");
            for (String n : removed) batch.bind("name", n).add();
            execute(batch);
        }
    }

    /** Runs {@code batch} unless it is empty; the number of rows it held. */
    private static int execute(PreparedBatch batch) {
        int n = batch.size();
        if (n > 0) batch.execute();
        return n;
    }

    private static boolean isEmpty(Handle h, String table) {
        return h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Integer.class).one() == 0;
    }

    private static <T> Map<String, T> byName(List<T> list, Function<T, String> name) {
        Map<String, T> m = new HashMap<>();
        for (T t : list) m.put(name.apply(t), t);
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
