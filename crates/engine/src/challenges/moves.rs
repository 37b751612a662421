//! Moving a challenge through its workflow (checked against the definition: the move, the party,
//! each guard from stored facts), and what happens between the moves after review: objections during
//! the public notice, milestones with tranches, reports and decisions (a horse-race team stops at a
//! failed milestone), final acceptance against the target metrics, market records (市场阅卷).

use std::collections::BTreeSet;

use store::{ChallengeFile, ChallengeMove, ChallengeRow};

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
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
    /// The winners, for the move to `notice` (or a scenario's `contracted`): default the top K;
    /// needed when a tie straddles the cut.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub winners: Option<Vec<i64>>,
    /// Final measurements, for the move to `accepted`.
    #[serde(default)]
    pub acceptance: Option<AcceptanceInput>,
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
        let panel = if req.to == "under_review" && c.stage == "applications_closed" {
            self.panel_size(&c, &file).await?
        } else {
            file.reviewers.len()
        };
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
                "reviewers_assigned" => panel >= self.settings.min_reviewers,
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
}
