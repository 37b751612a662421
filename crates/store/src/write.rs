//! The one write path: upsert a batch of records by identity key, in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use model::{content_hash, Record, RecordKind};

use crate::{dispatch_write, table, Result, Store, WriteTx};

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Inserted(i64),
    Updated(i64),
    /// The stored copy already had exactly this content.
    Unchanged(i64),
}

impl WriteOutcome {
    pub fn id(self) -> i64 {
        match self {
            WriteOutcome::Inserted(id)
            | WriteOutcome::Updated(id)
            | WriteOutcome::Unchanged(id) => id,
        }
    }
}

/// A typed column value, so one loop can bind any kind's columns on either back-end.
enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
}

fn text(s: Option<impl ToString>) -> Val {
    Val::Text(s.map(|v| v.to_string()))
}

/// The typed filter columns of each kind (the full record also goes into `doc`).
fn columns(rec: &Record) -> Vec<(&'static str, Val)> {
    match rec {
        Record::Organization(o) => vec![
            ("kind", text(Some(o.kind))),
            ("name", text(Some(&o.name))),
            ("uscc", text(o.uscc.as_ref())),
            ("region_code", text(o.region.as_ref().map(|r| r.key()))),
        ],
        Record::Person(p) => vec![
            ("kind", text(Some(p.kind))),
            ("name", text(Some(&p.name))),
            ("affiliation", text(p.affiliation.as_ref())),
            ("region_code", text(p.region.as_ref().map(|r| r.key()))),
        ],
        Record::Outcome(o) => vec![
            ("kind", text(Some(o.kind))),
            ("title", text(Some(&o.title))),
            ("lang", text(Some(&o.lang))),
            ("year", Val::Int(o.year.map(i64::from))),
            ("trl", Val::Int(o.trl.map(|t| i64::from(t.get())))),
            ("doi", text(o.doi.as_ref())),
            ("patent_no", text(o.patent_no.as_ref())),
            ("owner_uscc", text(o.owner_uscc.as_ref())),
            ("source", text(o.source.as_ref())),
        ],
        Record::Demand(d) => vec![
            ("owner", text(Some(&d.owner))),
            ("owner_uscc", text(d.owner_uscc.as_ref())),
            ("title", text(Some(&d.title))),
            ("confidentiality", text(Some(d.confidentiality))),
            ("status", text(Some(d.status))),
            ("deadline", Val::Date(d.deadline)),
            ("budget_min_fen", Val::Int(d.budget.min.map(|f| f.0))),
            ("budget_max_fen", Val::Int(d.budget.max.map(|f| f.0))),
            ("region_code", text(d.region.as_ref().map(|r| r.key()))),
            (
                "trl_needed",
                Val::Int(d.trl_needed.map(|t| i64::from(t.get()))),
            ),
            (
                "clusters",
                text((!d.clusters.is_empty()).then(|| format!("|{}|", d.clusters.join("|")))),
            ),
            (
                "public_summary",
                text(
                    d.public_summary
                        .as_ref()
                        .filter(|_| d.confidentiality == model::Confidentiality::Nda),
                ),
            ),
        ],
    }
}

/// The type of an identity key: what two keys must share to be comparable ("doi", "src:csl|").
fn key_type(key: &str) -> &str {
    if key.starts_with("src:") {
        return key.split_once('|').map_or(key, |(t, _)| t);
    }
    key.split_once(':').map_or(key, |(t, _)| t)
}

/// True when `stored` holds a key of the same type as one of `stronger` but with another value:
/// the weak match (say, same title) is then a different record (say, another DOI).
fn contradicts(stronger: &[String], stored: &[String]) -> bool {
    stronger
        .iter()
        .any(|k| stored.iter().any(|s| key_type(s) == key_type(k) && s != k))
}

/// Rows per multi-row INSERT / IN list: well under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 300;

/// Appends `($a, $b, …), (…)` placeholders for `rows` rows of `width` values to `sql`.
fn push_values(sql: &mut String, rows: usize, width: usize) {
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${n}"));
        }
        sql.push(')');
    }
}

/// `UPDATE` of one stored row to a record's columns, key, document and hash; the rows changed.
macro_rules! update_row {
    ($tx:expr, $t:expr, $id:expr, $cols:expr, $key:expr, $doc:expr, $hash:expr, $now:expr) => {{
        let cols = $cols;
        let n = cols.len();
        let sets: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE {} SET {}, natural_key = ${}, doc = ${}, content_hash = ${}, updated_at = ${} WHERE id = ${}",
            $t,
            sets.join(", "),
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5
        );
        let mut q = sqlx::query(&sql);
        for (_, v) in cols {
            q = match v {
                Val::Text(s) => q.bind(s),
                Val::Int(i) => q.bind(i),
                Val::Date(d) => q.bind(d),
            };
        }
        q.bind($key)
            .bind($doc)
            .bind($hash)
            .bind($now)
            .bind($id)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
    }};
}

