//! The pilot-platform and PoC-centre resource library as stored: one entry per registry organization
//! that is a platform, and its bookable equipment. Writes are one transaction with their audit row;
//! an edit names the version it saw. Search is not done here: the library is small (hundreds of
//! platforms, thousands of machines) and the engine filters it in memory with typed parameters.

use crate::audit::{append_audit, AuditEntry};
use crate::{dispatch, dispatch_write, Result, Store, WriteTx, Written};

/// A library entry as stored, with its organization's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlatformRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// `poc_centre`, `pilot_platform` or `pilot_base`.
    pub kind: String,
    pub form: String,
    pub level: String,
    pub field: String,
    pub cluster: String,
    pub region_code: Option<String>,
    pub trl_in: i64,
    pub trl_out: i64,
    /// JSON: services, qualifications, fees, contacts, alliances, track record …
    pub detail: String,
    pub search_text: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const PLATFORM_COLUMNS: &str =
    "p.id, p.org_id, o.name AS org_name, p.type AS kind, p.form, p.level, \
    p.field, p.cluster, p.region_code, p.trl_in, p.trl_out, p.detail, p.search_text, p.version, \
    p.created_at, p.updated_at";

/// What an entry's editor sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformFields {
    pub kind: String,
    pub form: String,
    pub level: String,
    pub field: String,
    pub cluster: String,
    pub region_code: Option<String>,
    pub trl_in: i64,
    pub trl_out: i64,
    pub detail: String,
    pub search_text: String,
}

/// Equipment as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EquipmentRow {
    pub id: i64,
    pub platform_id: i64,
    pub name: String,
    pub model: String,
    /// `24x7` or weekly windows (see `pilot::Hours`).
    pub hours: String,
    pub auto_confirm: i64,
    pub active: i64,
    /// JSON: capability parameters, capacity, batch size, fee.
    pub detail: String,
    pub search_text: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const EQUIPMENT_COLUMNS: &str =
    "id, platform_id, name, model, hours, auto_confirm, active, detail, \
    search_text, created_at, updated_at";

/// What an equipment's editor sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquipmentFields {
    pub name: String,
    pub model: String,
    pub hours: String,
    pub auto_confirm: bool,
    pub active: bool,
    pub detail: String,
    pub search_text: String,
}

/// Whether an upsert created or changed something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Upserted {
    pub fn id(self) -> i64 {
        match self {
            Upserted::Created(i) | Upserted::Updated(i) | Upserted::Unchanged(i) => i,
        }
    }
}

/// An entry as it stands, to tell an unchanged import row from a changed one.
#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    kind: String,
    form: String,
    level: String,
    field: String,
    cluster: String,
    detail: String,
    region_code: Option<String>,
    trl_in: i64,
    trl_out: i64,
    search_text: String,
}

impl Existing {
    fn same_as(&self, f: &PlatformFields) -> bool {
        self.kind == f.kind
            && self.form == f.form
            && self.level == f.level
            && self.field == f.field
            && self.cluster == f.cluster
            && self.detail == f.detail
            && self.region_code == f.region_code
            && self.trl_in == f.trl_in
            && self.trl_out == f.trl_out
            && self.search_text == f.search_text
    }
}

