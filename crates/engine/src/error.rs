//! One error type for the engines; `Input` and `NotFound` carry a message meant for the user (what was
//! wrong and how to fix it), the others wrap the layer that failed.

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
    /// An id that names nothing (or nothing the caller may see: the message is the same).
    #[error("{0}")]
    NotFound(String),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}
