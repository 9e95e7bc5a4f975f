-- Switchyard control plane, schema 1.
-- The current configuration lives in one row per entity (upstreams, targets, routes,
-- certificates, the global timeouts). Every write also stores the whole resulting document as
-- a numbered snapshot in the same transaction, so history, rollback and diffs never need to
-- replay anything. Entity bodies are the contract's JSON (snake_case) without the parts kept in
-- their own columns or tables, so a field added to the model later needs no migration.

CREATE TABLE snapshots (
    version    INTEGER PRIMARY KEY CHECK (version > 0),
    created_at TEXT    NOT NULL,              -- ISO-8601 UTC instant
    summary    TEXT    NOT NULL,              -- one line: what this version changed
    document   TEXT    NOT NULL               -- the full config JSON, private keys included (nodes need them)
);

CREATE TABLE timeouts (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    connect_ms INTEGER NOT NULL CHECK (connect_ms > 0),
    read_ms    INTEGER NOT NULL CHECK (read_ms > 0),
    send_ms    INTEGER NOT NULL CHECK (send_ms > 0)
);

CREATE TABLE upstreams (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL,                -- order in the document
    body     TEXT    NOT NULL                 -- upstream JSON without "targets"
);

CREATE TABLE targets (
    upstream TEXT    NOT NULL REFERENCES upstreams (name) ON DELETE CASCADE,
    address  TEXT    NOT NULL,
    weight   INTEGER NOT NULL CHECK (weight > 0),
    position INTEGER NOT NULL,
    PRIMARY KEY (upstream, address)
);

CREATE TABLE routes (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL,
    -- No ON DELETE action: the database itself refuses to drop an upstream a route still uses.
    upstream TEXT    NOT NULL REFERENCES upstreams (name),
    body     TEXT    NOT NULL                 -- route JSON
);
CREATE INDEX routes_by_upstream ON routes (upstream);

CREATE TABLE certificates (
    name               TEXT    PRIMARY KEY,
    position           INTEGER NOT NULL,
    body               TEXT    NOT NULL,      -- certificate JSON without "key_pem"
    key_pem            TEXT    NOT NULL,      -- never returned by the API
    not_after          TEXT    NOT NULL,      -- ISO-8601 UTC, for expiry queries
    fingerprint_sha256 TEXT    NOT NULL
);
