//! Chain-node assignments (derived, replaced wholesale or per record) and manual overrides (kept).

use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// One record on one chain node.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChainAssignmentRow {
    pub record_kind: String,
    pub record_id: i64,
    pub node: String,
    pub confidence: f64,
    /// `rules`, `semantic`, `combined`, `declared`, `manual`.
    pub method: String,
    /// JSON array of the evidence.
    pub evidence: String,
}

/// A person's decision about a record and a node: `add` puts it there, `remove` keeps it off.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChainOverride {
    pub record_kind: String,
    pub record_id: i64,
    pub node: String,
    pub action: String,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}

/// What a write of assignments replaces.
pub enum Replace<'a> {
    /// Every assignment (a full run: the taxonomy or the rules changed).
    All,
    /// The assignments of these records (an incremental run from the outbox).
    Records(&'a [(String, i64)]),
}

/// The evidence of a manual assignment as every viewer sees it: who decided and why stay in
/// `chain_overrides` (a note may name a confidential need).
pub const MANUAL_EVIDENCE: &str = r#"[{"kind":"manual","detail":"manual decision","weight":1.0}]"#;

const ROW_COLUMNS: &str = "record_kind, record_id, node, confidence, method, evidence";

impl Store {
    /// Replaces assignments and records the state they reflect, in one transaction: a reader sees the
    /// old set or the new one, never half of each.
    pub async fn put_chain_assignments(
        &self,
        replace: Replace<'_>,
        rows: &[ChainAssignmentRow],
        state: &[(&str, &str)],
    ) -> Result<()> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            match replace {
                Replace::All => {
                    sqlx::query("DELETE FROM chain_assignments").execute(&mut *tx).await?;
                }
                Replace::Records(records) => {
                    for (kind, id) in records {
                        sqlx::query("DELETE FROM chain_assignments WHERE record_kind = $1 AND record_id = $2")
                            .bind(kind)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            for chunk in rows.chunks(150) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = 6 * i;
                        format!("(${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6)
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO chain_assignments ({ROW_COLUMNS}) VALUES {} \
                     ON CONFLICT (record_kind, record_id, node) DO UPDATE SET confidence = excluded.confidence, \
                     method = excluded.method, evidence = excluded.evidence",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(&r.record_kind)
                        .bind(r.record_id)
                        .bind(&r.node)
                        .bind(r.confidence)
                        .bind(&r.method)
                        .bind(&r.evidence);
                }
                q.execute(&mut *tx).await?;
            }
            // People's decisions are applied inside the same transaction, so a rule run that read the
            // overrides before another process added one cannot write over it.
            sqlx::query(
                "DELETE FROM chain_assignments WHERE EXISTS (SELECT 1 FROM chain_overrides o \
                 WHERE o.action = 'remove' AND o.record_kind = chain_assignments.record_kind \
                 AND o.record_id = chain_assignments.record_id AND o.node = chain_assignments.node)",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO chain_assignments (record_kind, record_id, node, confidence, method, evidence) \
                 SELECT record_kind, record_id, node, 1.0, 'manual', $1 FROM chain_overrides WHERE action = 'add' \
                 ON CONFLICT (record_kind, record_id, node) DO UPDATE SET confidence = excluded.confidence, \
                 method = excluded.method, evidence = excluded.evidence",
            )
            .bind(MANUAL_EVIDENCE)
            .execute(&mut *tx)
            .await?;
            for (key, value) in state {
                sqlx::query(
                    "INSERT INTO chain_state (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(*key)
                .bind(*value)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every assignment, by node then record.
    pub async fn chain_assignments(&self) -> Result<Vec<ChainAssignmentRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM chain_assignments ORDER BY node, record_kind, record_id"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// The assignments of the given nodes.
    pub async fn chain_assignments_on(&self, nodes: &[String]) -> Result<Vec<ChainAssignmentRow>> {
        let mut out = vec![];
        for chunk in nodes.chunks(200) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {ROW_COLUMNS} FROM chain_assignments WHERE node IN ({}) \
                 ORDER BY node, record_kind, record_id",
                placeholders.join(", ")
            );
            let rows: Vec<ChainAssignmentRow> = dispatch!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for n in chunk {
                    q = q.bind(n);
                }
                q.fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// The assignments of one record, best first.
    pub async fn chain_assignments_of(
        &self,
        record_kind: &str,
        record_id: i64,
    ) -> Result<Vec<ChainAssignmentRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM chain_assignments WHERE record_kind = $1 AND record_id = $2 \
             ORDER BY confidence DESC, node"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(record_kind).bind(record_id).fetch_all(pool).await?),
        )
    }

    pub async fn chain_state(&self, key: &str) -> Result<Option<String>> {
        let sql = "SELECT value FROM chain_state WHERE key = $1";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(key).fetch_optional(pool).await?))
    }

    /// Stores (or replaces) a person's decision about a record and a node.
    pub async fn put_chain_override(&self, o: &ChainOverride) -> Result<()> {
        let sql = "INSERT INTO chain_overrides (record_kind, record_id, node, action, note, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (record_kind, record_id, node) DO UPDATE SET action = excluded.action, \
                   note = excluded.note, created_by = excluded.created_by, created_at = excluded.created_at";
        dispatch_write!(self, pool => sqlx::query(sql)
            .bind(&o.record_kind)
            .bind(o.record_id)
            .bind(&o.node)
            .bind(&o.action)
            .bind(&o.note)
            .bind(&o.created_by)
            .bind(o.created_at)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Removes a decision; returns whether there was one.
    pub async fn delete_chain_override(
        &self,
        record_kind: &str,
        record_id: i64,
        node: &str,
    ) -> Result<bool> {
        let sql =
            "DELETE FROM chain_overrides WHERE record_kind = $1 AND record_id = $2 AND node = $3";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(record_kind).bind(record_id).bind(node).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Every decision, by record.
    pub async fn chain_overrides(&self) -> Result<Vec<ChainOverride>> {
        let sql = "SELECT record_kind, record_id, node, action, note, created_by, created_at \
                   FROM chain_overrides ORDER BY record_kind, record_id, node";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
