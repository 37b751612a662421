//! The public face of NDA-only needs: a need whose owner wrote a public summary (公开摘要) is listed
//! to every signed-in user by that summary and its filters, never by its title, owner or brief.
//! A [`Teaser`] is read from those columns alone — it is not a stored record, so no renderer of
//! records can show more of it by mistake.

use crate::{dispatch, Result, Store};

/// What every signed-in user may read of an NDA-only need with a public summary.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Teaser {
    pub id: i64,
    pub summary: String,
    pub status: String,
    pub deadline: Option<String>,
    pub region_code: Option<String>,
    pub trl_needed: Option<i64>,
    /// `|A|B|` as stored.
    #[serde(skip)]
    pub clusters: Option<String>,
}

impl Teaser {
    pub fn cluster_codes(&self) -> Vec<&str> {
        self.clusters
            .as_deref()
            .unwrap_or("")
            .split('|')
            .filter(|c| !c.is_empty())
            .collect()
    }
}

const TEASER: &str = "SELECT id, public_summary AS summary, status, CAST(deadline AS TEXT) AS deadline, region_code, \
    CAST(trl_needed AS BIGINT) AS trl_needed, clusters FROM demands WHERE confidentiality = 'nda' AND public_summary IS NOT NULL";

impl Store {
    /// The teaser of one NDA-only need, when it has a public summary.
    pub async fn teaser(&self, id: i64) -> Result<Option<Teaser>> {
        let sql = format!("{TEASER} AND id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Teasers of open NDA-only needs, newest first, at most `limit`.
    pub async fn teasers(&self, limit: i64) -> Result<Vec<Teaser>> {
        let sql = format!("{TEASER} AND status = 'open' ORDER BY id DESC LIMIT $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?))
    }
}
