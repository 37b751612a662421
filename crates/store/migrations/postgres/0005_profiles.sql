-- PostgreSQL twin of migrations/sqlite/0005_profiles.sql.
CREATE TABLE enterprise_profiles (
    uscc        TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    profile     TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE assessor_inputs (
    uscc        TEXT    PRIMARY KEY,
    inputs      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE credit_evaluations (
    id                BIGSERIAL PRIMARY KEY,
    uscc              TEXT             NOT NULL,
    scheme            TEXT             NOT NULL,
    version           TEXT             NOT NULL,
    card_fingerprint  TEXT             NOT NULL,
    as_of             TEXT             NOT NULL,
    inputs            TEXT             NOT NULL,
    result            TEXT             NOT NULL,
    grade             TEXT,
    score             DOUBLE PRECISION NOT NULL,
    created_by        TEXT             NOT NULL,
    created_at        BIGINT           NOT NULL
);
CREATE INDEX credit_evaluations_uscc ON credit_evaluations (uscc, id);