/// A random id in 1..2^53 (exact in JavaScript numbers).
fn random_id() -> i64 {
    use rand::Rng;
    rand::thread_rng().gen_range(1..(1i64 << 53))
}

impl Store {
    /// Writes `records` in one transaction: each is matched to a stored copy by its identity keys
    /// (strongest first), then inserted, updated, or left alone when its content hash is unchanged.
    /// Inserts and updates append to the outbox and the audit log under `actor`.
    ///
    /// Keys are looked up for the whole batch at once and keys, outbox and audit rows are written with
    /// multi-row inserts, so a new record costs one statement of its own.
    pub async fn write_batch(&self, records: &[Record], actor: &str) -> Result<Vec<WriteOutcome>> {
        let now = Utc::now();
        let all_keys: Vec<Vec<String>> = records.iter().map(Record::identity_keys).collect();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;

            // (kind, key) → record id, for every key of the batch already stored.
            let mut known: HashMap<(RecordKind, String), i64> = HashMap::new();
            for kind in RecordKind::ALL {
                let wanted: Vec<&String> = records
                    .iter()
                    .zip(&all_keys)
                    .filter(|(r, _)| r.kind() == kind)
                    .flat_map(|(_, k)| k)
                    .collect();
                for chunk in wanted.chunks(CHUNK) {
                    let params: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT key, record_id FROM record_keys WHERE kind = $1 AND key IN ({})",
                        params.join(", ")
                    );
                    let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(kind.as_str());
                    for k in chunk {
                        q = q.bind(k.as_str());
                    }
                    for (key, id) in q.fetch_all(&mut *tx).await? {
                        known.insert((kind, key), id);
                    }
                }
            }

            let mut results = Vec::with_capacity(records.len());
            let mut new_keys: Vec<(&'static str, &String, i64)> = vec![];
            let mut changes: Vec<(&'static str, i64, &'static str, &String)> = vec![];
            for (rec, keys) in records.iter().zip(&all_keys) {
                let kind = rec.kind();
                let kind_s = kind.as_str();
                let t = table(kind);

                let mut found: Option<i64> = None;
                for (i, key) in keys.iter().enumerate() {
                    let Some(&id) = known.get(&(kind, key.clone())) else { continue };
                    if i > 0 {
                        // A weak-key match: refuse it if a stronger key of the same type differs.
                        let mut stored: Vec<String> = sqlx::query_scalar(
                            "SELECT key FROM record_keys WHERE kind = $1 AND record_id = $2",
                        )
                        .bind(kind_s)
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?;
                        stored.extend(
                            new_keys.iter().filter(|(k, _, rid)| *k == kind_s && *rid == id).map(|(_, key, _)| (*key).clone()),
                        );
                        if contradicts(&keys[..i], &stored) {
                            continue;
                        }
                    }
                    found = Some(id);
                    break;
                }

                let hash = content_hash(rec);
                let doc = serde_json::to_string(rec).expect("records serialise");
                let cols = columns(rec);
                let outcome = match found {
                    Some(id) => {
                        let old: String = sqlx::query_scalar(&format!(
                            "SELECT content_hash FROM {t} WHERE id = $1"
                        ))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                        if old == hash {
                            results.push(WriteOutcome::Unchanged(id));
                            continue;
                        }
                        update_row!(tx, t, id, cols, &keys[0], &doc, &hash, now);
                        sqlx::query("DELETE FROM record_keys WHERE kind = $1 AND record_id = $2")
                            .bind(kind_s).bind(id).execute(&mut *tx).await?;
                        // Keys this batch queued for the old version are stale too.
                        new_keys.retain(|(k, _, rid)| !(*k == kind_s && *rid == id));
                        WriteOutcome::Updated(id)
                    }
                    None => {
                        let mut cols = cols;
                        if kind == RecordKind::Demand {
                            // A demand's id is random, not the next number: ids of visible demands
                            // must not tell how many hidden ones were posted between them, or when.
                            let id = loop {
                                let candidate = random_id();
                                let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM demands WHERE id = $1")
                                    .bind(candidate)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                if taken.is_none() {
                                    break candidate;
                                }
                            };
                            cols.insert(0, ("id", Val::Int(Some(id))));
                        }
                        let n = cols.len();
                        let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
                        let params: Vec<String> = (1..=n + 5).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "INSERT INTO {t} ({}, natural_key, doc, content_hash, created_at, updated_at) VALUES ({}) RETURNING id",
                            names.join(", "), params.join(", ")
                        );
                        let mut q = sqlx::query_scalar::<_, i64>(&sql);
                        for (_, v) in cols {
                            q = match v {
                                Val::Text(s) => q.bind(s),
                                Val::Int(i) => q.bind(i),
                                Val::Date(d) => q.bind(d),
                            };
                        }
                        let id = q.bind(&keys[0]).bind(&doc).bind(&hash).bind(now).bind(now)
                            .fetch_one(&mut *tx).await?;
                        WriteOutcome::Inserted(id)
                    }
                };
                let id = outcome.id();
                for key in keys {
                    // A weak key (a shared title) may belong to another record already: keep theirs.
                    known.entry((kind, key.clone())).or_insert(id);
                    new_keys.push((kind_s, key, id));
                }
                let op = if matches!(outcome, WriteOutcome::Inserted(_)) { "insert" } else { "update" };
                changes.push((kind_s, id, op, &keys[0]));
                results.push(outcome);
            }

