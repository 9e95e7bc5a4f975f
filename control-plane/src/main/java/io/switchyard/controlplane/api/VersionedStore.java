package io.switchyard.controlplane.api;

import io.javalin.http.Context;
import io.switchyard.controlplane.store.ConfigStore;

/**
 * The store as handlers use it: every read and every write tags its answer with the version it saw or
 * made ({@code X-Config-Version}), so the header and the body always come from the same state.
 * Thread-safe, as the store is.
 */
final class VersionedStore {
    static final String VERSION_HEADER = "X-Config-Version";

    private final ConfigStore store;

    VersionedStore(ConfigStore store) {
        this.store = store;
    }

    /** One consistent read: the version header and the body come from the same published state. */
    ConfigStore.Current read(Context ctx) {
        ConfigStore.Current c = store.current();
        ctx.header(VERSION_HEADER, Long.toString(c.version()));
        return c;
    }

    /** One write through {@link ConfigStore#write}: its checks, its change and its version are one transaction. */
    ConfigStore.Written write(Context ctx, String note, ConfigStore.Change change) {
        ConfigStore.Written w = store.write(note, change);
        ctx.header(VERSION_HEADER, Long.toString(w.version()));
        return w;
    }

    /** What a write answers: the version it made, or the current one when it changed nothing. */
    ConfigStore.Current after(ConfigStore.Written w) {
        return w.created() ? new ConfigStore.Current(w.version(), w.createdAt(), w.after()) : store.current();
    }

    ConfigStore store() {
        return store;
    }
}
