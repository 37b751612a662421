-- Engagements (对接): a demand (or none) + one supply item + the two organizations + optionally a
-- broker, moved through the stages of data/workflows/engagement.toml. `version` is raised by every
-- move: a move names the version it saw, so of two concurrent moves one wins and the other is refused.
-- Times are Unix seconds (UTC).
CREATE TABLE engagements (
    id               INTEGER PRIMARY KEY,
    purpose          TEXT    NOT NULL,
    demand_id        INTEGER,
    item_kind        TEXT    NOT NULL,
    item_id          INTEGER NOT NULL,
    seeker_org       INTEGER NOT NULL,
    provider_org     INTEGER NOT NULL,
    opened_by        INTEGER NOT NULL,
    opener_side      TEXT    NOT NULL,
    seeker_contact   INTEGER,
    provider_contact INTEGER,
    broker_user      INTEGER,
    broker_wanted    INTEGER NOT NULL DEFAULT 0,
    expert_id        INTEGER,
    stage            TEXT    NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    furthest_grade   INTEGER,
    close_reason     TEXT,
    evaluation_kind  TEXT,
    evaluation_org   INTEGER,
    message          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    stage_at         INTEGER NOT NULL,
    reminded_at      INTEGER
);
CREATE INDEX engagements_seeker ON engagements (seeker_org);
CREATE INDEX engagements_provider ON engagements (provider_org);
CREATE INDEX engagements_broker ON engagements (broker_user);
CREATE INDEX engagements_demand ON engagements (demand_id);
CREATE INDEX engagements_stage ON engagements (stage, stage_at);

-- Every move of an engagement, its timeline and audit: each row holds the SHA-256 of the previous
-- row of the same engagement and of its own content, so an edited or deleted row breaks the chain.
CREATE TABLE engagement_events (
    id             INTEGER PRIMARY KEY,
    engagement_id  INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    actor_user     INTEGER,
    actor_party    TEXT    NOT NULL,
    from_stage     TEXT,
    to_stage       TEXT    NOT NULL,
    reason_code    TEXT,
    note           TEXT    NOT NULL DEFAULT '',
    detail         TEXT    NOT NULL DEFAULT '{}',
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE INDEX engagement_events_of ON engagement_events (engagement_id, id);

-- NDA texts: the platform default (demand_id NULL) and a demand's own override, each versioned.
CREATE TABLE nda_texts (
    id          INTEGER PRIMARY KEY,
    demand_id   INTEGER,
    version     INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX nda_texts_version ON nda_texts (COALESCE(demand_id, 0), version);

-- A signature grants exactly that organization access to that demand until an operator revokes it.
CREATE TABLE nda_signatures (
    id             INTEGER PRIMARY KEY,
    demand_id      INTEGER NOT NULL,
    org_id         INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    engagement_id  INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    text_version   INTEGER NOT NULL,
    text_sha256    TEXT    NOT NULL,
    revoked_at     INTEGER,
    revoked_by     TEXT
);
CREATE INDEX nda_signatures_org ON nda_signatures (org_id, demand_id);

-- Technology contracts (技术合同) recorded at the `contracted` stage; amounts in integer fen.
CREATE TABLE contracts (
    id                INTEGER PRIMARY KEY,
    engagement_id     INTEGER NOT NULL UNIQUE,
    contract_type     TEXT    NOT NULL,
    amount_fen        INTEGER NOT NULL,
    seller_org        INTEGER NOT NULL,
    buyer_org         INTEGER NOT NULL,
    ip_ownership      TEXT    NOT NULL,
    signed_on         TEXT    NOT NULL,
    registration_no   TEXT,
    registered_on     TEXT,
    buyer_local       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);

-- Talent placements (科技副总 / 产业教授) recorded instead of a contract.
CREATE TABLE placements (
    engagement_id  INTEGER PRIMARY KEY,
    expert_id      INTEGER NOT NULL,
    post           TEXT    NOT NULL,
    start_on       TEXT    NOT NULL,
    end_on         TEXT,
    days_per_month INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);

-- The in-app inbox: one row per recipient. What a notification says is rendered when read, from
-- these facts and the reader's rights, so no stored text can carry what the reader may not see.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    engagement_id  INTEGER,
    from_stage     TEXT,
    to_stage       TEXT,
    read_at        INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- Deliveries beyond the inbox (e-mail, an organization's webhook), sent by a background worker
-- with retries.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    notification_id  INTEGER NOT NULL,
    channel          TEXT    NOT NULL,
    target           TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          INTEGER NOT NULL,
    last_error       TEXT
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);

-- Where an organization's notifications go besides the inbox.
CREATE TABLE org_channels (
    org_id       INTEGER PRIMARY KEY,
    webhook_url  TEXT,
    updated_at   INTEGER NOT NULL
);

-- Technology brokers (技术经纪人): their fields, keywords and regions, for assignment by fit and load.
CREATE TABLE brokers (
    user_id     INTEGER PRIMARY KEY,
    clusters    TEXT    NOT NULL DEFAULT '[]',
    keywords    TEXT    NOT NULL DEFAULT '[]',
    regions     TEXT    NOT NULL DEFAULT '[]',
    bio         TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);

-- What engagements taught about a pair (demand, item): the furthest stage's grade, or 0 when closed as
-- not relevant. The newest engagement of a pair sets it.
CREATE TABLE relevance_labels (
    demand_id      INTEGER NOT NULL,
    item_kind      TEXT    NOT NULL,
    item_id        INTEGER NOT NULL,
    grade          INTEGER NOT NULL,
    engagement_id  INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (demand_id, item_kind, item_id)
);

-- Contact details shown to the other side of an engagement once introduced.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN phone TEXT;

-- An NDA-only need's public summary (公开摘要): what every signed-in user may read of it.
ALTER TABLE demands ADD COLUMN public_summary TEXT;