            for chunk in new_keys.chunks(CHUNK) {
                let mut sql = String::from("INSERT INTO record_keys (kind, key, record_id) VALUES ");
                push_values(&mut sql, chunk.len(), 3);
                sql.push_str(" ON CONFLICT DO NOTHING");
                let mut q = sqlx::query(&sql);
                for (kind_s, key, id) in chunk {
                    q = q.bind(*kind_s).bind(key.as_str()).bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in changes.chunks(CHUNK) {
                let mut sql = String::from("INSERT INTO outbox (kind, record_id, op, created_at) VALUES ");
                push_values(&mut sql, chunk.len(), 4);
                let mut q = sqlx::query(&sql);
                for (kind_s, id, op, _) in chunk {
                    q = q.bind(*kind_s).bind(*id).bind(*op).bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            let entries: Vec<crate::AuditEntry> = changes
                .iter()
                .map(|(kind_s, id, op, key)| crate::AuditEntry {
                    actor: actor.to_string(),
                    action: op.to_string(),
                    kind: kind_s.to_string(),
                    record_id: Some(*id),
                    detail: Some(key.to_string()),
                })
                .collect();
            crate::audit::append_audit!(tx, entries);
            tx.commit().await?;
            Ok(results)
        })
    }
}

impl Store {
    /// Replaces the stored record `id` with `record` (same kind), whatever its identity keys now
    /// say — an edit of a known record, where the batch path would match by keys (an edited title
    /// is still the same need). Keys are rewritten (a key another record holds stays theirs), the
    /// change goes to the outbox and the audit log under `actor`. `false` when no such record.
    pub async fn replace(&self, id: i64, record: &Record, actor: &str) -> Result<bool> {
        let kind = record.kind();
        let (kind_s, t) = (kind.as_str(), table(kind));
        let keys = record.identity_keys();
        let hash = content_hash(record);
        let doc = serde_json::to_string(record).expect("records serialise");
        let now = Utc::now();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = update_row!(tx, t, id, columns(record), &keys[0], &doc, &hash, now);
            if changed == 0 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM record_keys WHERE kind = $1 AND record_id = $2")
                .bind(kind_s).bind(id).execute(&mut *tx).await?;
            for key in &keys {
                sqlx::query("INSERT INTO record_keys (kind, key, record_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(kind_s).bind(key).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO outbox (kind, record_id, op, created_at) VALUES ($1, $2, 'update', $3)")
                .bind(kind_s).bind(id).bind(now).execute(&mut *tx).await?;
            crate::audit::append_audit!(tx, [crate::AuditEntry::new(actor, "update", kind_s, Some(id), &keys[0])]);
            tx.commit().await?;
        });
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_doi_contradicts_a_title_match() {
        let incoming = ["doi:10.1/a".to_string(), "title:x|2020".to_string()];
        let stored = ["doi:10.1/b".to_string(), "title:x|2020".to_string()];
        assert!(contradicts(&incoming[..1], &stored));
        let stored_without_doi = ["title:x|2020".to_string()];
        assert!(!contradicts(&incoming[..1], &stored_without_doi));
    }

    #[test]
    fn source_ids_compare_within_their_source() {
        assert_eq!(key_type("src:csl|csl-1"), "src:csl");
        assert!(!contradicts(
            &["src:csl|1".to_string()],
            &["src:scifact|1".to_string()]
        ));
    }
}
