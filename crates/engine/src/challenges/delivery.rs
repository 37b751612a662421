//! What happens between the moves after review: objections during the public notice and their
//! resolution, the task book's milestones with tranches, reports and the end user's decisions (a
//! horse-race team stops at a failed milestone), and the market records (市场阅卷). Each is one
//! store write that checks the challenge's stage in its transaction.

use store::{ChallengeOp, Written};

use super::{check_len, parse_date, written, Board, ChallengeView};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// An objection during the public notice (异议).
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    /// The winning application it concerns, if one.
    #[serde(default)]
    pub application_id: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub body: String,
}

/// The operator's resolution of an objection.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `upheld` or `dismissed`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(upheld|dismissed)$"))]
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub resolution: String,
}

/// A winner's milestones (replacing those still pending).
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub application_id: i64,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20))]
    pub milestones: Vec<MilestoneItem>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MilestoneItem {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// YYYY-MM-DD.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_on: String,
    /// The deliverable metric checked at this milestone.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000))]
    pub metric: String,
    /// The funding tranche released on acceptance, integer fen.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 100000000000000_i64)
    )]
    pub tranche_fen: i64,
}

impl Board {
    /// Anyone signed in may object during the public notice (异议渠道).
    pub async fn object(
        &self,
        actor: &Actor,
        id: i64,
        req: &ObjectionInput,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        if c.stage != "notice" {
            return Err(EngineError::Conflict(
                "objections are taken during the public notice".into(),
            ));
        }
        let body = req.body.trim();
        if body.is_empty() {
            return Err(EngineError::Input(
                "body: say what you object to and why".into(),
            ));
        }
        check_len("body", body, 2_000)?;
        let file = self.store.challenge_file(id).await?;
        if let Some(a) = req.application_id {
            if !file
                .applications
                .iter()
                .any(|x| x.id == a && x.result.as_deref() == Some("winner"))
            {
                return Err(EngineError::Input(format!(
                    "application_id: #{a} is not a winner on notice"
                )));
            }
        }
        let mine = file
            .objections
            .iter()
            .filter(|o| o.by_user == actor.user_id)
            .count();
        if mine >= 5 {
            return Err(EngineError::Limited(
                "you filed 5 objections on this challenge; wait for their resolution".into(),
            ));
        }
        let ops = self.store.users_with_role("platform_operator").await?;
        let op_ids: Vec<i64> = ops.iter().map(|u| u.id).collect();
        let notify = self
            .deals
            .notices(&[], &op_ids, actor.user_id, "challenge_objection")
            .await?;
        let w = self
            .change(
                actor,
                id,
                vec!["notice".into()],
                ChallengeOp::Object {
                    application_id: req.application_id,
                    by: actor.user_id,
                    body: body.into(),
                },
                (
                    "challenge_objection",
                    format!(
                        "objection to {}",
                        req.application_id
                            .map_or("the notice".into(), |a| format!("application #{a}"))
                    ),
                ),
                notify,
            )
            .await?;
        written(w, id, "an objection")?;
        self.show(Some(actor), id).await
    }

