-- Embedding cache: vectors keyed by model and the SHA-256 of the exact text encoded, so re-indexing
-- never re-encodes an unchanged text. Derived data: safe to delete.
CREATE TABLE embeddings (
    model      TEXT    NOT NULL,
    text_hash  TEXT    NOT NULL,
    dim        INTEGER NOT NULL,
    vector     BLOB    NOT NULL,  -- dim little-endian f32
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (model, text_hash)
);
