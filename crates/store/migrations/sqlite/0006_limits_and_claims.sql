-- Failed sign-in counters per key (`user:<name>` or `addr:<ip>`), kept in the store so a restart does
-- not clear a lockout and several server instances share one count. A counter is raised atomically
-- (INSERT … ON CONFLICT DO UPDATE … RETURNING) before the password is checked, so concurrent guesses
-- cannot all pass a check made before any of them failed. Fixed windows: `window_start` is when the
-- window opened (Unix seconds); a counter whose window has passed starts again at 1.
CREATE TABLE login_limits (
    key           TEXT    PRIMARY KEY,
    failures      BIGINT  NOT NULL,
    window_start  BIGINT  NOT NULL
);

-- A claim that a registered record belongs to the claimant's organization (someone else registered
-- it first): an operator reviews it. `status`: open, accepted, rejected.
CREATE TABLE claims (
    id               INTEGER PRIMARY KEY,
    record_kind      TEXT    NOT NULL,
    record_id        INTEGER NOT NULL,
    claimant_user    INTEGER NOT NULL,
    claimant_org     INTEGER,
    note             TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'open',
    created_at       INTEGER NOT NULL,
    decided_by       TEXT,
    decided_at       INTEGER
);
CREATE INDEX claims_status ON claims (status);
