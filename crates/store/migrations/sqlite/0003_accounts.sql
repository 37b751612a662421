-- Accounts: users (each of one organization, with one role), their sessions, and the access grants by
-- which an organization lets another read its NDA-only demands. Times are Unix seconds (UTC).
CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    username         TEXT    NOT NULL UNIQUE,
    display_name     TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    organization_id  INTEGER,
    password_hash    TEXT    NOT NULL,
    disabled         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

-- A session is known by the SHA-256 of its bearer token; the token itself is never stored.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE access_grants (
    owner_org_id    INTEGER NOT NULL,
    grantee_org_id  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (owner_org_id, grantee_org_id)
);
CREATE INDEX access_grants_grantee ON access_grants (grantee_org_id);