impl Store {
    /// Creates or replaces the library entry of an organization (imports).
    pub async fn upsert_platform(
        &self,
        org_id: i64,
        f: &PlatformFields,
        actor: &str,
    ) -> Result<Upserted> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old: Option<Existing> = sqlx::query_as(
                "SELECT id, type AS kind, form, level, field, cluster, detail, region_code, trl_in, trl_out, \
                 search_text FROM platforms WHERE org_id = $1",
            )
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
            let done = match old {
                Some(o) if o.same_as(f) => return Ok(Upserted::Unchanged(o.id)),
                Some(Existing { id, .. }) => {
                    sqlx::query(
                        "UPDATE platforms SET type = $1, form = $2, level = $3, field = $4, cluster = $5, \
                         region_code = $6, trl_in = $7, trl_out = $8, detail = $9, search_text = $10, \
                         version = version + 1, updated_at = $11 WHERE id = $12",
                    )
                    .bind(&f.kind).bind(&f.form).bind(&f.level).bind(&f.field).bind(&f.cluster)
                    .bind(&f.region_code).bind(f.trl_in).bind(f.trl_out).bind(&f.detail)
                    .bind(&f.search_text).bind(now).bind(id)
                    .execute(&mut *tx).await?;
                    Upserted::Updated(id)
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO platforms (org_id, type, form, level, field, cluster, region_code, \
                         trl_in, trl_out, detail, search_text, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
                    )
                    .bind(org_id).bind(&f.kind).bind(&f.form).bind(&f.level).bind(&f.field)
                    .bind(&f.cluster).bind(&f.region_code).bind(f.trl_in).bind(f.trl_out)
                    .bind(&f.detail).bind(&f.search_text).bind(now)
                    .fetch_one(&mut *tx).await?;
                    Upserted::Created(id)
                }
            };
            let action = if matches!(done, Upserted::Created(_)) { "platform_create" } else { "platform_update" };
            append_audit!(tx, [AuditEntry::new(actor, action, "platform", Some(done.id()), &f.kind)]);
            tx.commit().await?;
            Ok(done)
        })
    }

    /// Replaces an entry's fields at `version` (its staff or an operator editing it).
    pub async fn edit_platform(
        &self,
        id: i64,
        version: i64,
        f: &PlatformFields,
        actor: &str,
    ) -> Result<Written> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE platforms SET type = $1, form = $2, level = $3, field = $4, cluster = $5, \
                 region_code = $6, trl_in = $7, trl_out = $8, detail = $9, search_text = $10, \
                 version = version + 1, updated_at = $11 WHERE id = $12 AND version = $13",
            )
            .bind(&f.kind).bind(&f.form).bind(&f.level).bind(&f.field).bind(&f.cluster)
            .bind(&f.region_code).bind(f.trl_in).bind(f.trl_out).bind(&f.detail)
            .bind(&f.search_text).bind(now).bind(id).bind(version)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM platforms WHERE id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?;
                return Ok(if exists.is_some() { Written::Stale } else { Written::Missing });
            }
            append_audit!(tx, [AuditEntry::new(actor, "platform_edit", "platform", Some(id), &f.kind)]);
            tx.commit().await?;
            Ok(Written::Done(id))
        })
    }

    pub async fn platform(&self, id: i64) -> Result<Option<PlatformRow>> {
        let sql = format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms p JOIN organizations o ON o.id = p.org_id WHERE p.id = $1"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The entry of an organization (its staff's platform).
    pub async fn platform_of_org(&self, org_id: i64) -> Result<Option<PlatformRow>> {
        let sql = format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms p JOIN organizations o ON o.id = p.org_id WHERE p.org_id = $1"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(org_id).fetch_optional(pool).await?))
    }

    /// Every entry (at most `limit`), by id.
    pub async fn platforms(&self, limit: i64) -> Result<Vec<PlatformRow>> {
        let sql = format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms p JOIN organizations o ON o.id = p.org_id ORDER BY p.id LIMIT $1"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?))
    }

    /// Creates or replaces a platform's equipment by name (imports and the editing form).
    pub async fn upsert_equipment(
        &self,
        platform_id: i64,
        f: &EquipmentFields,
        actor: &str,
    ) -> Result<Upserted> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old: Option<(i64, String, String, i64, i64, String)> = sqlx::query_as(
                "SELECT id, model, hours, auto_confirm, active, detail FROM equipment \
                 WHERE platform_id = $1 AND name = $2",
            )
            .bind(platform_id).bind(&f.name)
            .fetch_optional(&mut *tx).await?;
            let done = match old {
                Some((id, model, hours, auto, active, detail))
                    if model == f.model && hours == f.hours && auto == i64::from(f.auto_confirm)
                        && active == i64::from(f.active) && detail == f.detail =>
                {
                    return Ok(Upserted::Unchanged(id));
                }
                Some((id, ..)) => {
                    sqlx::query(
                        "UPDATE equipment SET model = $1, hours = $2, auto_confirm = $3, active = $4, \
                         detail = $5, search_text = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(&f.model).bind(&f.hours).bind(i64::from(f.auto_confirm))
                    .bind(i64::from(f.active)).bind(&f.detail).bind(&f.search_text).bind(now).bind(id)
                    .execute(&mut *tx).await?;
                    Upserted::Updated(id)
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO equipment (platform_id, name, model, hours, auto_confirm, active, \
                         detail, search_text, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                    )
                    .bind(platform_id).bind(&f.name).bind(&f.model).bind(&f.hours)
                    .bind(i64::from(f.auto_confirm)).bind(i64::from(f.active)).bind(&f.detail)
                    .bind(&f.search_text).bind(now)
                    .fetch_one(&mut *tx).await?;
                    Upserted::Created(id)
                }
            };
            sqlx::query("UPDATE platforms SET updated_at = $1 WHERE id = $2")
                .bind(now).bind(platform_id).execute(&mut *tx).await?;
            let action = if matches!(done, Upserted::Created(_)) { "equipment_create" } else { "equipment_update" };
            append_audit!(tx, [AuditEntry::new(actor, action, "equipment", Some(done.id()), &f.name)]);
            tx.commit().await?;
            Ok(done)
        })
    }

    pub async fn equipment(&self, id: i64) -> Result<Option<EquipmentRow>> {
        let sql = format!("SELECT {EQUIPMENT_COLUMNS} FROM equipment WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// A platform's equipment, by name.
    pub async fn equipment_of(&self, platform_id: i64) -> Result<Vec<EquipmentRow>> {
        let sql = format!(
            "SELECT {EQUIPMENT_COLUMNS} FROM equipment WHERE platform_id = $1 ORDER BY name, id"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(platform_id).fetch_all(pool).await?))
    }

    /// All equipment (at most `limit`), for the capability search.
    pub async fn all_equipment(&self, limit: i64) -> Result<Vec<EquipmentRow>> {
        let sql = format!("SELECT {EQUIPMENT_COLUMNS} FROM equipment ORDER BY id LIMIT $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?))
    }

    /// A registry organization by its exact name: id and region code.
    pub async fn org_by_name(&self, name: &str) -> Result<Option<(i64, Option<String>)>> {
        let sql = "SELECT id, region_code FROM organizations WHERE name = $1 ORDER BY id LIMIT 1";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(name.trim()).fetch_optional(pool).await?),
        )
    }
}
