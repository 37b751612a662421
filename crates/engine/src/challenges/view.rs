//! What a reader sees of a challenge: the posting as far as the stage and their rights go, the
//! winners once on notice, their own application and its feedback, the reviewer's queue, the
//! operator's board, the milestones and evidence for the parties, and the market grade for all.

use std::collections::BTreeSet;

use store::{ApplicationRow, ChallengeFile, ChallengeRow};

pub use super::faces::*;
use super::Board;
use crate::engagements::Actor;
use crate::Result;

/// The mutation check's weakened rule (every reader reads every plan); false in every build.
const OPEN_PLANS_MUTANT: bool = cfg!(feature = "mutant-open-plans");

/// Stages from the public notice on: winners are public, applicants get their feedback.
pub(crate) const AFTER_REVIEW: &[&str] = &[
    "notice",
    "contracted",
    "in_progress",
    "accepted",
    "market_graded",
    "closed",
];
/// Stages in which reviewers read the applications.
pub(crate) const REVIEWING: &[&str] = &["under_review", "notice"];

impl Board {
    pub async fn summary(&self, c: &ChallengeRow) -> Result<ChallengeSummary> {
        Ok(ChallengeSummary {
            id: c.id,
            kind: c.kind.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            stage: c.stage.clone(),
            track: c.track.clone(),
            poster: self.deals.org_face(c.poster_org).await?,
            budget_fen: c.budget_fen,
            deadline: c.deadline.clone(),
            visibility: c.visibility.clone(),
            winners_max: c.winners_max,
            stage_at: c.stage_at,
        })
    }

    /// The organizations an application speaks for: its lead and its members.
    pub(crate) fn orgs_of(file: &ChallengeFile, a: &ApplicationRow) -> Vec<i64> {
        let mut v = vec![a.lead_org];
        v.extend(
            file.members
                .iter()
                .filter(|m| m.application_id == a.id)
                .map(|m| m.org_id),
        );
        v
    }

