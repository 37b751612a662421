//! The audit log is a hash chain on both back-ends: every writer extends one chain, concurrent
//! writers never fork it, and a changed, removed or cut-off row is named by `verify_audit`.

use model::{Outcome, OutcomeKind, Record};
use store::AuditEntry;

mod common;
use common::{backends, cleanup, Backend};

/// Runs raw SQL against the back-end under the store (what an attacker with database access does).
async fn tamper(b: &Backend, sql: &str) {
    use sqlx::Connection;
    if let Some((url, schema)) = &b.pg_cleanup {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&format!("SET search_path TO {schema}"))
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let path = b.dir.as_ref().unwrap().path().join("t.db");
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn the_chain_holds_and_names_the_row_changed() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let name = s.backend_name();
        let recs: Vec<Record> = (0..4)
            .map(|i| Record::Outcome(Outcome::new(OutcomeKind::Paper, format!("paper {i}"))))
            .collect();
        s.write_batch(&recs, "importer").await.unwrap();
        s.audit("admin", "create", "user", Some(7), "user ent-a")
            .await
            .unwrap();
        // Concurrent writers extend one chain.
        let mut joins = vec![];
        for i in 0..12 {
            let s = s.clone();
            joins.push(tokio::spawn(async move {
                s.append_audit(&[AuditEntry::new("t", "note", "test", Some(i), "x")])
                    .await
                    .unwrap()
            }));
        }
        for j in joins {
            j.await.unwrap();
        }
        let ok = s.verify_audit().await.unwrap();
        assert_eq!(ok.rows, 17, "{name}");
        assert_eq!(ok.broken, None, "{name}");
        assert_eq!(ok.head_hash.len(), 64);

        // One byte of one row's detail changed: that row is named.
        tamper(
            b,
            "UPDATE audit_log SET detail = 'user ent-b' WHERE detail = 'user ent-a'",
        )
        .await;
        let bad = s.verify_audit().await.unwrap();
        let (row, why) = bad.broken.expect("a changed row breaks the chain");
        assert_eq!(row, 5, "{name}: {why}");
        assert!(why.contains("changed"), "{why}");
        tamper(
            b,
            "UPDATE audit_log SET detail = 'user ent-a' WHERE detail = 'user ent-b'",
        )
        .await;
        assert_eq!(s.verify_audit().await.unwrap().broken, None, "{name}");

        // A row removed in the middle: the next one no longer follows.
        tamper(b, "DELETE FROM audit_log WHERE id = 3").await;
        let (row, why) = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!(row, 4, "{name}: {why}");
    }
    cleanup(all).await;
}

#[tokio::test]
async fn a_cut_tail_and_a_row_written_around_the_chain_are_seen() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        for i in 0..3 {
            s.audit("admin", "create", "user", Some(i), "u")
                .await
                .unwrap();
        }
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        tamper(b, "DELETE FROM audit_log WHERE id = 3").await;
        let (_, why) = s.verify_audit().await.unwrap().broken.unwrap();
        assert!(why.contains("removed"), "{why}");
        // Rows written past the chain, as if by another program.
        tamper(
            b,
            "INSERT INTO audit_log (at, actor, action, kind, record_id, detail, prev_hash, hash) \
             SELECT at, 'x', 'x', 'x', NULL, NULL, hash, 'bad' FROM audit_log WHERE id = 2",
        )
        .await;
        assert!(s.verify_audit().await.unwrap().broken.is_some());
    }
    cleanup(all).await;
}
