//! One error type for the engines; `Input` and `NotFound` carry a message meant for the user (what was
//! wrong and how to fix it), `Setup` one meant for the operator (the platform's data or files are
//! wrong), the others wrap the layer that failed.

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Lexical(#[from] search::lexical::LexicalError),
    #[error(transparent)]
    Vector(#[from] search::vector::VectorError),
    #[error(transparent)]
    Config(#[from] search::matching::ConfigError),
    /// The caller asked for something malformed; the message names the field and the fix.
    #[error("{0}")]
    Input(String),
    /// The platform's own data or setup is wrong — an unreadable stored document, a missing index, a
    /// bad taxonomy or rule file — not the caller's request. The message names the fix for the
    /// operator; the server answers it as a fault (500, logged with the request id).
    #[error("{0}")]
    Setup(String),
    /// The caller may not do this (the message says who may).
    #[error("{0}")]
    Forbidden(String),
    /// The record changed since the caller read it, or the move does not fit its current state.
    #[error("{0}")]
    Conflict(String),
    /// The caller did this too often for now (the message says when to try again).
    #[error("{0}")]
    Limited(String),
    /// An id that names nothing (or nothing the caller may see: the message is the same).
    #[error("{0}")]
    NotFound(String),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}
