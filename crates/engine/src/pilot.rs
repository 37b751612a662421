//! The chain 实验室—中试线—生产线 as use cases: the pilot-platform and PoC-centre resource library
//! (中试平台供需资源库) with capability search, equipment booking on the one workflow mechanism
//! (`data/workflows/booking.toml`), utilisation and the waiting queue.
//!
//! Rights come from stored facts: a platform's staff are the users of its organization; a
//! booking's requester is the organization that asked. Others see a platform's public entry and,
//! in a calendar, only which periods are taken — never by whom or for what.

pub mod applications;
pub mod booking;
pub mod filings;
pub mod import;
pub mod path;
pub mod schedule;
mod search;
pub mod seeds;
mod types;

use std::collections::BTreeSet;

use model::Region;
use store::{DemandPass, EquipmentRow, PlatformRow, Store};

use crate::engagements::{Actor, Desk};
use crate::{EngineError, Result};

pub use booking::{
    BookingFace, BookingInput, BookingMoveInput, CalendarDay, Slots, UtilisationFace,
};
pub use import::{ImportSummary, EQUIPMENT_SHEET, PLATFORM_SHEET};
pub use search::{EquipmentMatch, PlatformHit, PlatformQuery};
pub(crate) use types::EquipmentDetail;
pub use types::{
    Contact, EquipmentFace, EquipmentInput, Fee, ParamFace, ParamInput, PlatformDetail,
    PlatformFace, PlatformInput, TrackRecord,
};

/// Parties the booking workflow names, and the guards the engine evaluates.
pub const PARTIES: &[&str] = &["requester", "platform", "operator"];
pub const GUARDS: &[&str] = &["reason_given", "period_given", "not_ended"];

/// Most platforms and machines the library holds (search reads them all).
pub const MAX_PLATFORMS: i64 = 5_000;
pub const MAX_EQUIPMENT: i64 = 50_000;
/// Most equipment one platform lists, and parameters one machine carries.
pub const MAX_EQUIPMENT_PER_PLATFORM: usize = 200;
pub const MAX_PARAMETERS: usize = 30;

/// The library: the store, the units and vocabularies, the booking workflow and settings.
pub struct Library {
    pub store: Store,
    pub units: pilot::Units,
    pub vocabulary: pilot::Vocabulary,
    pub booking: flow::Definition,
    pub settings: pilot::BookingSettings,
    /// PoC seed screening (`data/rules/poc.toml`), IP fast track, the path planner, the filing flow.
    pub poc: pilot::poc::PocRules,
    pub fast_track: pilot::ipfast::FastTrack,
    pub path_rules: pilot::path::PathRules,
    pub filing: flow::Definition,
    pub poc_application: flow::Definition,
    terms: search::TermCache,
    /// Notices go out as the engagement desk sends them (inbox, e-mail, webhook).
    pub(crate) deals: Desk,
    /// Cluster and chain-node codes of the taxonomy in force (an entry names only known ones).
    clusters: std::collections::HashSet<String>,
    nodes: std::collections::HashSet<String>,
}

pub(crate) fn check_len(field: &str, text: &str, max: usize) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        return Err(EngineError::Input(format!(
            "{field}: {n} characters; keep it to {max}"
        )));
    }
    Ok(())
}

fn one_of(field: &str, value: &str, allowed: &[String]) -> Result<()> {
    if allowed.iter().any(|a| a == value) {
        return Ok(());
    }
    Err(EngineError::Input(format!(
        "{field}: `{value}` is not one of {}",
        allowed.join(", ")
    )))
}

/// Today in Beijing on the store's clock.
pub(crate) fn seeds_today(store: &Store) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(store.now_ts() + 8 * 3600, 0)
        .unwrap_or_default()
        .date_naive()
}

/// Whether a region code is in Chongqing.
pub fn is_local(region_code: Option<&str>) -> bool {
    region_code
        .and_then(Region::lookup)
        .is_some_and(|r| r.tier() == model::RegionTier::Chongqing)
}

