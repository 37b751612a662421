-- The chain 实验室—中试线—生产线: the pilot-platform and PoC-centre resource library, equipment and
-- its booking calendar, PoC seeds and their applications to a PoC centre, and patent filings on the
-- IP fast track. Times are Unix seconds (UTC); money is integer fen; `detail` columns are JSON.

-- A library entry for a registry organization that is a PoC centre, pilot platform or pilot base
-- (§6 of policy-rules.md). Its staff are the users of that organization.
CREATE TABLE platforms (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER  NOT NULL UNIQUE,
    type               TEXT    NOT NULL,
    form               TEXT    NOT NULL,
    level              TEXT    NOT NULL,
    field              TEXT    NOT NULL DEFAULT '',
    cluster            TEXT    NOT NULL DEFAULT '',
    region_code        TEXT,
    trl_in             INTEGER  NOT NULL,
    trl_out            INTEGER  NOT NULL,
    detail             TEXT    NOT NULL,
    search_text        TEXT    NOT NULL,
    version            INTEGER  NOT NULL DEFAULT 1,
    created_at         INTEGER  NOT NULL,
    updated_at         INTEGER  NOT NULL,
    CHECK (trl_in BETWEEN 1 AND 9 AND trl_out BETWEEN trl_in AND 9)
);
CREATE INDEX platforms_type ON platforms (type);

-- Bookable equipment of a platform: opening hours (`24x7` or weekly windows, Beijing time) and
-- `detail` (capability parameters as name/value/unit, capacity, batch size, fee).
CREATE TABLE equipment (
    id            INTEGER PRIMARY KEY,
    platform_id   INTEGER  NOT NULL REFERENCES platforms (id),
    name          TEXT    NOT NULL,
    model         TEXT    NOT NULL DEFAULT '',
    hours         TEXT    NOT NULL DEFAULT '24x7',
    auto_confirm  INTEGER  NOT NULL DEFAULT 0,
    active        INTEGER  NOT NULL DEFAULT 1,
    detail        TEXT    NOT NULL,
    search_text   TEXT    NOT NULL,
    created_at    INTEGER  NOT NULL,
    updated_at    INTEGER  NOT NULL,
    UNIQUE (platform_id, name)
);

-- Bookings and maintenance blocks. A period is [starts_at, ends_at). `requested` and `proposed`
-- hold their period until `hold_until`; `confirmed` and `blocked` (maintenance) hold it for good;
-- `waiting` is in the queue behind a held period and holds nothing.
CREATE TABLE bookings (
    id              INTEGER PRIMARY KEY,
    equipment_id    INTEGER  NOT NULL REFERENCES equipment (id),
    platform_id     INTEGER  NOT NULL,
    status          TEXT    NOT NULL,
    starts_at       INTEGER  NOT NULL,
    ends_at         INTEGER  NOT NULL,
    requester_org   INTEGER,
    requester_user  INTEGER,
    purpose         TEXT    NOT NULL DEFAULT '',
    engagement_id   INTEGER,
    challenge_id    INTEGER,
    note            TEXT    NOT NULL DEFAULT '',
    hold_until      INTEGER,
    version         INTEGER  NOT NULL DEFAULT 1,
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX bookings_equipment ON bookings (equipment_id, starts_at);
CREATE INDEX bookings_requester ON bookings (requester_org, status);
CREATE INDEX bookings_platform ON bookings (platform_id, status);

-- No double booking, whoever writes: two holding bookings of one equipment never share a moment.
-- SQLite has no exclusion constraint: these triggers refuse the row inside the writing transaction
-- (and writers are serialized: BEGIN IMMEDIATE).
CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
WHEN NEW.status IN ('requested', 'proposed', 'confirmed', 'blocked') AND EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.equipment_id = NEW.equipment_id
      AND b.status IN ('requested', 'proposed', 'confirmed', 'blocked')
      AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap');
END;

CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE OF status, starts_at, ends_at, equipment_id ON bookings
WHEN NEW.status IN ('requested', 'proposed', 'confirmed', 'blocked') AND EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.id <> NEW.id
      AND b.equipment_id = NEW.equipment_id
      AND b.status IN ('requested', 'proposed', 'confirmed', 'blocked')
      AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap');
END;

CREATE TABLE booking_events (
    id            INTEGER PRIMARY KEY,
    booking_id    INTEGER  NOT NULL,
    at            INTEGER  NOT NULL,
    actor_user    INTEGER,
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    starts_at     INTEGER  NOT NULL,
    ends_at       INTEGER  NOT NULL,
    note          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

-- Outcomes officials selected as PoC seeds, with the score they had when selected.
CREATE TABLE poc_seeds (
    outcome_id    INTEGER  PRIMARY KEY,
    selected_by   INTEGER  NOT NULL,
    selected_at   INTEGER  NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    snapshot      TEXT    NOT NULL
);

-- A selected seed sent to a PoC centre: sent → accepted | declined, or withdrawn.
CREATE TABLE poc_applications (
    id            INTEGER PRIMARY KEY,
    outcome_id    INTEGER  NOT NULL,
    platform_id   INTEGER  NOT NULL,
    status        TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    answer        TEXT    NOT NULL DEFAULT '',
    sent_by       INTEGER  NOT NULL,
    sent_at       INTEGER  NOT NULL,
    decided_by    INTEGER,
    decided_at    INTEGER,
    version       INTEGER  NOT NULL DEFAULT 1
);
CREATE INDEX poc_applications_platform ON poc_applications (platform_id, status);
CREATE UNIQUE INDEX poc_applications_open ON poc_applications (outcome_id, platform_id)
    WHERE status IN ('sent', 'accepted');

-- Patent applications followed on the IP fast track (知识产权快速预审):
-- filed → pre_examined → fast_track → granted | rejected.
CREATE TABLE ip_filings (
    id               INTEGER PRIMARY KEY,
    application_no   TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    ipc              TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    outcome_id       INTEGER,
    applicant_org    INTEGER,
    filed_on         TEXT    NOT NULL,
    stage            TEXT    NOT NULL,
    stage_on         TEXT    NOT NULL,
    fast_track       INTEGER  NOT NULL DEFAULT 0,
    granted_on       TEXT,
    claims           INTEGER  NOT NULL DEFAULT 0,
    version          INTEGER  NOT NULL DEFAULT 1,
    created_by       INTEGER,
    created_at       INTEGER  NOT NULL
);
CREATE INDEX ip_filings_outcome ON ip_filings (outcome_id);
-- One record of a number per applicant: recording another's number blocks nobody.
CREATE UNIQUE INDEX ip_filings_number ON ip_filings (applicant_org, application_no);

CREATE TABLE ip_filing_events (
    id            INTEGER PRIMARY KEY,
    filing_id     INTEGER  NOT NULL,
    on_date       TEXT    NOT NULL,
    from_stage    TEXT,
    to_stage      TEXT    NOT NULL,
    actor_user    INTEGER,
    at            INTEGER  NOT NULL
);

ALTER TABLE notifications ADD COLUMN booking_id INTEGER;
ALTER TABLE notifications ADD COLUMN poc_application_id INTEGER;
