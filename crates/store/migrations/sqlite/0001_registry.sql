-- Registry of supply and demand. Each table keeps typed columns for keys and filters, and the full
-- canonical record as JSON in `doc` (the one form importers, exporters and engines read).
CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    natural_key   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    uscc          TEXT,
    region_code   TEXT,
    doc           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind);
CREATE INDEX organizations_uscc ON organizations (uscc);
CREATE INDEX organizations_region ON organizations (region_code);

CREATE TABLE persons (
    id            INTEGER PRIMARY KEY,
    natural_key   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    affiliation   TEXT,
    region_code   TEXT,
    doc           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX persons_kind ON persons (kind);

CREATE TABLE outcomes (
    id            INTEGER PRIMARY KEY,
    natural_key   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    lang          TEXT NOT NULL,
    year          INTEGER,
    trl           INTEGER,
    doi           TEXT,
    patent_no     TEXT,
    owner_uscc    TEXT,
    source        TEXT,
    doc           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX outcomes_kind ON outcomes (kind);
CREATE INDEX outcomes_year ON outcomes (year);
CREATE INDEX outcomes_trl ON outcomes (trl);

CREATE TABLE demands (
    id              INTEGER PRIMARY KEY,
    natural_key     TEXT NOT NULL,
    owner           TEXT NOT NULL,
    owner_uscc      TEXT,
    title           TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    status          TEXT NOT NULL,
    deadline        TEXT,
    budget_min_fen  INTEGER,
    budget_max_fen  INTEGER,
    region_code     TEXT,
    doc             TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX demands_owner_uscc ON demands (owner_uscc);
CREATE INDEX demands_status ON demands (status);

-- Every identity key of every record (DOI, patent number, USCC, normalised title + year …), so a
-- re-import finds the stored copy by whichever key it carries.
CREATE TABLE record_keys (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    record_id  INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX record_keys_record ON record_keys (kind, record_id);

-- Changes for the indexers to follow (derived indexes are rebuilt from the store and kept current from here).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    op          TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Who changed what, when.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    record_id   INTEGER,
    detail      TEXT
);

-- One row per import run, written when the run ends.
CREATE TABLE import_runs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    file         TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    inserted     INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    actor        TEXT NOT NULL
);
