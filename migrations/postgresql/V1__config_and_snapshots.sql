-- Switchyard control plane on PostgreSQL, schema 1: the same tables as SQLite's schemas 1 and 2
-- (see migrations/sqlite), in PostgreSQL's types. The current configuration lives in one row per
-- entity; every write also stores the whole resulting document as a numbered snapshot in the same
-- transaction. Documents are stored deflated in document_deflate, document is left empty (it is
-- kept so both databases answer the same queries).

CREATE TABLE snapshots (
    version          BIGINT  PRIMARY KEY CHECK (version > 0),
    created_at       TEXT    NOT NULL,        -- ISO-8601 UTC instant
    summary          TEXT    NOT NULL,        -- one line: what this version changed
    document         TEXT    NOT NULL,
    document_deflate BYTEA
);

CREATE TABLE timeouts (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    connect_ms BIGINT  NOT NULL CHECK (connect_ms > 0),
    read_ms    BIGINT  NOT NULL CHECK (read_ms > 0),
    send_ms    BIGINT  NOT NULL CHECK (send_ms > 0)
);

CREATE TABLE upstreams (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL,
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
    body     TEXT    NOT NULL
);
CREATE INDEX routes_by_upstream ON routes (upstream);

CREATE TABLE certificates (
    name               TEXT    PRIMARY KEY,
    position           INTEGER NOT NULL,
    body               TEXT    NOT NULL,      -- certificate JSON without "key_pem"
    key_pem            TEXT    NOT NULL,      -- never returned by the API
    not_after          TEXT    NOT NULL,
    fingerprint_sha256 TEXT    NOT NULL
);
