//! Stores under test: SQLite always, and PostgreSQL (a schema of its own) when
//! `SHUANGLIAN_TEST_DATABASE_URL` names a server.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use store::{Store, Target};

/// A store under test, with what must be cleaned up afterwards.
pub struct Backend {
    pub store: Store,
    pub dir: Option<tempfile::TempDir>,
    pub pg_cleanup: Option<(String, String)>,
}

static SCHEMA_SEQ: AtomicUsize = AtomicUsize::new(0);

pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&Target::Sqlite(dir.path().join("t.db")))
        .await
        .unwrap();
    let mut out = vec![Backend {
        store: sqlite,
        dir: Some(dir),
        pg_cleanup: None,
    }];
    if let Ok(url) = std::env::var("SHUANGLIAN_TEST_DATABASE_URL") {
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            SCHEMA_SEQ.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros()
        );
        let store = Store::open(&Target::Postgres {
            url: url.clone(),
            schema: Some(schema.clone()),
        })
        .await
        .unwrap_or_else(|e| panic!("SHUANGLIAN_TEST_DATABASE_URL is set but unusable: {e}"));
        out.push(Backend {
            store,
            dir: None,
            pg_cleanup: Some((url, schema)),
        });
    }
    out
}

pub async fn cleanup(backends: Vec<Backend>) {
    for b in backends {
        b.store.close().await;
        if let Some((url, schema)) = b.pg_cleanup {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}
