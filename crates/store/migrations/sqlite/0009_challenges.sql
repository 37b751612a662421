-- Challenges (揭榜挂帅) and open application scenarios (开放应用场景), moved through the stages of
-- data/workflows/challenge.toml and scenario.toml. `version` is raised by every move and every
-- change of the challenge itself: a change names the version it saw. Times are Unix seconds (UTC);
-- money is integer fen; `detail` is JSON (target metrics, market targets, IP terms, scoring form,
-- the scenario's offer).
CREATE TABLE challenges (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    summary        TEXT    NOT NULL,
    demand_id      INTEGER,
    poster_org     INTEGER  NOT NULL,
    track          TEXT    NOT NULL,
    end_user_org   INTEGER,
    budget_fen     INTEGER  NOT NULL DEFAULT 0,
    matching_fen   INTEGER  NOT NULL DEFAULT 0,
    deadline       TEXT,
    visibility     TEXT    NOT NULL,
    winners_max    INTEGER  NOT NULL DEFAULT 1,
    blind          INTEGER  NOT NULL DEFAULT 0,
    notice_days    INTEGER  NOT NULL,
    detail         TEXT    NOT NULL,
    stage          TEXT    NOT NULL,
    version        INTEGER  NOT NULL DEFAULT 1,
    created_by     INTEGER  NOT NULL,
    created_at     INTEGER  NOT NULL,
    stage_at       INTEGER  NOT NULL,
    notice_from    INTEGER,
    acceptance     TEXT
);
CREATE INDEX challenges_stage ON challenges (stage, stage_at);
CREATE INDEX challenges_poster ON challenges (poster_org);

-- Every move of a challenge, for its timeline (the audit log holds the hash chain).
CREATE TABLE challenge_events (
    id            INTEGER PRIMARY KEY,
    challenge_id  INTEGER  NOT NULL,
    at            INTEGER  NOT NULL,
    actor_user    INTEGER,
    from_stage    TEXT,
    to_stage      TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX challenge_events_of ON challenge_events (challenge_id, id);

-- Applications (揭榜申报): one per leading organization and challenge. Editable while `draft` or
-- `submitted` until the deadline; `content_hash` is the SHA-256 of the frozen content.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    challenge_id  INTEGER  NOT NULL,
    lead_org      INTEGER  NOT NULL,
    created_by    INTEGER  NOT NULL,
    status        TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    content_hash  TEXT,
    result        TEXT,
    version       INTEGER  NOT NULL DEFAULT 1,
    created_at    INTEGER  NOT NULL,
    updated_at    INTEGER  NOT NULL,
    submitted_at  INTEGER,
    UNIQUE (challenge_id, lead_org)
);

-- Consortium members (创新联合体) named by the lead; each confirms for its own organization.
CREATE TABLE consortium_members (
    application_id  INTEGER  NOT NULL,
    org_id          INTEGER  NOT NULL,
    confirmed_at    INTEGER,
    confirmed_by    INTEGER,
    PRIMARY KEY (application_id, org_id)
);
CREATE INDEX consortium_members_org ON consortium_members (org_id);

-- Reviewers: an expert of the registry acting through an account.
CREATE TABLE challenge_reviewers (
    challenge_id  INTEGER  NOT NULL,
    user_id       INTEGER  NOT NULL,
    expert_id     INTEGER  NOT NULL,
    assigned_by   INTEGER  NOT NULL,
    assigned_at   INTEGER  NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX challenge_reviewers_user ON challenge_reviewers (user_id);

-- Declared recusals (主动回避).
CREATE TABLE recusals (
    challenge_id  INTEGER  NOT NULL,
    user_id       INTEGER  NOT NULL,
    reason        TEXT    NOT NULL,
    at            INTEGER  NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
);

-- One reviewer's sheet for one application (JSON criterion → score).
CREATE TABLE review_scores (
    application_id  INTEGER  NOT NULL,
    reviewer_user   INTEGER  NOT NULL,
    sheet           TEXT    NOT NULL,
    comment         TEXT    NOT NULL DEFAULT '',
    at              INTEGER  NOT NULL,
    PRIMARY KEY (application_id, reviewer_user)
);

-- Objections during the public notice (异议); the operator resolves each before contracting.
CREATE TABLE objections (
    id              INTEGER PRIMARY KEY,
    challenge_id    INTEGER  NOT NULL,
    application_id  INTEGER,
    by_user         INTEGER  NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open',
    resolution      TEXT,
    resolved_by     INTEGER,
    created_at      INTEGER  NOT NULL,
    resolved_at     INTEGER
);
CREATE INDEX objections_of ON objections (challenge_id);

-- Milestones of a winner's task book (军令状), each with a funding tranche.
CREATE TABLE milestones (
    id              INTEGER PRIMARY KEY,
    challenge_id    INTEGER  NOT NULL,
    application_id  INTEGER  NOT NULL,
    seq             INTEGER  NOT NULL,
    title           TEXT    NOT NULL,
    due_on          TEXT    NOT NULL,
    metric          TEXT    NOT NULL,
    tranche_fen     INTEGER  NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL DEFAULT 'pending',
    report          TEXT,
    reported_at     INTEGER,
    decision_note   TEXT,
    decided_by      INTEGER,
    decided_at      INTEGER
);
CREATE INDEX milestones_of ON milestones (challenge_id, application_id, seq);

-- Evidence files, stored under the data directory by SHA-256; served only to those with the right.
CREATE TABLE evidence_files (
    id              INTEGER PRIMARY KEY,
    challenge_id    INTEGER  NOT NULL,
    application_id  INTEGER,
    milestone_id    INTEGER,
    market_id       INTEGER,
    sha256          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    mime            TEXT    NOT NULL,
    size            INTEGER  NOT NULL,
    uploaded_by     INTEGER  NOT NULL,
    at              INTEGER  NOT NULL
);
CREATE INDEX evidence_files_of ON evidence_files (challenge_id);

-- Market records (市场阅卷) at 6/12/24 months after acceptance: JSON indicator → value.
CREATE TABLE market_records (
    id            INTEGER PRIMARY KEY,
    challenge_id  INTEGER  NOT NULL,
    months        INTEGER  NOT NULL,
    figures       TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    recorded_by   INTEGER  NOT NULL,
    at            INTEGER  NOT NULL,
    UNIQUE (challenge_id, months)
);

-- Candidate solvers the operator invited (an inbox notice to the organization's users).
CREATE TABLE challenge_invitations (
    challenge_id  INTEGER  NOT NULL,
    org_id        INTEGER  NOT NULL,
    item_kind     TEXT    NOT NULL,
    item_id       INTEGER  NOT NULL,
    invited_by    INTEGER  NOT NULL,
    at            INTEGER  NOT NULL,
    PRIMARY KEY (challenge_id, org_id)
);

-- Notifications may concern a challenge.
ALTER TABLE notifications ADD COLUMN challenge_id INTEGER;

-- The account an expert of the registry reviews through.
ALTER TABLE users ADD COLUMN expert_id INTEGER;

-- The audit log becomes a hash chain: each row holds the hash of the row before it and of its own
-- canonical content; `audit_head` holds the last row's id and hash (so a cut tail is seen too) and
-- is the lock every appender takes first.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_head (
    id       INTEGER  PRIMARY KEY,
    last_id  INTEGER  NOT NULL,
    hash     TEXT    NOT NULL
);
INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, '');
