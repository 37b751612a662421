//! What account administration writes besides the users table: new password hashes, the list of
//! grants, and an audit row for every change (who did what to which account or grant, never a secret).

use crate::{dispatch, dispatch_write, Result, Store};

/// One access grant: `owner` lets users of `grantee` read its NDA-only demands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Grant {
    pub owner_org_id: i64,
    pub grantee_org_id: i64,
    pub created_at: i64,
}

impl Store {
    /// Appends an audit row (`kind` is `user` or `grant`; `detail` says what changed, never a password).
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        kind: &str,
        record_id: Option<i64>,
        detail: &str,
    ) -> Result<()> {
        self.append_audit(&[crate::AuditEntry::new(
            actor, action, kind, record_id, detail,
        )])
        .await?;
        Ok(())
    }

    /// The newest audit rows of a kind (`user`, `grant`, …), newest first: (actor, action, record id, detail).
    pub async fn audit_of(
        &self,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, Option<i64>, Option<String>)>> {
        let sql = "SELECT actor, action, record_id, detail FROM audit_log WHERE kind = $1 ORDER BY id DESC LIMIT $2";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(kind).bind(limit).fetch_all(pool).await?),
        )
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<bool> {
        let sql = "UPDATE users SET password_hash = $1 WHERE id = $2";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(hash).bind(user_id).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Every grant, by owner then grantee.
    pub async fn grants(&self) -> Result<Vec<Grant>> {
        let sql = "SELECT owner_org_id, grantee_org_id, created_at FROM access_grants \
                   ORDER BY owner_org_id, grantee_org_id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
