-- Chain-node assignments (derived: recomputed from records and the taxonomy) and manual overrides
-- (kept: a person's decision wins over every rule). chain_state holds the taxonomy fingerprint and
-- the outbox position the assignments reflect.
CREATE TABLE chain_assignments (
    record_kind  TEXT    NOT NULL,
    record_id    INTEGER NOT NULL,
    node         TEXT    NOT NULL,
    confidence   REAL    NOT NULL,
    method       TEXT    NOT NULL,
    evidence     TEXT    NOT NULL,
    PRIMARY KEY (record_kind, record_id, node)
);
CREATE INDEX chain_assignments_node ON chain_assignments (node);

CREATE TABLE chain_overrides (
    record_kind  TEXT    NOT NULL,
    record_id    INTEGER NOT NULL,
    node         TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('add', 'remove')),
    note         TEXT    NOT NULL DEFAULT '',
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (record_kind, record_id, node)
);

CREATE TABLE chain_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
