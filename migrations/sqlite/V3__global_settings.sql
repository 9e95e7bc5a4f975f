-- The document's global settings other than the timeouts (trusted_proxies, client_body_timeout_ms,
-- max_connections, max_tunnels, and whatever global field the model gains later) had no row, so a
-- write that rebuilt the current state from the rows dropped them. They live here now, in one row:
-- the document's JSON without timeouts, upstreams, routes and certificates, fields at their defaults
-- left out. Written in the same transaction as every version that changes them. A database from
-- before this schema gets the row from its newest snapshot when the control plane starts.

CREATE TABLE settings (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT    NOT NULL                     -- JSON object, e.g. {"max_tunnels":100}
);
