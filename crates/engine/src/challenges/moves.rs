//! Moving a challenge through its workflow (checked against the definition: the move, the party,
//! each guard from stored facts), and what happens between the moves after review: objections during
//! the public notice, milestones with tranches, reports and decisions (a horse-race team stops at a
//! failed milestone), final acceptance against the target metrics, market records (市场阅卷).

use std::collections::BTreeSet;

use store::{ChallengeFile, ChallengeMove, ChallengeOp, ChallengeRow, ChallengeWrite, Written};

use super::{check_len, parse_date, stale, today, written, Board, ChallengeView};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// One final measurement of a target metric.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// The target metric's name, as the challenge lists it.
    pub name: String,
    pub value: f64,
}

/// The end user's final acceptance (验收).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    pub measurements: Vec<Measurement>,
}

/// A move of a challenge.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub to: String,
    /// The challenge's version as read.
    pub version: i64,
    /// Why (required to terminate, and to send a notice back to review).
    #[serde(default)]
    pub note: Option<String>,
    /// The winners, for the move to `notice` (or a scenario's `contracted`): default the top K;
    /// needed when a tie straddles the cut.
    #[serde(default)]
    pub winners: Option<Vec<i64>>,
    /// Final measurements, for the move to `accepted`.
    #[serde(default)]
    pub acceptance: Option<AcceptanceInput>,
}

/// An objection during the public notice (异议).
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    /// The winning application it concerns, if one.
    #[serde(default)]
    pub application_id: Option<i64>,
    pub body: String,
}

/// The operator's resolution of an objection.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `upheld` or `dismissed`.
    pub status: String,
    pub resolution: String,
}

/// A winner's milestones (replacing those still pending).
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub application_id: i64,
    pub milestones: Vec<MilestoneItem>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MilestoneItem {
    pub title: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// The deliverable metric checked at this milestone.
    pub metric: String,
    /// The funding tranche released on acceptance, integer fen.
    #[serde(default)]
    pub tranche_fen: i64,
}

fn refusal(r: flow::Refusal, detail: Option<String>) -> EngineError {
    match r {
        flow::Refusal::UnknownState(s) => {
            EngineError::Input(format!("to: `{s}` is not a stage of this workflow"))
        }
        flow::Refusal::NotAllowed { from, to } => {
            EngineError::Conflict(format!("a challenge at `{from}` cannot move to `{to}`"))
        }
        flow::Refusal::WrongParty { from, to, by } => EngineError::Forbidden(format!(
            "the move from `{from}` to `{to}` is made by the {}",
            by.join(" or the ")
        )),
        flow::Refusal::Guard(g) => {
            EngineError::Input(detail.unwrap_or_else(|| guard_words(&g).into()))
        }
    }
}

/// What a failing guard asks for.
pub fn guard_words(g: &str) -> &'static str {
    match g {
        "task_defined" => "the task is not complete: give target metrics, the end user, a budget and a deadline in the future (a scenario: its offer and a deadline)",
        "deadline_passed" => "applications stay open until the deadline has passed",
        "applications_in" => "no application was submitted",
        "reviewers_assigned" => "assign the minimum number of reviewers first",
        "scores_complete" => "every reviewer has not yet scored every application they may score",
        "winners_named" => "name the winners",
        "notice_elapsed" => "the public notice has not yet run its days",
        "objections_resolved" => "resolve every open objection first",
        "milestones_set" => "give every winner at least one milestone",
        "milestones_decided" => "every active team's milestones must be accepted first",
        "targets_met" => "the final measurements do not meet every target metric",
        "market_recorded" => "record the market indicators first",
        "reason_given" => "note: say why",
        _ => "a condition of this move is not met",
    }
}

impl Board {
    /// The winners the move names or implies, or why not.
    fn winners(
        &self,
        c: &ChallengeRow,
        file: &ChallengeFile,
        named: Option<&[i64]>,
    ) -> std::result::Result<Vec<i64>, String> {
        let ranking = if c.kind == "scenario" {
            let all: Vec<(i64, i64)> = file
                .applications
                .iter()
                .filter(|a| a.status == "submitted")
                .map(|a| (a.id, 0))
                .collect();
            contest::rank(&all)
        } else {
            let st = self.standings(c, file);
            contest::rank(
                &st.iter()
                    .map(|s| (s.0, s.2.total_centi))
                    .collect::<Vec<_>>(),
            )
        };
        contest::choose_winners(&ranking, c.winners_max as usize, named)
    }

