//! The conversion path of one outcome (实验室—中试线—生产线): the facts gathered from the library,
//! the calendars, the matching engine, the filings and the credit evaluations the reader may see,
//! then decided by `pilot::path` (data/pilot/path.toml) into ranked steps with a reason each and the
//! bottleneck named. Credit grades and unpublished filings enter only for readers who may see them,
//! so the bottleneck never reveals what the reader may not read.

use model::{Record, RecordKind};
use pilot::calendar::HOUR;
use pilot::path::{AdopterFact, CentreFact, MachineFact, PathFacts, Step};
use store::CreditPass;

use super::seeds::ScreenContext;
use super::Library;
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// A path as its reader sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PathFace {
    pub outcome_id: i64,
    pub title: String,
    pub trl: Option<u8>,
    pub target_trl: u8,
    /// Steps in order: `poc`, `ip`, `pilot`, `adopter`, `financing`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub steps: Vec<Step>,
    pub bottleneck: Option<String>,
    /// The machine chosen for the pilot (its name), when there is one.
    pub equipment: Option<String>,
    /// Alternatives: other machines that fit, earliest first (platform, machine, earliest start).
    pub alternatives: Vec<(i64, String, String, Option<i64>)>,
}

impl Library {
    /// Plans an outcome's path for `actor` (anyone may: the outcome and the library are public),
    /// with the credit evaluations `credit` opens.
    pub async fn path(
        &self,
        actor: Option<&Actor>,
        outcome: i64,
        cx: &ScreenContext<'_>,
        credit: &[CreditPass],
    ) -> Result<PathFace> {
        let missing = || EngineError::NotFound(format!("no outcome #{outcome}"));
        let s = self
            .store
            .get(RecordKind::Outcome, outcome)
            .await?
            .ok_or_else(missing)?;
        let Record::Outcome(o) = s.record else {
            return Err(missing());
        };
        let r = &self.path_rules;
        let trl = o.trl.map(|t| t.get());
        let now = self.store.now_ts();
        let platforms = self.store.platforms(super::MAX_PLATFORMS).await?;
        // The outcome's clusters: declared, or those of the chain nodes the chain map put it on.
        let mut clusters = o.clusters.clone();
        for a in self.store.chain_assignments_of("outcome", outcome).await? {
            if let Some(c) = a.node.split('.').next() {
                if !clusters.iter().any(|x| x == c) {
                    clusters.push(c.to_string());
                }
            }
        }
        let fits_cluster =
            |p: &store::PlatformRow| clusters.is_empty() || clusters.contains(&p.cluster);
        // PoC centres that take the outcome's TRL.
        let apps = self.store.poc_applications(None, None).await?;
        let centres = platforms
            .iter()
            .filter(|p| {
                p.kind == "poc_centre"
                    && trl.is_none_or(|t| p.trl_in <= i64::from(t) && i64::from(t) <= p.trl_out)
            })
            .map(|p| CentreFact {
                id: p.id,
                name: p.org_name.clone(),
                local: super::is_local(p.region_code.as_deref()),
                field_fit: (!p.cluster.is_empty() && fits_cluster(p))
                    || (p.cluster.is_empty() && p.form == "comprehensive"),
                open_applications: apps
                    .iter()
                    .filter(|a| {
                        a.platform_id == p.id && matches!(a.status.as_str(), "sent" | "accepted")
                    })
                    .count() as u32,
            })
            .collect();
        // Machines of pilot platforms serving the field that take the outcome in and bring it to the
        // target, meeting the field's capability needs, with their earliest free run.
        let filters = r
            .filters_for(&clusters)
            .iter()
            .filter_map(|f| self.units.filter(f).ok())
            .collect::<Vec<_>>();
        let horizon = now + r.horizon_days * 24 * HOUR;
        let mut machines = vec![];
        for p in platforms.iter().filter(|p| {
            p.kind != "poc_centre"
                && fits_cluster(p)
                && p.trl_out >= i64::from(r.target_trl)
                && trl.is_none_or(|t| p.trl_in <= i64::from(t) + 1)
        }) {
            let detail = Self::detail_of(p);
            let local = super::is_local(p.region_code.as_deref());
            for e in self
                .store
                .equipment_of(p.id)
                .await?
                .into_iter()
                .filter(|e| e.active != 0)
            {
                let d = Self::equipment_detail(&e);
                let measures: Vec<pilot::Measure> = d
                    .parameters
                    .iter()
                    .filter_map(|x| self.units.measure(&x.name, x.value, &x.unit).ok())
                    .collect();
                if !filters.iter().all(|f| measures.iter().any(|m| f.passes(m))) {
                    continue;
                }
                let hours = pilot::Hours::parse(&e.hours).unwrap_or(pilot::Hours::Always);
                let busy: Vec<(i64, i64)> = self
                    .store
                    .bookings_between(e.id, -1, &store::HOLDING, now, horizon)
                    .await?
                    .iter()
                    .map(|b| (b.starts_at, b.ends_at))
                    .collect();
                let earliest =
                    pilot::calendar::earliest_free(&hours, &busy, now, r.run_hours * HOUR, horizon)
                        .map(|x| x.0);
                machines.push(MachineFact {
                    platform_id: p.id,
                    platform: p.org_name.clone(),
                    equipment_id: e.id,
                    equipment: e.name.clone(),
                    local,
                    alliance: !local && !detail.alliances.is_empty(),
                    earliest,
                    cost_fen: d.fee_fen_per_hour.map(|f| f.saturating_mul(r.run_hours)),
                });
            }
        }
        // Adopters from the matching engine, local first, with credit where the reader may see it.
        let answer =
            crate::matching::adopters(&self.store, cx.engines, cx.ranking, outcome, vec![], 5)
                .await?;
        let mut adopters = vec![];
        for h in answer.hits {
            let Some(s) = self
                .store
                .get(RecordKind::Organization, h.id as i64)
                .await?
            else {
                continue;
            };
            let Record::Organization(org) = s.record else {
                continue;
            };
            let local = org
                .region
                .as_ref()
                .is_some_and(|r| r.tier() == model::RegionTier::Chongqing);
            let uscc = org.uscc.as_ref().map(|u| u.to_string());
            let credit = match uscc
                .as_deref()
                .filter(|u| credit.iter().any(|p| p.opens(u)))
            {
                Some(u) => {
                    let pass = credit
                        .iter()
                        .find(|p| p.opens(u))
                        .expect("a pass that opens it");
                    let latest = self
                        .store
                        .credit_evaluations(pass)
                        .await?
                        .into_iter()
                        .find(|e| e.uscc == u);
                    // No evaluation, or one without a grade (not eligible): unrated.
                    Some(latest.and_then(|e| {
                        let line = serde_json::from_str::<serde_json::Value>(&e.result)
                            .ok()?
                            .get("credit_line_yuan")?
                            .as_i64()?;
                        Some((e.grade?, line.saturating_mul(100)))
                    }))
                }
                None => None,
            };
            adopters.push(AdopterFact {
                org_id: s.id,
                name: org.name,
                local,
                credit,
            });
        }
        // IP: the filings when the reader may see them; else the outcome's public patent number.
        let sees_filings = match actor {
            Some(a) if a.operator || a.official => true,
            Some(a) => match a.org {
                Some(org) => o.owners.contains(&self.deals.org_face(org).await?.name),
                None => false,
            },
            None => false,
        };
        let ip = if sees_filings {
            match self.ip_of(outcome, &o).await?.0 {
                pilot::poc::IpRight::GrantedInvention | pilot::poc::IpRight::UtilityModel => {
                    "granted"
                }
                pilot::poc::IpRight::Application => "pending",
                pilot::poc::IpRight::None => "none",
            }
        } else if o.patent_no.is_some() {
            "pending"
        } else {
            "none"
        };
        let ipc: Vec<String> = o.ipc.iter().map(|c| c.as_str().to_string()).collect();
        let facts = PathFacts {
            trl,
            now,
            centres,
            machines: machines.clone(),
            adopters,
            ip: ip.into(),
            fast_track_eligible: self.fast_track.industry_of(&ipc).is_some(),
        };
        let plan = r.plan(&facts, |t| super::booking::beijing(t)[..10].to_string());
        let chosen = plan
            .steps
            .iter()
            .find(|s| s.step == "pilot")
            .and_then(|s| s.equipment_id);
        let mut alternatives: Vec<&MachineFact> = machines
            .iter()
            .filter(|m| Some(m.equipment_id) != chosen && m.earliest.is_some())
            .collect();
        alternatives.sort_by_key(|m| (m.earliest, !m.local));
        Ok(PathFace {
            outcome_id: outcome,
            title: o.title.clone(),
            trl,
            target_trl: r.target_trl,
            equipment: chosen
                .and_then(|id| machines.iter().find(|m| m.equipment_id == id))
                .map(|m| m.equipment.clone()),
            alternatives: alternatives
                .into_iter()
                .take(5)
                .map(|m| {
                    (
                        m.equipment_id,
                        m.platform.clone(),
                        m.equipment.clone(),
                        m.earliest,
                    )
                })
                .collect(),
            steps: plan.steps,
            bottleneck: plan.bottleneck,
        })
    }
}
