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
    /// The database was busy (SQLite locked by another process past the busy timeout, a PostgreSQL
    /// serialization failure or deadlock, a pool that had no connection free in time): nothing was
    /// written and the same request may be tried again.
    pub fn is_busy(&self) -> bool {
        let StoreError::Sqlx(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(d) => {
                let code = d.code();
                let code = code.as_deref().unwrap_or("");
                // SQLite: SQLITE_BUSY (5) and its extended codes (261, 517, 773), SQLITE_LOCKED (6, 262).
                // PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
                matches!(
                    code,
                    "5" | "6" | "261" | "262" | "517" | "773" | "40001" | "40P01" | "55P03"
                )
            }
            _ => false,
        }
    }

    pub(crate) fn connect(target: &Target, source: sqlx::Error) -> Self {
        StoreError::Connect {
            target: target.to_string(),
            source,
        }
    }
}
