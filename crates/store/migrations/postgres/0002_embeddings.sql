-- Embedding cache: vectors keyed by model and the SHA-256 of the exact text encoded, so re-indexing
-- never re-encodes an unchanged text. Derived data: safe to delete.
CREATE TABLE embeddings (
    model      TEXT        NOT NULL,
    text_hash  TEXT        NOT NULL,
    dim        INTEGER     NOT NULL,
    vector     BYTEA       NOT NULL,  -- dim little-endian f32
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (model, text_hash)
);
