//! Accounts: users, sessions and access grants. Passwords arrive hashed (the server hashes them with
//! argon2id) and sessions by the SHA-256 of their token, so the store never holds a secret in clear.

use crate::{dispatch, dispatch_write, Result, Store};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `admin`, `enterprise`, `institution`, `platform_operator`, `government`, `financier`, `broker`.
    pub role: String,
    /// The user's organization (`organizations.id`).
    pub organization_id: Option<i64>,
    pub password_hash: String,
    pub disabled: i64,
    /// Shown to the other side of an engagement once introduced; where e-mail notices go.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The expert of the registry this account reviews as (challenge reviewers).
    pub expert_id: Option<i64>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub organization_id: Option<i64>,
    pub password_hash: &'a str,
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, organization_id, password_hash, disabled, email, phone, expert_id";

impl Store {
    /// Creates a user, or replaces the role, organization and password of one with the same name
    /// (demo set-up runs twice without failing). Returns the user's id.
    pub async fn upsert_user(&self, u: &NewUser<'_>, now: i64) -> Result<i64> {
        let sql = "INSERT INTO users (username, display_name, role, organization_id, password_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) \
                   ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, \
                   role = excluded.role, organization_id = excluded.organization_id, \
                   password_hash = excluded.password_hash, disabled = 0 \
                   RETURNING id";
        let id: i64 = dispatch_write!(self, pool => sqlx::query_scalar(sql)
            .bind(u.username)
            .bind(u.display_name)
            .bind(u.role)
            .bind(u.organization_id)
            .bind(u.password_hash)
            .bind(now)
            .fetch_one(pool)
            .await?);
        Ok(id)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?))
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// Disables (or enables) a user; a disabled user's sessions stop working at once.
    pub async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        let sql = "UPDATE users SET disabled = $1 WHERE id = $2";
        dispatch_write!(self, pool => sqlx::query(sql).bind(disabled as i64).bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let sql = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        dispatch_write!(self, pool => sqlx::query(sql)
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The user of a live session: not revoked, not expired at `now`, user not disabled.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let sql = "SELECT u.id, u.username, u.display_name, u.role, u.organization_id, u.password_hash, u.disabled, \
                   u.email, u.phone, u.expert_id \
                   FROM sessions s JOIN users u ON u.id = s.user_id \
                   WHERE s.token_hash = $1 AND s.revoked = 0 AND s.expires_at > $2 AND u.disabled = 0";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await?),
        )
    }

    /// Revokes one session; returns whether it was live.
    pub async fn revoke_session(&self, token_hash: &str) -> Result<bool> {
        let sql = "UPDATE sessions SET revoked = 1 WHERE token_hash = $1 AND revoked = 0";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(token_hash).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// Revokes every session of a user; returns how many were live.
    pub async fn revoke_user_sessions(&self, user_id: i64) -> Result<u64> {
        let sql = "UPDATE sessions SET revoked = 1 WHERE user_id = $1 AND revoked = 0";
        Ok(
            dispatch_write!(self, pool => sqlx::query(sql).bind(user_id).execute(pool).await?.rows_affected()),
        )
    }

    /// The stored record of `kind` that any of `keys` (identity keys) already names, if one does: a
    /// write with these keys would update it rather than insert.
    pub async fn find_by_keys(
        &self,
        kind: model::RecordKind,
        keys: &[String],
    ) -> Result<Option<i64>> {
        for key in keys {
            let sql = "SELECT record_id FROM record_keys WHERE kind = $1 AND key = $2";
            let id: Option<i64> = dispatch!(self, pool => sqlx::query_scalar(sql)
                .bind(kind.as_str())
                .bind(key)
                .fetch_optional(pool)
                .await?);
            if id.is_some() {
                return Ok(id);
            }
        }
        Ok(None)
    }

    /// Lets users of `grantee` read the NDA-only demands of `owner`.
    pub async fn grant_access(&self, owner: i64, grantee: i64, now: i64) -> Result<()> {
        let sql = "INSERT INTO access_grants (owner_org_id, grantee_org_id, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (owner_org_id, grantee_org_id) DO NOTHING";
        dispatch_write!(self, pool => sqlx::query(sql).bind(owner).bind(grantee).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn revoke_access(&self, owner: i64, grantee: i64) -> Result<bool> {
        let sql = "DELETE FROM access_grants WHERE owner_org_id = $1 AND grantee_org_id = $2";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(owner).bind(grantee).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// The organizations that granted `grantee` access to their NDA-only demands.
    pub async fn grants_to(&self, grantee: i64) -> Result<Vec<i64>> {
        let sql = "SELECT owner_org_id FROM access_grants WHERE grantee_org_id = $1 ORDER BY owner_org_id";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(grantee).fetch_all(pool).await?))
    }

    /// Sets a user's contact details (e-mail, phone); `None` clears one.
    pub async fn set_user_contact(
        &self,
        user_id: i64,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<()> {
        let sql = "UPDATE users SET email = $1, phone = $2 WHERE id = $3";
        dispatch_write!(self, pool => sqlx::query(sql).bind(email).bind(phone).bind(user_id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Links an account to the expert of the registry it reviews as (`None` unlinks).
    pub async fn set_user_expert(&self, user_id: i64, expert_id: Option<i64>) -> Result<bool> {
        let sql = "UPDATE users SET expert_id = $1 WHERE id = $2";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(expert_id).bind(user_id).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    /// The active account linked to an expert, if any.
    pub async fn user_of_expert(&self, expert_id: i64) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE expert_id = $1 AND disabled = 0 ORDER BY id LIMIT 1"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(expert_id).fetch_optional(pool).await?),
        )
    }

    /// The active accounts linked to an expert of the registry (the reviewers one may assign).
    pub async fn expert_accounts(&self) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE expert_id IS NOT NULL AND disabled = 0 ORDER BY id LIMIT 1000"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// The active users of an organization, by id.
    pub async fn users_of_org(&self, org_id: i64) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE organization_id = $1 AND disabled = 0 ORDER BY id"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(org_id).fetch_all(pool).await?))
    }

    /// The active users with a role, by id.
    pub async fn users_with_role(&self, role: &str) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role = $1 AND disabled = 0 ORDER BY id"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(role).fetch_all(pool).await?))
    }
}