    /// The reader's roles in a challenge (workflow parties plus applicant, reviewer, winner).
    pub(crate) fn roles(
        &self,
        actor: Option<&Actor>,
        c: &ChallengeRow,
        file: &ChallengeFile,
    ) -> BTreeSet<&'static str> {
        let mut r = self.parties(actor, c);
        let Some(a) = actor else { return r };
        for app in &file.applications {
            if a.org.is_some_and(|o| Self::orgs_of(file, app).contains(&o)) {
                r.insert("applicant");
                if matches!(app.result.as_deref(), Some("winner")) {
                    r.insert("winner");
                }
            }
        }
        if file.reviewers.iter().any(|v| v.user_id == a.user_id) {
            r.insert("reviewer");
        }
        r
    }

    async fn app_face(
        &self,
        file: &ChallengeFile,
        a: &ApplicationRow,
        content: bool,
        blind: bool,
    ) -> Result<ApplicationFace> {
        let mut members = vec![];
        if !blind {
            for m in file.members.iter().filter(|m| m.application_id == a.id) {
                members.push(MemberFace {
                    org: self.deals.org_face(m.org_id).await?,
                    confirmed: m.confirmed_at.is_some(),
                });
            }
        }
        let content = if content {
            let mut v: serde_json::Value = serde_json::from_str(&a.content).unwrap_or_default();
            if blind {
                if let Some(team) = v.get_mut("team").and_then(|t| t.as_array_mut()) {
                    for m in team {
                        if let Some(o) = m.as_object_mut() {
                            o.remove("name");
                            o.remove("person_id");
                        }
                    }
                }
            }
            Some(v)
        } else {
            None
        };
        Ok(ApplicationFace {
            id: a.id,
            lead: if blind {
                None
            } else {
                Some(self.deals.org_face(a.lead_org).await?)
            },
            members,
            status: a.status.clone(),
            result: a.result.clone(),
            version: a.version,
            content,
            content_hash: a.content_hash.clone(),
            submitted_at: a.submitted_at,
            conflicts: vec![],
        })
    }

    /// One challenge with everything the reader may see of it.
    pub async fn show(&self, actor: Option<&Actor>, id: i64) -> Result<ChallengeView> {
        let c = self.challenge_for(actor, id).await?;
        let file = self.store.challenge_file(id).await?;
        self.view(actor, &c, &file).await
    }

    pub(crate) async fn view(
        &self,
        actor: Option<&Actor>,
        c: &ChallengeRow,
        file: &ChallengeFile,
    ) -> Result<ChallengeView> {
        let roles = self.roles(actor, c, file);
        let op = roles.contains("operator");
        let owner = roles.contains("poster") || roles.contains("end_user");
        let after = AFTER_REVIEW.contains(&c.stage.as_str());
        let my_org = actor.and_then(|a| a.org);
        let me = actor.map(|a| a.user_id);
        let reviewer = roles.contains("reviewer");
        let form = self.form_of(c);
        let flow = self.flow_of(c);
        let parties = self.parties(actor, c);

        // What is known of the reader as reviewer, read once for all applications.
        let my_facts = match (reviewer && REVIEWING.contains(&c.stage.as_str()), actor) {
            (true, Some(who)) => self.facts_of_reviewer(who, c, file).await?,
            _ => None,
        };
        let barred = match &my_facts {
            Some(facts) => self.barred(facts, file).await?,
            None => false,
        };
        let mut applications = vec![];
        let mut winners = vec![];
        for a in &file.applications {
            let mine = my_org.is_some_and(|o| Self::orgs_of(file, a).contains(&o));
            let won = matches!(a.result.as_deref(), Some("winner" | "stopped"));
            if op || mine || OPEN_PLANS_MUTANT {
                applications.push(self.app_face(file, a, true, false).await?);
            } else if reviewer && a.status == "submitted" && REVIEWING.contains(&c.stage.as_str()) {
                // A reviewer whose own organization applied reads no application at all.
                let mut f = self
                    .app_face(file, a, !barred, c.blind != 0 || barred)
                    .await?;
                if let Some(facts) = &my_facts {
                    f.conflicts = contest::conflicts_of(facts, &self.party_of(file, a).await?);
                    if c.blind != 0 || barred {
                        // A conflict's detail names the applicant: not for a blind review.
                        f.conflicts.iter_mut().for_each(|k| k.detail.clear());
                    }
                }
                applications.push(f);
            } else if owner
                && (after || (c.kind == "scenario" && c.stage == "under_review"))
                && (won || c.kind == "scenario")
                && a.status == "submitted"
            {
                // A scenario's poster selects the trials, so it reads them from the review on.
                applications.push(self.app_face(file, a, true, false).await?);
            } else if owner && after && won {
                applications.push(self.app_face(file, a, true, false).await?);
            }
            if after && won {
                winners.push(self.app_face(file, a, false, false).await?);
            }
        }

        let standings_all = self.standings(c, file);
        let mut standings = vec![];
        let mut reviewers = vec![];
        if op {
            for s in &standings_all {
                standings.push(StandingFace {
                    application_id: s.0,
                    lead: self.deals.org_face(s.1).await?,
                    total: s.2.total_centi as f64 / 100.0,
                    place: s.3,
                    sheets: s.2.sheets,
                    trimmed: s.2.trimmed,
                });
            }
            for r in &file.reviewers {
                let name = self.expert_name(r.expert_id).await?;
                let scored = file
                    .scores
                    .iter()
                    .filter(|s| s.reviewer_user == r.user_id)
                    .count();
                reviewers.push(ReviewerFace {
                    user_id: r.user_id,
                    expert_id: r.expert_id,
                    name,
                    scored,
                    due: file
                        .applications
                        .iter()
                        .filter(|a| a.status == "submitted")
                        .count(),
                });
            }
        }
        let mut feedback = vec![];
        if after {
            for s in &standings_all {
                let a = file
                    .applications
                    .iter()
                    .find(|a| a.id == s.0)
                    .expect("standing of an application");
                if my_org.is_some_and(|o| Self::orgs_of(file, a).contains(&o)) {
                    let comments = file
                        .scores
                        .iter()
                        .filter(|x| x.application_id == a.id && !x.comment.is_empty())
                        .map(|x| x.comment.clone())
                        .collect();
                    feedback.push(FeedbackFace {
                        application_id: a.id,
                        total: s.2.total_centi as f64 / 100.0,
                        place: s.3,
                        of: standings_all.len(),
                        criteria: s
                            .2
                            .per_criterion
                            .iter()
                            .map(|(k, v)| CriterionMean {
                                code: k.clone(),
                                label: form
                                    .criteria
                                    .iter()
                                    .find(|c| &c.code == k)
                                    .and_then(|c| c.label.clone()),
                                mean: *v as f64 / 100.0,
                            })
                            .collect(),
                        comments,
                        trimmed: s.2.trimmed,
                    });
                }
            }
        }
        let my_sheets = if reviewer {
            file.scores
                .iter()
                .filter(|s| Some(s.reviewer_user) == me)
                .map(|s| SheetFace {
                    application_id: s.application_id,
                    scores: serde_json::from_str(&s.sheet).unwrap_or_default(),
                    comment: s.comment.clone(),
                })
                .collect()
        } else {
            vec![]
        };
        let objections = file
            .objections
            .iter()
            .filter(|o| op || Some(o.by_user) == me)
            .map(|o| ObjectionFace {
                id: o.id,
                application_id: o.application_id,
                body: o.body.clone(),
                status: o.status.clone(),
                resolution: o.resolution.clone(),
                mine: Some(o.by_user) == me,
            })
            .collect();
        let mut milestones = vec![];
        for m in &file.milestones {
            let app = file.applications.iter().find(|a| a.id == m.application_id);
            let mine =
                app.is_some_and(|a| my_org.is_some_and(|o| Self::orgs_of(file, a).contains(&o)));
            if op || owner || mine {
                milestones.push(MilestoneFace {
                    id: m.id,
                    application_id: m.application_id,
                    seq: m.seq,
                    title: m.title.clone(),
                    due_on: m.due_on.clone(),
                    metric: m.metric.clone(),
                    tranche_fen: m.tranche_fen,
                    status: m.status.clone(),
                    report: m.report.clone(),
                    decision_note: m.decision_note.clone(),
                    evidence: file
                        .evidence
                        .iter()
                        .filter(|e| e.milestone_id == Some(m.id))
                        .map(|e| EvidenceFace {
                            id: e.id,
                            name: e.name.clone(),
                            size: e.size,
                        })
                        .collect(),
                });
            }
        }
        let market: Vec<MarketFace> = file
            .market
            .iter()
            .map(|m| MarketFace {
                months: m.months,
                figures: serde_json::from_str(&m.figures).unwrap_or_default(),
                note: m.note.clone(),
                // File names too stay with those who may open the files.
                evidence: file
                    .evidence
                    .iter()
                    .filter(|e| (op || owner) && e.market_id == Some(m.id))
                    .map(|e| EvidenceFace {
                        id: e.id,
                        name: e.name.clone(),
                        size: e.size,
                    })
                    .collect(),
            })
            .collect();
        let grade = self.grade_of(c, file);
        let mut invitations = vec![];
        if op {
            for i in &file.invitations {
                invitations.push(InvitationFace {
                    org: self.deals.org_face(i.org_id).await?,
                    item_kind: i.item_kind.clone(),
                    item_id: i.item_id,
                });
            }
        }
        let timeline = self
            .store
            .challenge_events(c.id)
            .await?
            .into_iter()
            .map(|e| TimelineFace {
                at: e.at,
                from: e.from_stage,
                to: e.to_stage,
                note: if op || owner { e.note } else { String::new() },
            })
            .collect();
        let notice_until = c.notice_from.map(|f| {
            let end = f + 8 * 3600 + (c.notice_days - 1).max(0) * 86_400;
            chrono::DateTime::from_timestamp(end, 0)
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default()
        });
        Ok(ChallengeView {
            id: c.id,
            kind: c.kind.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            stage: c.stage.clone(),
            version: c.version,
            track: c.track.clone(),
            poster: self.deals.org_face(c.poster_org).await?,
            end_user: self
                .deals
                .org_face(c.end_user_org.unwrap_or(c.poster_org))
                .await?,
            demand_id: if op || roles.contains("poster") {
                c.demand_id
            } else {
                None
            },
            budget_fen: c.budget_fen,
            matching_fen: c.matching_fen,
            deadline: c.deadline.clone(),
            visibility: c.visibility.clone(),
            winners_max: c.winners_max,
            blind: c.blind != 0,
            notice_days: c.notice_days,
            notice_until,
            detail: Self::detail_of(c),
            form,
            timeline,
            my_roles: roles.iter().map(|r| r.to_string()).collect(),
            moves: flow
                .moves(&c.stage, &parties)
                .into_iter()
                .map(String::from)
                .collect(),
            applications_submitted: file
                .applications
                .iter()
                .filter(|a| a.status == "submitted")
                .count(),
            applications,
            winners,
            reviewers,
            standings,
            feedback,
            my_sheets,
            objections,
            milestones,
            market,
            grade,
            acceptance: c
                .acceptance
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok()),
            invitations,
        })
    }

    pub async fn expert_name(&self, expert_id: i64) -> Result<String> {
        Ok(
            match self.store.get(model::RecordKind::Person, expert_id).await? {
                Some(s) => match s.record {
                    model::Record::Person(p) => p.name,
                    _ => format!("#{expert_id}"),
                },
                None => format!("#{expert_id}"),
            },
        )
    }

    /// The market grade from the latest record (`None`: no record, or no market target).
    pub fn grade_of(&self, c: &ChallengeRow, file: &ChallengeFile) -> Option<contest::Grade> {
        let latest = file.market.iter().max_by_key(|m| m.months)?;
        let values: contest::MarketValues = serde_json::from_str(&latest.figures).ok()?;
        contest::grade(&self.market, &Self::detail_of(c).market_targets, &values)
    }
}
