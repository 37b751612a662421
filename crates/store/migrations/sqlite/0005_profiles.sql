-- Enterprise profiles (the facts the tier rules and the credit scorecard read: financials, staff, IP,
-- flags; confidential business data) and credit evaluations (kept whole: inputs, the exact rule
-- version and time, so any grade can be audited and reproduced).
CREATE TABLE enterprise_profiles (
    uscc        TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    profile     TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- An assessor's judgments per enterprise (the criteria the data cannot hold), kept apart from the
-- profile so that re-importing the facts never drops a review.
CREATE TABLE assessor_inputs (
    uscc        TEXT    PRIMARY KEY,
    inputs      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE credit_evaluations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    uscc              TEXT    NOT NULL,
    scheme            TEXT    NOT NULL,
    version           TEXT    NOT NULL,
    card_fingerprint  TEXT    NOT NULL,
    as_of             TEXT    NOT NULL,
    inputs            TEXT    NOT NULL,
    result            TEXT    NOT NULL,
    grade             TEXT,
    score             REAL    NOT NULL,
    created_by        TEXT    NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX credit_evaluations_uscc ON credit_evaluations (uscc, id);
