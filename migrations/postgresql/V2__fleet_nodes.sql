-- Several control planes share one PostgreSQL database; each holds the fleet connections of its own
-- nodes. So that every control plane's fleet view and convergence waits see every node, each one
-- writes the state of the nodes connected to it here. A row belongs to the connection that last
-- claimed it (a node that fails over is claimed by its new control plane); updated_at is refreshed
-- every few seconds while the connection lives, so rows of a control plane that died go stale.

CREATE TABLE fleet_nodes (
    node_id          TEXT        PRIMARY KEY,
    control_plane    TEXT        NOT NULL,    -- instance id of the control plane holding the connection
    connection       TEXT,                    -- id of the live connection; NULL once it closed
    address          TEXT,
    software_version TEXT,
    hello            BOOLEAN     NOT NULL,
    applied_version  BIGINT,
    nacked_version   BIGINT,
    open_tunnels     BIGINT,
    error            TEXT,
    last_seen        TEXT,                    -- ISO-8601 UTC instant
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
