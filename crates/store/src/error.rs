use model::RecordKind;

use crate::Target;

/// Errors of the store, each saying what failed and what to check.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {target}: {source}. Check the path or URL, and for PostgreSQL that the server runs and the user may connect")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}. The database may be from a newer Shuanglian; back it up and upgrade")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("stored {kind} #{id} cannot be read: {message}")]
    Corrupt {
        kind: RecordKind,
        id: i64,
        message: String,
    },
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn connect(target: &Target, source: sqlx::Error) -> Self {
        StoreError::Connect {
            target: target.to_string(),
            source,
        }
    }
}