    fn targets_met(
        c: &ChallengeRow,
        acceptance: Option<&AcceptanceInput>,
    ) -> std::result::Result<(), String> {
        let detail = Self::detail_of(c);
        let Some(a) = acceptance else {
            return Err("acceptance: give the final measurement of every target metric".into());
        };
        for t in &detail.targets {
            let Some(m) = a.measurements.iter().find(|m| m.name == t.name) else {
                return Err(format!("acceptance: no measurement of `{}`", t.name));
            };
            let ok = if t.direction == "at_most" {
                m.value <= t.threshold
            } else {
                m.value >= t.threshold
            };
            if !ok || !m.value.is_finite() {
                return Err(format!(
                    "acceptance: `{}` measured {} {}, the target is {} {} {}",
                    t.name,
                    m.value,
                    t.unit,
                    if t.direction == "at_most" {
                        "at most"
                    } else {
                        "at least"
                    },
                    t.threshold,
                    t.unit
                ));
            }
        }
        Ok(())
    }

    /// Makes a move; the challenge as the actor now reads it.
    pub async fn transition(
        &self,
        actor: &Actor,
        id: i64,
        req: &MoveRequest,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        if req.version != c.version {
            return Err(stale(id));
        }
        let note = req.note.clone().unwrap_or_default().trim().to_string();
        check_len("note", &note, 2_000)?;
        let file = self.store.challenge_file(id).await?;
        let flow = self.flow_of(&c);
        let parties = self.parties(Some(actor), &c);
        // Answer a wrong move or a wrong party before computing guards.
        flow.check(&c.stage, &req.to, &parties, |_| true)
            .map_err(|r| refusal(r, None))?;

        let detail = Self::detail_of(&c);
        let today = today(&self.store);
        let deadline = c
            .deadline
            .as_deref()
            .map(|d| parse_date("deadline", d))
            .transpose()?;
        let submitted = file
            .applications
            .iter()
            .filter(|a| a.status == "submitted")
            .count();
        let winners = self.winners(&c, &file, req.winners.as_deref());
        let active: Vec<i64> = file
            .applications
            .iter()
            .filter(|a| a.result.as_deref() == Some("winner"))
            .map(|a| a.id)
            .collect();
        let targets = Self::targets_met(&c, req.acceptance.as_ref());
        let needs_scores = flow
            .check(&c.stage, &req.to, &parties, |g| g != "scores_complete")
            .is_err();
        let scores_complete = if needs_scores {
            self.scores_complete(&c, &file).await?
        } else {
            true
        };
        let task = if c.kind == "scenario" {
            !detail.offer.trim().is_empty()
        } else {
            !detail.targets.is_empty() && c.budget_fen > 0 && c.end_user_org.is_some()
        } && deadline.is_some_and(|d| d >= today);
        let winners_for_milestones: Vec<i64> = match req.to.as_str() {
            // A scenario names its winners with the move to `contracted`.
            "contracted" if c.kind == "scenario" => winners.clone().unwrap_or_default(),
            _ => active.clone(),
        };
        let holds = |g: &str| -> bool {
            match g {
                "task_defined" => task,
                "deadline_passed" => deadline.is_some_and(|d| today > d),
                "applications_in" => submitted > 0,
                "reviewers_assigned" => file.reviewers.len() >= self.settings.min_reviewers,
                "scores_complete" => scores_complete,
                "winners_named" => winners.is_ok(),
                "notice_elapsed" => c
                    .notice_from
                    .is_some_and(|f| self.store.now_ts() >= f + c.notice_days * 86_400),
                "objections_resolved" => !file.objections.iter().any(|o| o.status == "open"),
                "milestones_set" => {
                    !winners_for_milestones.is_empty()
                        && winners_for_milestones
                            .iter()
                            .all(|w| file.milestones.iter().any(|m| m.application_id == *w))
                }
                "milestones_decided" => {
                    !active.is_empty()
                        && active.iter().all(|w| {
                            let mine: Vec<_> = file
                                .milestones
                                .iter()
                                .filter(|m| m.application_id == *w)
                                .collect();
                            !mine.is_empty() && mine.iter().all(|m| m.status == "accepted")
                        })
                }
                "targets_met" => targets.is_ok(),
                "market_recorded" => !file.market.is_empty(),
                "reason_given" => !note.is_empty(),
                _ => false,
            }
        };
        if let Err(r) = flow.check(&c.stage, &req.to, &parties, holds) {
            let detail = match &r {
                flow::Refusal::Guard(g) if g == "winners_named" => {
                    winners.as_ref().err().map(|e| format!("winners: {e}"))
                }
                flow::Refusal::Guard(g) if g == "targets_met" => targets.as_ref().err().cloned(),
                _ => None,
            };
            return Err(refusal(r, detail));
        }
        let set_winners = match (c.stage.as_str(), req.to.as_str(), c.kind.as_str()) {
            ("under_review", "notice", _) | ("under_review", "contracted", "scenario") => {
                Some(winners.unwrap_or_default())
            }
            ("notice", "under_review", _) => Some(vec![]),
            _ => None,
        };
        let mut orgs: BTreeSet<i64> = [c.poster_org].into_iter().chain(c.end_user_org).collect();
        if !matches!(c.stage.as_str(), "draft" | "refining") {
            for a in &file.applications {
                orgs.extend(Self::orgs_of(&file, a));
            }
        }
        let users: Vec<i64> = if req.to == "under_review" {
            file.reviewers.iter().map(|r| r.user_id).collect()
        } else {
            vec![]
        };
        let orgs: Vec<i64> = orgs.into_iter().collect();
        let notify = self
            .deals
            .notices(&orgs, &users, actor.user_id, "challenge_moved")
            .await?;
        let w = self
            .store
            .move_challenge(&ChallengeMove {
                challenge_id: id,
                from: c.stage.clone(),
                to: req.to.clone(),
                version: req.version,
                actor_user: actor.user_id,
                actor: actor.username.clone(),
                note,
                start_notice: req.to == "notice",
                winners: set_winners,
                acceptance: if req.to == "accepted" {
                    req.acceptance
                        .as_ref()
                        .map(|a| serde_json::to_string(a).expect("acceptance serialises"))
                } else {
                    None
                },
                notify,
            })
            .await?;
        written(w, id, "this move")?;
        self.show(Some(actor), id).await
    }

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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages: vec!["notice".into()],
                op: ChallengeOp::Object {
                    application_id: req.application_id,
                    by: actor.user_id,
                    body: body.into(),
                },
                actor: actor.username.clone(),
                action: "challenge_objection".into(),
                detail: format!(
                    "objection to {}",
                    req.application_id
                        .map_or("the notice".into(), |a| format!("application #{a}"))
                ),
                notify,
            })
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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages: vec!["notice".into()],
                op: ChallengeOp::Resolve {
                    objection_id: objection,
                    status: req.status.clone(),
                    resolution: text.into(),
                    by: actor.user_id,
                },
                actor: actor.username.clone(),
                action: "objection_resolve".into(),
                detail: format!("objection #{objection} {}", req.status),
                notify: vec![],
            })
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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages,
                op: ChallengeOp::SetMilestones {
                    application_id: req.application_id,
                    list,
                },
                actor: actor.username.clone(),
                action: "milestones_set".into(),
                detail: format!(
                    "{} milestones for application #{}",
                    req.milestones.len(),
                    req.application_id
                ),
                notify: vec![],
            })
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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages: vec![stage.into()],
                op: ChallengeOp::Report {
                    milestone_id: milestone,
                    report: report.into(),
                },
                actor: actor.username.clone(),
                action: "milestone_report".into(),
                detail: format!("milestone #{milestone} reported"),
                notify,
            })
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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages: vec![stage.into()],
                op: ChallengeOp::Decide {
                    milestone_id: milestone,
                    status: if accept {
                        "accepted".into()
                    } else {
                        "rejected".into()
                    },
                    note: note.trim().into(),
                    by: actor.user_id,
                    stop,
                },
                actor: actor.username.clone(),
                action: "milestone_decide".into(),
                detail: format!(
                    "milestone #{milestone} {}{}",
                    if accept { "accepted" } else { "rejected" },
                    if stop { "; team stopped" } else { "" }
                ),
                notify,
            })
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
            .store
            .challenge_write(&ChallengeWrite {
                challenge_id: id,
                stages: vec!["accepted".into(), "market_graded".into()],
                op: ChallengeOp::Market {
                    months,
                    figures: serde_json::to_string(figures).expect("figures serialise"),
                    note: note.trim().into(),
                    by: actor.user_id,
                },
                actor: actor.username.clone(),
                action: "market_record".into(),
                detail: format!(
                    "market at {months} months: {}",
                    serde_json::to_string(figures).unwrap_or_default()
                ),
                notify: vec![],
            })
            .await?;
        written(w, id, "recording the market")?;
        self.show(Some(actor), id).await
    }
}
