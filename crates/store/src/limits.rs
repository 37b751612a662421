//! Counters of failed sign-ins, shared by every server instance over the store and kept across
//! restarts. The server raises the counters of an attempt *before* it checks the password and gives
//! the reservation back when the password was right, so a burst of concurrent guesses is counted
//! one by one and cannot slip past a limit that was checked before any of them failed.

use crate::{dispatch_write, Result, Store};

/// One key's count in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCount {
    pub failures: i64,
    /// Unix seconds when the window opened.
    pub window_start: i64,
}

impl Store {
    /// Adds one attempt to each key (a key whose window ended before `now - window` starts again at
    /// one) and returns the counts after the increment, in the order of `keys`.
    pub async fn reserve_login_attempt(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> Result<Vec<LimitCount>> {
        let sql = "INSERT INTO login_limits (key, failures, window_start) VALUES ($1, 1, $2) \
                   ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN login_limits.window_start <= $3 THEN 1 ELSE login_limits.failures + 1 END, \
                   window_start = CASE WHEN login_limits.window_start <= $3 THEN $2 ELSE login_limits.window_start END \
                   RETURNING failures, window_start";
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let (failures, window_start): (i64, i64) = dispatch_write!(self, pool =>
                sqlx::query_as(sql).bind(key).bind(now).bind(now - window).fetch_one(pool).await?);
            out.push(LimitCount {
                failures,
                window_start,
            });
        }
        Ok(out)
    }

    /// Gives back one reserved attempt on each key (the password was right): the other attempts
    /// counted on the key — another account's failures from the same address — stay counted.
    pub async fn release_login_attempt(&self, keys: &[String]) -> Result<()> {
        let sql = "UPDATE login_limits SET failures = failures - 1 WHERE key = $1 AND failures > 0";
        for key in keys {
            dispatch_write!(self, pool => sqlx::query(sql).bind(key).execute(pool).await?.rows_affected());
        }
        Ok(())
    }

    /// Clears one key (an account that signed in successfully starts with a clean slate).
    pub async fn clear_login_limit(&self, key: &str) -> Result<()> {
        dispatch_write!(self, pool => sqlx::query("DELETE FROM login_limits WHERE key = $1")
            .bind(key).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Drops counters whose window ended before `before` (the table stays small under a spray of names).
    pub async fn prune_login_limits(&self, before: i64) -> Result<u64> {
        Ok(
            dispatch_write!(self, pool => sqlx::query("DELETE FROM login_limits WHERE window_start < $1")
            .bind(before).execute(pool).await?.rows_affected()),
        )
    }
}