impl Library {
    pub fn new(store: Store, platform: DemandPass, email: bool) -> Result<Library> {
        let booking = flow::Definition::load("booking.toml", flow::BOOKING, PARTIES, GUARDS)
            .map_err(|e| EngineError::Setup(e.to_string()))?;
        Ok(Library {
            store: store.clone(),
            units: pilot::Units::shipped(),
            vocabulary: pilot::Vocabulary::shipped(),
            booking,
            settings: pilot::BookingSettings::shipped(),
            poc: pilot::poc::PocRules::shipped(),
            fast_track: pilot::ipfast::FastTrack::shipped(),
            path_rules: pilot::path::PathRules::shipped(),
            filing: flow::Definition::load(
                "ip_filing.toml",
                flow::IP_FILING,
                &["applicant", "operator"],
                &["eligible"],
            )
            .map_err(|e| EngineError::Setup(e.to_string()))?,
            poc_application: flow::Definition::load(
                "poc_application.toml",
                flow::POC_APPLICATION,
                &["centre", "sender"],
                &["reason_given"],
            )
            .map_err(|e| EngineError::Setup(e.to_string()))?,
            terms: Default::default(),
            deals: Desk::new(store.clone(), platform, email)?,
            clusters: Default::default(),
            nodes: Default::default(),
        }
        .with_taxonomy(&chain::Taxonomy::shipped().map_err(|e| EngineError::Setup(e.to_string()))?))
    }

    /// The taxonomy whose cluster and node codes entries may name (an edited one replaces the
    /// shipped one where the server runs with it).
    pub fn with_taxonomy(mut self, t: &chain::Taxonomy) -> Library {
        self.clusters = t.clusters.iter().map(|c| c.code.clone()).collect();
        self.nodes = t.nodes().map(|n| n.code.clone()).collect();
        self
    }

    /// The weekday of a Beijing midnight (0 Monday … 6 Sunday).
    pub fn weekday(midnight: i64) -> i64 {
        ((midnight + pilot::calendar::BEIJING).div_euclid(24 * 3600) + 3).rem_euclid(7)
    }

    /// Whether the actor is the platform's staff or an operator.
    pub fn is_staff(actor: Option<&Actor>, p: &PlatformRow) -> bool {
        actor.is_some_and(|a| a.operator || a.org == Some(p.org_id))
    }

