//! What a reader sees of a challenge: the posting as far as the stage and their rights go, the
//! winners once on notice, their own application and its feedback, the reviewer's queue, the
//! operator's board, the milestones and evidence for the parties, and the market grade for all.

use std::collections::BTreeSet;

use store::{ApplicationRow, ChallengeFile, ChallengeRow};

use super::{Board, Detail};
use crate::engagements::{Actor, OrgFace};
use crate::Result;

/// A challenge in a list.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeSummary {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub stage: String,
    pub track: String,
    pub poster: OrgFace,
    pub budget_fen: i64,
    pub deadline: Option<String>,
    pub visibility: String,
    pub winners_max: i64,
    pub stage_at: i64,
}

/// An application as the reader may read it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationFace {
    pub id: i64,
    /// The lead organization (left out for reviewers of a blind review).
    pub lead: Option<OrgFace>,
    /// Consortium members and whether each confirmed (left out when blind).
    pub members: Vec<MemberFace>,
    /// `draft`, `submitted`, `withdrawn`.
    pub status: String,
    /// `winner`, `not_selected`, `stopped`.
    pub result: Option<String>,
    pub version: i64,
    /// Plan, pledge, team, budget split (left out for readers without the right).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Option<serde_json::Value>,
    pub content_hash: Option<String>,
    pub submitted_at: Option<i64>,
    /// For a reviewer: why they may not score it (empty: they may).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub conflicts: Vec<contest::Conflict>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberFace {
    pub org: OrgFace,
    pub confirmed: bool,
}

/// A reviewer on the operator's board.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewerFace {
    pub user_id: i64,
    pub expert_id: i64,
    pub name: String,
    /// Sheets handed in, of those due.
    pub scored: usize,
    pub due: usize,
}

/// An application's result on the operator's board.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandingFace {
    pub application_id: i64,
    pub lead: OrgFace,
    /// Out of 100, two decimals.
    pub total: f64,
    pub place: usize,
    pub sheets: usize,
    pub trimmed: bool,
}

/// What an applicant learns of their review: the means per criterion, never who scored what.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackFace {
    pub application_id: i64,
    pub total: f64,
    pub place: usize,
    pub of: usize,
    /// Each criterion's mean on its own scale.
    pub criteria: Vec<CriterionMean>,
    /// Reviewers' comments, unattributed.
    pub comments: Vec<String>,
    pub trimmed: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionFace {
    pub id: i64,
    pub application_id: Option<i64>,
    pub body: String,
    pub status: String,
    pub resolution: Option<String>,
    pub mine: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneFace {
    pub id: i64,
    pub application_id: i64,
    pub seq: i64,
    pub title: String,
    pub due_on: String,
    pub metric: String,
    pub tranche_fen: i64,
    pub status: String,
    pub report: Option<String>,
    pub decision_note: Option<String>,
    pub evidence: Vec<EvidenceFace>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarketFace {
    pub months: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub figures: serde_json::Value,
    pub note: String,
}

/// A challenge as the reader may read it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeView {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub stage: String,
    pub version: i64,
    pub track: String,
    pub poster: OrgFace,
    pub end_user: OrgFace,
    /// The need it started from (its poster and the operators only).
    pub demand_id: Option<i64>,
    pub budget_fen: i64,
    pub matching_fen: i64,
    pub deadline: Option<String>,
    pub visibility: String,
    pub winners_max: i64,
    pub blind: bool,
    pub notice_days: i64,
    /// The last day of the public notice (YYYY-MM-DD), once it started.
    pub notice_until: Option<String>,
    pub detail: Detail,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub form: contest::Form,
    /// Stage moves, oldest first.
    pub timeline: Vec<TimelineFace>,
    /// The reader's roles: poster, end_user, operator, applicant, reviewer, winner.
    pub my_roles: Vec<String>,
    /// Stages the reader may move the challenge to now (guards checked on submission).
    pub moves: Vec<String>,
    pub applications_submitted: usize,
    pub applications: Vec<ApplicationFace>,
    /// The winners, public once on notice.
    pub winners: Vec<ApplicationFace>,
    pub reviewers: Vec<ReviewerFace>,
    pub standings: Vec<StandingFace>,
    pub feedback: Vec<FeedbackFace>,
    /// A reviewer's own sheets.
    pub my_sheets: Vec<SheetFace>,
    pub objections: Vec<ObjectionFace>,
    pub milestones: Vec<MilestoneFace>,
    pub market: Vec<MarketFace>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub grade: Option<contest::Grade>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub acceptance: Option<serde_json::Value>,
    /// Organizations invited (operators only).
    pub invitations: Vec<InvitationFace>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionMean {
    pub code: String,
    pub mean: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceFace {
    pub id: i64,
    pub name: String,
    pub size: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineFace {
    pub at: i64,
    pub from: Option<String>,
    pub to: String,
    /// Why (shown to the poster, the end user and the operators).
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetFace {
    pub application_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub scores: contest::Sheet,
    pub comment: String,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationFace {
    pub org: OrgFace,
    pub item_kind: String,
    pub item_id: i64,
}

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

        let mut applications = vec![];
        let mut winners = vec![];
        for a in &file.applications {
            let mine = my_org.is_some_and(|o| Self::orgs_of(file, a).contains(&o));
            let won = matches!(a.result.as_deref(), Some("winner" | "stopped"));
            if op || mine {
                applications.push(self.app_face(file, a, true, false).await?);
            } else if reviewer && a.status == "submitted" && REVIEWING.contains(&c.stage.as_str()) {
                let mut f = self.app_face(file, a, true, c.blind != 0).await?;
                f.conflicts = self
                    .conflicts_for(actor.expect("a reviewer is signed in"), c, file, a)
                    .await?;
                applications.push(f);
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
