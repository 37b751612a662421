//! What engagements produce and rest on: technology contracts and placements, NDA texts and
//! signatures (which open a demand to exactly the signing organization), brokers, and the relevance
//! labels engagements leave for the matching engine.

use sha2::{Digest, Sha256};

use crate::engagements::{ContractRow, PlacementRow};
use crate::{dispatch, dispatch_write, Result, Store};

macro_rules! insert_contract {
    ($tx:expr, $c:expr, $engagement:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO contracts (engagement_id, contract_type, amount_fen, seller_org, buyer_org, \
             ip_ownership, signed_on, registration_no, registered_on, buyer_local, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind($engagement)
        .bind(&$c.contract_type)
        .bind($c.amount_fen)
        .bind($c.seller_org)
        .bind($c.buyer_org)
        .bind(&$c.ip_ownership)
        .bind(&$c.signed_on)
        .bind(&$c.registration_no)
        .bind(&$c.registered_on)
        .bind($c.buyer_local)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_contract;

macro_rules! insert_placement {
    ($tx:expr, $p:expr, $engagement:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO placements (engagement_id, expert_id, post, start_on, end_on, days_per_month, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($engagement)
        .bind($p.expert_id)
        .bind(&$p.post)
        .bind(&$p.start_on)
        .bind(&$p.end_on)
        .bind($p.days_per_month)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_placement;

macro_rules! insert_signature {
    ($tx:expr, $s:expr, $engagement:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO nda_signatures (demand_id, org_id, user_id, engagement_id, at, text_version, text_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($s.demand_id)
        .bind($s.org_id)
        .bind($s.user_id)
        .bind($engagement)
        .bind($now)
        .bind($s.text_version)
        .bind(&$s.text_sha256)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_signature;

macro_rules! upsert_label {
    ($tx:expr, $engagement:expr, $grade:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO relevance_labels (demand_id, item_kind, item_id, grade, engagement_id, updated_at) \
             SELECT demand_id, item_kind, item_id, $1, id, $2 FROM engagements \
             WHERE id = $3 AND demand_id IS NOT NULL \
             ON CONFLICT (demand_id, item_kind, item_id) DO UPDATE SET grade = excluded.grade, \
             engagement_id = excluded.engagement_id, updated_at = excluded.updated_at",
        )
        .bind($grade)
        .bind($now)
        .bind($engagement)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use upsert_label;

/// An NDA text: the platform default or a demand's own.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct NdaText {
    pub demand_id: Option<i64>,
    pub version: i64,
    pub body: String,
    pub sha256: String,
}

/// A signature as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SignatureRow {
    pub id: i64,
    pub demand_id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub engagement_id: i64,
    pub at: i64,
    pub text_version: i64,
    pub text_sha256: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// A broker's declared fields and regions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BrokerRow {
    pub user_id: i64,
    pub clusters: Vec<String>,
    pub keywords: Vec<String>,
    pub regions: Vec<String>,
    pub bio: String,
}

/// A stored relevance label with the demand's confidentiality (for exports that must filter).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LabelRow {
    pub demand_id: i64,
    pub item_kind: String,
    pub item_id: i64,
    pub grade: i64,
    pub engagement_id: i64,
    pub confidentiality: String,
    /// When the label was last set (Unix seconds): `rank fit` splits by it.
    pub updated_at: i64,
}

/// SHA-256 of a text, hex.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

const CONTRACT_COLUMNS: &str =
    "id, engagement_id, contract_type, amount_fen, seller_org, buyer_org, \
    ip_ownership, signed_on, registration_no, registered_on, buyer_local, created_at";

impl Store {
    /// Stores a new version of an NDA text (a demand's own, or the default with `None`); the text.
    pub async fn put_nda_text(&self, demand_id: Option<i64>, body: &str) -> Result<NdaText> {
        let sha = sha256_hex(body);
        let sql = "INSERT INTO nda_texts (demand_id, version, body, sha256, created_at) \
                   SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM nda_texts \
                   WHERE COALESCE(demand_id, 0) = COALESCE($1, 0) RETURNING version";
        let version: i64 = dispatch_write!(self, pool => sqlx::query_scalar(sql)
            .bind(demand_id)
            .bind(body)
            .bind(&sha)
            .bind(self.now_ts())
            .fetch_one(pool)
            .await?);
        Ok(NdaText {
            demand_id,
            version,
            body: body.to_string(),
            sha256: sha,
        })
    }

    /// The NDA text that applies to a demand now: its own newest version, else the default's.
    pub async fn nda_text(&self, demand_id: i64) -> Result<Option<NdaText>> {
        let sql = "SELECT demand_id, version, body, sha256 FROM nda_texts \
                   WHERE demand_id = $1 OR demand_id IS NULL \
                   ORDER BY (demand_id IS NULL), version DESC LIMIT 1";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(demand_id).fetch_optional(pool).await?))
    }

    /// The demands whose NDA an organization signed (not revoked), sorted.
    pub async fn nda_demands_of(&self, org_id: i64) -> Result<Vec<i64>> {
        let sql = "SELECT DISTINCT demand_id FROM nda_signatures \
                   WHERE org_id = $1 AND revoked_at IS NULL ORDER BY demand_id";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(org_id).fetch_all(pool).await?))
    }

    /// Signatures on a demand's NDA, newest first.
    pub async fn signatures_of(&self, demand_id: i64) -> Result<Vec<SignatureRow>> {
        let sql = "SELECT id, demand_id, org_id, user_id, engagement_id, at, text_version, text_sha256, \
                   revoked_at, revoked_by FROM nda_signatures WHERE demand_id = $1 ORDER BY id DESC";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(demand_id).fetch_all(pool).await?))
    }

    /// Revokes a signature (an operator's act; audited); false when there is no live one.
    pub async fn revoke_signature(&self, id: i64, actor: &str) -> Result<bool> {
        let now = self.now_ts();
        let sql = "UPDATE nda_signatures SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL";
        let n = dispatch_write!(self, pool => sqlx::query(sql).bind(now).bind(actor).bind(id).execute(pool).await?.rows_affected());
        if n > 0 {
            self.audit(
                actor,
                "nda_revoke",
                "nda_signature",
                Some(id),
                &format!("signature #{id} revoked"),
            )
            .await?;
        }
        Ok(n > 0)
    }

    /// Contracts, newest first: every one, or those where `org` is seller or buyer.
    pub async fn contracts(&self, org: Option<i64>, limit: i64) -> Result<Vec<ContractRow>> {
        let sql = format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE ($1 IS NULL OR seller_org = $1 OR buyer_org = $1) \
             ORDER BY signed_on DESC, id DESC LIMIT $2"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(org).bind(limit).fetch_all(pool).await?),
        )
    }

    pub async fn contract_of(&self, engagement_id: i64) -> Result<Option<ContractRow>> {
        let sql = format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE engagement_id = $1");
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(engagement_id).fetch_optional(pool).await?),
        )
    }

    pub async fn placement_of(&self, engagement_id: i64) -> Result<Option<PlacementRow>> {
        let sql =
            "SELECT engagement_id, expert_id, post, start_on, end_on, days_per_month, created_at \
                   FROM placements WHERE engagement_id = $1";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(engagement_id).fetch_optional(pool).await?),
        )
    }

    /// Registers or updates a broker's fields, keywords and regions.
    pub async fn put_broker(&self, b: &BrokerRow) -> Result<()> {
        let sql = "INSERT INTO brokers (user_id, clusters, keywords, regions, bio, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
                   clusters = excluded.clusters, keywords = excluded.keywords, regions = excluded.regions, \
                   bio = excluded.bio, updated_at = excluded.updated_at";
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        dispatch_write!(self, pool => sqlx::query(sql)
            .bind(b.user_id)
            .bind(json(&b.clusters))
            .bind(json(&b.keywords))
            .bind(json(&b.regions))
            .bind(&b.bio)
            .bind(self.now_ts())
            .execute(pool)
            .await?.rows_affected());
        Ok(())
    }

    /// One broker's declared fields, if it registered them.
    pub async fn broker(&self, user_id: i64) -> Result<Option<BrokerRow>> {
        let sql =
            "SELECT user_id, clusters, keywords, regions, bio FROM brokers WHERE user_id = $1";
        let row: Option<(i64, String, String, String, String)> =
            dispatch!(self, pool => sqlx::query_as(sql).bind(user_id).fetch_optional(pool).await?);
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        Ok(row.map(|(user_id, c, k, r, bio)| BrokerRow {
            user_id,
            clusters: list(&c),
            keywords: list(&k),
            regions: list(&r),
            bio,
        }))
    }

    /// Every registered broker with the number of open engagements assigned (their load).
    pub async fn brokers(&self, open_stages: &[&str]) -> Result<Vec<(BrokerRow, i64)>> {
        let list: Vec<String> = (0..open_stages.len())
            .map(|i| format!("${}", i + 1))
            .collect();
        let in_open = if list.is_empty() {
            "FALSE".to_string()
        } else {
            format!("e.stage IN ({})", list.join(", "))
        };
        let sql = format!(
            "SELECT b.user_id, b.clusters, b.keywords, b.regions, b.bio, \
             (SELECT COUNT(*) FROM engagements e WHERE e.broker_user = b.user_id AND {in_open}) \
             FROM brokers b ORDER BY b.user_id"
        );
        let rows: Vec<(i64, String, String, String, String, i64)> = dispatch!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for s in open_stages {
                q = q.bind(*s);
            }
            q.fetch_all(pool).await?
        });
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|(user_id, c, k, r, bio, load)| {
                (
                    BrokerRow {
                        user_id,
                        clusters: list(&c),
                        keywords: list(&k),
                        regions: list(&r),
                        bio,
                    },
                    load,
                )
            })
            .collect())
    }

    /// Every relevance label with its demand's confidentiality, by demand then item.
    pub async fn relevance_labels(&self) -> Result<Vec<LabelRow>> {
        let sql = "SELECT l.demand_id, l.item_kind, l.item_id, l.grade, l.engagement_id, d.confidentiality, l.updated_at \
                   FROM relevance_labels l JOIN demands d ON d.id = l.demand_id \
                   ORDER BY l.demand_id, l.item_kind, l.item_id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