    /// The operator resolves an objection (upheld: the operator then sends the notice back to review).
    pub async fn resolve(
        &self,
        actor: &Actor,
        id: i64,
        objection: i64,
        req: &ResolveInput,
    ) -> Result<ChallengeView> {
        self.challenge_for(Some(actor), id).await?;
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "the operators resolve objections".into(),
            ));
        }
        if req.status != "upheld" && req.status != "dismissed" {
            return Err(EngineError::Input(
                "status: use `upheld` or `dismissed`".into(),
            ));
        }
        let text = req.resolution.trim();
        if text.is_empty() {
            return Err(EngineError::Input(
                "resolution: say how it was resolved".into(),
            ));
        }
        check_len("resolution", text, 2_000)?;
        let w = self
            .change(
                actor,
                id,
                vec!["notice".into()],
                ChallengeOp::Resolve {
                    objection_id: objection,
                    status: req.status.clone(),
                    resolution: text.into(),
                    by: actor.user_id,
                },
                (
                    "objection_resolve",
                    format!("objection #{objection} {}", req.status),
                ),
                vec![],
            )
            .await?;
        match w {
            Written::Missing => Err(EngineError::NotFound(format!(
                "no open objection #{objection} on this challenge"
            ))),
            other => {
                written(other, id, "resolving")?;
                self.show(Some(actor), id).await
            }
        }
    }

    /// Sets a winner's milestones (the task book: operator or poster, at notice or contracted).
    pub async fn set_milestones(
        &self,
        actor: &Actor,
        id: i64,
        req: &MilestoneInput,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let parties = self.parties(Some(actor), &c);
        if !parties.contains("operator") && !parties.contains("poster") {
            return Err(EngineError::Forbidden(
                "the task book is set by the operators or the poster".into(),
            ));
        }
        let file = self.store.challenge_file(id).await?;
        let winner = file.applications.iter().any(|a| {
            a.id == req.application_id
                && (a.result.as_deref() == Some("winner")
                    || (c.kind == "scenario" && a.status == "submitted"))
        });
        if !winner {
            return Err(EngineError::Input(format!(
                "application_id: #{} is not a winner of this challenge",
                req.application_id
            )));
        }
        if req.milestones.is_empty() || req.milestones.len() > self.settings.max_milestones {
            return Err(EngineError::Input(format!(
                "milestones: give 1 to {}",
                self.settings.max_milestones
            )));
        }
        let mut list = vec![];
        for (i, m) in req.milestones.iter().enumerate() {
            let n = i + 1;
            if m.title.trim().is_empty() || m.metric.trim().is_empty() {
                return Err(EngineError::Input(format!(
                    "milestones[{n}]: give a title and the metric checked"
                )));
            }
            check_len(
                &format!("milestones[{n}].title"),
                &m.title,
                super::MAX_TITLE,
            )?;
            check_len(&format!("milestones[{n}].metric"), &m.metric, 1_000)?;
            parse_date(&format!("milestones[{n}].due_on"), &m.due_on)?;
            if !(0..=100_000_000_000_000).contains(&m.tranche_fen) {
                return Err(EngineError::Input(format!(
                    "milestones[{n}].tranche_fen: give 0 to 10^14 fen"
                )));
            }
            list.push((
                m.title.trim().to_string(),
                m.due_on.trim().to_string(),
                m.metric.trim().to_string(),
                m.tranche_fen,
            ));
        }
        let stages = if c.kind == "scenario" {
            vec!["under_review".to_string(), "contracted".into()]
        } else {
            vec!["notice".to_string(), "contracted".into()]
        };
        let w = self
            .change(
                actor,
                id,
                stages,
                ChallengeOp::SetMilestones {
                    application_id: req.application_id,
                    list,
                },
                (
                    "milestones_set",
                    format!(
                        "{} milestones for application #{}",
                        req.milestones.len(),
                        req.application_id
                    ),
                ),
                vec![],
            )
            .await?;
        written(w, id, "setting milestones")?;
        self.show(Some(actor), id).await
    }

    /// A winning team reports a milestone (its lead's users, while the work is in progress).
    pub async fn report_milestone(
        &self,
        actor: &Actor,
        id: i64,
        milestone: i64,
        report: &str,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let file = self.store.challenge_file(id).await?;
        let missing =
            || EngineError::NotFound(format!("no milestone #{milestone} on this challenge"));
        let m = file
            .milestones
            .iter()
            .find(|m| m.id == milestone)
            .ok_or_else(missing)?;
        let a = file
            .applications
            .iter()
            .find(|a| a.id == m.application_id)
            .ok_or_else(missing)?;
        if actor.org != Some(a.lead_org) {
            // Someone with no part in the work learns nothing of its milestones.
            if self.parties(Some(actor), &c).is_empty()
                && !actor
                    .org
                    .is_some_and(|o| Self::orgs_of(&file, a).contains(&o))
            {
                return Err(missing());
            }
            return Err(EngineError::Forbidden(
                "the winning team's lead reports its milestones".into(),
            ));
        }
        if a.result.as_deref() != Some("winner") {
            return Err(EngineError::Conflict("this team was stopped".into()));
        }
        let report = report.trim();
        if report.is_empty() {
            return Err(EngineError::Input(
                "report: say what was delivered against the metric".into(),
            ));
        }
        check_len("report", report, 4_000)?;
        let stage = if c.kind == "scenario" {
            "contracted"
        } else {
            "in_progress"
        };
        let notify = self
            .deals
            .notices(
                &[c.end_user_org.unwrap_or(c.poster_org)],
                &[],
                actor.user_id,
                "challenge_milestone",
            )
            .await?;
        let w = self
            .change(
                actor,
                id,
                vec![stage.into()],
                ChallengeOp::Report {
                    milestone_id: milestone,
                    report: report.into(),
                },
                (
                    "milestone_report",
                    format!("milestone #{milestone} reported"),
                ),
                notify,
            )
            .await?;
        match w {
            Written::Missing => Err(EngineError::Conflict(format!(
                "milestone #{milestone} was already decided"
            ))),
            other => {
                written(other, id, "reporting")?;
                self.show(Some(actor), id).await
            }
        }
    }

    /// The end user accepts or rejects a reported milestone; `stop` ends that team's work (horse race).
    pub async fn decide_milestone(
        &self,
        actor: &Actor,
        id: i64,
        milestone: i64,
        accept: bool,
        note: &str,
        stop: bool,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        if !self.parties(Some(actor), &c).contains("end_user") {
            return Err(EngineError::Forbidden(
                "the end user accepts or rejects milestones".into(),
            ));
        }
        if accept && stop {
            return Err(EngineError::Input(
                "stop: only a rejected milestone stops a team".into(),
            ));
        }
        check_len("note", note, 2_000)?;
        let stage = if c.kind == "scenario" {
            "contracted"
        } else {
            "in_progress"
        };
        let file = self.store.challenge_file(id).await?;
        let app = file
            .milestones
            .iter()
            .find(|m| m.id == milestone)
            .map(|m| m.application_id);
        let orgs: Vec<i64> = app
            .and_then(|a| file.applications.iter().find(|x| x.id == a))
            .map(|a| Self::orgs_of(&file, a))
            .unwrap_or_default();
        let notify = self
            .deals
            .notices(&orgs, &[], actor.user_id, "challenge_milestone")
            .await?;
        let w = self
            .change(
                actor,
                id,
                vec![stage.into()],
                ChallengeOp::Decide {
                    milestone_id: milestone,
                    status: if accept { "accepted" } else { "rejected" }.into(),
                    note: note.trim().into(),
                    by: actor.user_id,
                    stop,
                },
                (
                    "milestone_decide",
                    format!(
                        "milestone #{milestone} {}{}",
                        if accept { "accepted" } else { "rejected" },
                        if stop { "; team stopped" } else { "" }
                    ),
                ),
                notify,
            )
            .await?;
        match w {
            Written::Missing => Err(EngineError::Conflict(format!(
                "milestone #{milestone} is not reported (or not on this challenge)"
            ))),
            other => {
                written(other, id, "deciding")?;
                self.show(Some(actor), id).await
            }
        }
    }

    /// Records market indicators at 6/12/24 months (operators or the end user; after acceptance).
    pub async fn record_market(
        &self,
        actor: &Actor,
        id: i64,
        months: i64,
        figures: &contest::MarketValues,
        note: &str,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let parties = self.parties(Some(actor), &c);
        if !parties.contains("operator") && !parties.contains("end_user") {
            return Err(EngineError::Forbidden(
                "market indicators are recorded by the operators or the end user".into(),
            ));
        }
        if !self.settings.market_months.contains(&months) {
            return Err(EngineError::Input(format!(
                "months: record at {:?} months after acceptance",
                self.settings.market_months
            )));
        }
        let codes = self.market.codes();
        for (k, v) in figures {
            if !codes.contains(&k.as_str()) || *v < 0 {
                return Err(EngineError::Input(format!(
                    "figures.{k}: use {} with values of 0 or more",
                    codes.join(", ")
                )));
            }
        }
        check_len("note", note, 2_000)?;
        let w = self
            .change(
                actor,
                id,
                vec!["accepted".into(), "market_graded".into()],
                ChallengeOp::Market {
                    months,
                    figures: serde_json::to_string(figures).expect("figures serialise"),
                    note: note.trim().into(),
                    by: actor.user_id,
                },
                (
                    "market_record",
                    format!(
                        "market at {months} months: {}",
                        serde_json::to_string(figures).unwrap_or_default()
                    ),
                ),
                vec![],
            )
            .await?;
        written(w, id, "recording the market")?;
        self.show(Some(actor), id).await
    }
}