    pub(crate) async fn platform_row(&self, id: i64) -> Result<PlatformRow> {
        self.store
            .platform(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("no platform #{id}")))
    }

    /// Checks and normalizes an entry's fields.
    pub fn fields(&self, req: &PlatformInput) -> Result<store::PlatformFields> {
        let v = &self.vocabulary;
        one_of("kind", &req.kind, &v.types)?;
        one_of("form", &req.form, &v.forms)?;
        one_of("level", &req.level, &v.levels)?;
        if !req.field.is_empty() {
            one_of("field", &req.field, &v.fields)?;
        }
        if !(1..=9).contains(&req.trl_in) || !(req.trl_in..=9).contains(&req.trl_out) {
            return Err(EngineError::Input(
                "trl_in, trl_out: give levels 1–9 with trl_in ≤ trl_out (e.g. 4 → 7)".into(),
            ));
        }
        check_len("cluster", &req.cluster, 40)?;
        if !req.cluster.is_empty() && !self.clusters.contains(req.cluster.trim()) {
            return Err(EngineError::Input(format!(
                "cluster: `{}` is not a 33618 cluster code of the chain taxonomy (e.g. AM, BIO, EIM)",
                req.cluster
            )));
        }
        if let Some(n) = req
            .detail
            .chain_nodes
            .iter()
            .find(|n| !self.nodes.contains(n.as_str()))
        {
            return Err(EngineError::Input(format!(
                "detail.chain_nodes: `{n}` is not a chain node of the taxonomy (see /chains)"
            )));
        }
        let d = &req.detail;
        check_len("detail.summary", &d.summary, 4_000)?;
        check_len("detail.host_org", &d.host_org, 200)?;
        check_len("detail.recognition_no", &d.recognition_no, 200)?;
        if !d.construction_mode.is_empty() {
            one_of(
                "detail.construction_mode",
                &d.construction_mode,
                &v.construction_modes,
            )?;
        }
        for (name, list, allowed) in [
            ("detail.services", &d.services, &v.services),
            ("detail.service_modes", &d.service_modes, &v.service_modes),
            ("detail.alliances", &d.alliances, &v.alliances),
        ] {
            let distinct: std::collections::HashSet<&String> = list.iter().collect();
            if distinct.len() != list.len() || list.len() > allowed.len() {
                return Err(EngineError::Input(format!("{name}: name each code once")));
            }
        }
        for s in &d.services {
            one_of("detail.services", s, &v.services)?;
        }
        for s in &d.service_modes {
            one_of("detail.service_modes", s, &v.service_modes)?;
        }
        for a in &d.alliances {
            one_of("detail.alliances", a, &v.alliances)?;
        }
        for (name, list, max) in [
            ("detail.co_builders", &d.co_builders, 20),
            ("detail.chain_nodes", &d.chain_nodes, 50),
            ("detail.qualifications", &d.qualifications, 30),
        ] {
            if list.len() > max {
                return Err(EngineError::Input(format!("{name}: at most {max}")));
            }
            for x in list {
                check_len(name, x, 200)?;
            }
        }
        if d.fees.len() > 50 || d.contacts.len() > 10 {
            return Err(EngineError::Input(
                "detail: at most 50 fee lines and 10 contacts".into(),
            ));
        }
        for (i, f) in d.fees.iter().enumerate() {
            let n = i + 1;
            check_len(&format!("detail.fees[{n}].item"), &f.item, 200)?;
            one_of(&format!("detail.fees[{n}].unit"), &f.unit, &v.fee_units)?;
            let ok = |x: i64| (0..=100_000_000_000).contains(&x);
            if !ok(f.fen) || f.sme_fen.is_some_and(|x| !ok(x)) {
                return Err(EngineError::Input(format!(
                    "detail.fees[{n}]: give integer fen from 0 to 10^11"
                )));
            }
        }
        for (i, c) in d.contacts.iter().enumerate() {
            let n = i + 1;
            for (f, x) in [
                ("name", &c.name),
                ("role", &c.role),
                ("phone", &c.phone),
                ("email", &c.email),
            ] {
                check_len(&format!("detail.contacts[{n}].{f}"), x, 100)?;
            }
        }
        if let Some(vu) = &d.valid_until {
            chrono::NaiveDate::parse_from_str(vu, "%Y-%m-%d").map_err(|_| {
                EngineError::Input(format!(
                    "detail.valid_until: `{vu}` is not a date; write it as YYYY-MM-DD"
                ))
            })?;
        }
        let detail = serde_json::to_string(d).map_err(|e| EngineError::Input(e.to_string()))?;
        Ok(store::PlatformFields {
            kind: req.kind.clone(),
            form: req.form.clone(),
            level: req.level.clone(),
            field: req.field.clone(),
            cluster: req.cluster.trim().to_string(),
            region_code: None,
            trl_in: req.trl_in,
            trl_out: req.trl_out,
            search_text: [
                d.summary.as_str(),
                &d.host_org,
                &d.qualifications.join(" "),
                &d.chain_nodes.join(" "),
            ]
            .join(" "),
            detail,
        })
    }

    /// Checks and normalizes equipment.
    pub fn equipment_fields(&self, req: &EquipmentInput) -> Result<store::EquipmentFields> {
        let name = req.name.trim().to_string();
        if name.is_empty() {
            return Err(EngineError::Input("name: name the equipment".into()));
        }
        check_len("name", &name, 200)?;
        check_len("model", &req.model, 200)?;
        check_len("capacity", &req.capacity, 500)?;
        check_len("batch_size", &req.batch_size, 500)?;
        let hours = pilot::Hours::parse(&req.hours)
            .map_err(|e| EngineError::Input(format!("hours: {e}")))?;
        if req.parameters.len() > MAX_PARAMETERS {
            return Err(EngineError::Input(format!(
                "parameters: at most {MAX_PARAMETERS}"
            )));
        }
        for (i, p) in req.parameters.iter().enumerate() {
            check_len(&format!("parameters[{}].name", i + 1), &p.name, 100)?;
            check_len(&format!("parameters[{}].unit", i + 1), &p.unit, 20)?;
            self.units
                .measure(&p.name, p.value, &p.unit)
                .map_err(|e| EngineError::Input(format!("parameters[{}]: {e}", i + 1)))?;
        }
        if req
            .fee_fen_per_hour
            .is_some_and(|f| !(0..=100_000_000_000).contains(&f))
        {
            return Err(EngineError::Input(
                "fee_fen_per_hour: give integer fen from 0 to 10^11".into(),
            ));
        }
        let detail = EquipmentDetail {
            parameters: req.parameters.clone(),
            capacity: req.capacity.clone(),
            batch_size: req.batch_size.clone(),
            fee_fen_per_hour: req.fee_fen_per_hour,
        };
        let params: Vec<&str> = req.parameters.iter().map(|p| p.name.as_str()).collect();
        Ok(store::EquipmentFields {
            search_text: format!(
                "{name} {} {} {} {}",
                req.model,
                params.join(" "),
                req.capacity,
                req.batch_size
            ),
            name,
            model: req.model.trim().to_string(),
            hours: hours.describe(),
            auto_confirm: req.auto_confirm,
            active: req.active,
            detail: serde_json::to_string(&detail)
                .map_err(|e| EngineError::Input(e.to_string()))?,
        })
    }

    /// Edits a platform's entry: its staff or an operator, at the version they read.
    pub async fn edit(&self, actor: &Actor, id: i64, req: &PlatformInput) -> Result<PlatformFace> {
        let p = self.platform_row(id).await?;
        if !Self::is_staff(Some(actor), &p) {
            return Err(EngineError::Forbidden(
                "only the platform's own staff and the operators edit its entry".into(),
            ));
        }
        // Type, form, level and cluster are the recognition's: only operators change them.
        let req = if actor.operator {
            req.clone()
        } else {
            PlatformInput {
                kind: p.kind.clone(),
                form: p.form.clone(),
                level: p.level.clone(),
                cluster: p.cluster.clone(),
                ..req.clone()
            }
        };
        let mut f = self.fields(&req)?;
        f.region_code = p.region_code.clone();
        let Some(version) = req.version else {
            return Err(EngineError::Input(
                "version: give the version you read (from GET /api/v1/platforms/{id})".into(),
            ));
        };
        match self
            .store
            .edit_platform(id, version, &f, &actor.username)
            .await?
        {
            store::Written::Done(_) => {}
            store::Written::Stale => {
                return Err(EngineError::Conflict(format!(
                    "platform #{id} changed since you read it; reload it and try again"
                )))
            }
            _ => return Err(EngineError::NotFound(format!("no platform #{id}"))),
        }
        self.show(Some(actor), id).await
    }

    /// Adds or replaces (by name) a machine of a platform: its staff or an operator.
    pub async fn save_equipment(
        &self,
        actor: &Actor,
        platform_id: i64,
        req: &EquipmentInput,
    ) -> Result<EquipmentFace> {
        let p = self.platform_row(platform_id).await?;
        if !Self::is_staff(Some(actor), &p) {
            return Err(EngineError::Forbidden(
                "only the platform's own staff and the operators edit its equipment".into(),
            ));
        }
        let f = self.equipment_fields(req)?;
        let existing = self.store.equipment_of(platform_id).await?;
        if existing.len() >= MAX_EQUIPMENT_PER_PLATFORM
            && !existing.iter().any(|e| e.name == f.name)
        {
            return Err(EngineError::Input(format!(
                "a platform lists at most {MAX_EQUIPMENT_PER_PLATFORM} machines"
            )));
        }
        let id = self
            .store
            .upsert_equipment(platform_id, &f, &actor.username)
            .await?
            .id();
        let row = self
            .store
            .equipment(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("no equipment #{id}")))?;
        Ok(self.equipment_face(&row))
    }

    pub(crate) fn equipment_detail(row: &EquipmentRow) -> EquipmentDetail {
        serde_json::from_str(&row.detail).unwrap_or_default()
    }

    pub fn equipment_face(&self, row: &EquipmentRow) -> EquipmentFace {
        let d = Self::equipment_detail(row);
        EquipmentFace {
            id: row.id,
            platform_id: row.platform_id,
            name: row.name.clone(),
            model: row.model.clone(),
            hours: row.hours.clone(),
            auto_confirm: row.auto_confirm != 0,
            active: row.active != 0,
            parameters: d
                .parameters
                .iter()
                .map(|p| ParamFace {
                    name: p.name.clone(),
                    param: self.units.parameter(&p.name).map(|x| x.id.clone()),
                    value: p.value,
                    unit: self
                        .units
                        .unit(&p.unit)
                        .map_or_else(|| p.unit.clone(), |u| u.symbol.clone()),
                })
                .collect(),
            capacity: d.capacity,
            batch_size: d.batch_size,
            fee_fen_per_hour: d.fee_fen_per_hour,
        }
    }

    pub(crate) fn detail_of(p: &PlatformRow) -> PlatformDetail {
        serde_json::from_str(&p.detail).unwrap_or_default()
    }

    /// Whether the actor may read the entry's private contact details: its staff and operators,
    /// and organizations that booked it (introduced by the booking).
    async fn sees_contacts(&self, actor: Option<&Actor>, p: &PlatformRow) -> Result<bool> {
        if Self::is_staff(actor, p) {
            return Ok(true);
        }
        let Some(org) = actor.and_then(|a| a.org) else {
            return Ok(false);
        };
        Ok(self
            .store
            .bookings_of_org(org, 200)
            .await?
            .iter()
            .any(|b| b.platform_id == p.id && b.status == "confirmed"))
    }

    /// The entry as its reader sees it.
    pub fn face(
        &self,
        p: &PlatformRow,
        equipment: &[EquipmentRow],
        staff: bool,
        contacts: bool,
    ) -> PlatformFace {
        let mut detail = Self::detail_of(p);
        if !contacts {
            for c in &mut detail.contacts {
                if !c.public {
                    c.phone.clear();
                    c.email.clear();
                }
            }
        }
        let local = is_local(p.region_code.as_deref());
        PlatformFace {
            id: p.id,
            org_id: p.org_id,
            name: p.org_name.clone(),
            kind: p.kind.clone(),
            form: p.form.clone(),
            level: p.level.clone(),
            field: p.field.clone(),
            cluster: p.cluster.clone(),
            region_code: p.region_code.clone(),
            local,
            alliance: !local && !detail.alliances.is_empty(),
            trl_in: p.trl_in,
            trl_out: p.trl_out,
            detail,
            equipment: equipment
                .iter()
                .filter(|e| staff || e.active != 0)
                .map(|e| self.equipment_face(e))
                .collect(),
            version: p.version,
            staff,
        }
    }

    /// One entry with its equipment.
    pub async fn show(&self, actor: Option<&Actor>, id: i64) -> Result<PlatformFace> {
        let p = self.platform_row(id).await?;
        let equipment = self.store.equipment_of(id).await?;
        let staff = Self::is_staff(actor, &p);
        let contacts = self.sees_contacts(actor, &p).await?;
        Ok(self.face(&p, &equipment, staff, contacts))
    }

    /// The platform whose staff the actor is.
    pub async fn mine(&self, actor: &Actor) -> Result<Option<PlatformRow>> {
        match actor.org {
            Some(org) => Ok(self.store.platform_of_org(org).await?),
            None => Ok(None),
        }
    }

    /// The actor's parties in a booking of platform `p`.
    pub(crate) fn parties(
        actor: &Actor,
        p: &PlatformRow,
        requester_org: Option<i64>,
    ) -> BTreeSet<&'static str> {
        let mut s = BTreeSet::new();
        if actor.org.is_some() && actor.org == requester_org {
            s.insert("requester");
        }
        if actor.org == Some(p.org_id) {
            s.insert("platform");
        }
        if actor.operator {
            s.insert("operator");
        }
        s
    }
}
