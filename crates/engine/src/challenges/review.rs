//! Review (评审遴选): reviewers from the expert registry, conflicts found from stored facts and
//! shown with their reason (a conflicted reviewer is refused), declared recusals, sheets on the
//! challenge's scoring form, and the standings (trimmed weighted means, explicit ties).

use std::collections::HashSet;

use model::{Record, RecordKind};
use store::{ApplicationRow, ChallengeFile, ChallengeOp, ChallengeRow};

use super::{check_len, written, Board};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// A reviewer's sheet for one application.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// Criterion code → whole score from 0 to the criterion's max.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub scores: contest::Sheet,
    /// Feedback for the applicant (shown to them without the reviewer's name).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub comment: String,
}

impl Board {
    /// What is known of a reviewer (an account acting for an expert) for conflict checks.
    async fn reviewer_facts(
        &self,
        c: &ChallengeRow,
        user_id: i64,
        expert_id: i64,
        file: &ChallengeFile,
    ) -> Result<contest::ReviewerFacts> {
        let (name, affiliation) = match self.store.get(RecordKind::Person, expert_id).await? {
            Some(s) => match s.record {
                Record::Person(p) => (p.name, p.affiliation),
                _ => (String::new(), None),
            },
            None => (String::new(), None),
        };
        let mut org_ids = vec![];
        if let Some(u) = self.store.user(user_id).await? {
            org_ids.extend(u.organization_id);
        }
        if let Some(a) = &affiliation {
            if let Some(o) = self.store.find_organization(a, None).await? {
                org_ids.push(o.id);
            }
        }
        let since = self.store.now_ts() - self.settings.conflict_years * 365 * 86_400;
        let recent_partners = self
            .store
            .partners_since(&org_ids, since)
            .await?
            .into_iter()
            .collect();
        let recusal = file
            .recusals
            .iter()
            .find(|(u, _)| *u == user_id)
            .map(|(_, r)| r.clone());
        let _ = c;
        Ok(contest::ReviewerFacts {
            coauthor_lists: self.store.owner_lists_naming(&name).await?,
            name,
            org_ids,
            affiliation,
            recent_partners,
            recusal,
        })
    }

    /// The applying side of an application, for conflict checks.
    pub(crate) async fn party_of(
        &self,
        file: &ChallengeFile,
        a: &ApplicationRow,
    ) -> Result<contest::Party> {
        let org_ids = Self::orgs_of(file, a);
        let mut org_names = vec![];
        for o in &org_ids {
            org_names.push(self.deals.org_face(*o).await?.name);
        }
        let content: serde_json::Value = serde_json::from_str(&a.content).unwrap_or_default();
        let team = content
            .get("team")
            .and_then(|t| t.as_array())
            .map(|t| {
                t.iter()
                    .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok(contest::Party {
            org_ids,
            org_names,
            team,
        })
    }

    /// What is known of the actor as a reviewer of this challenge (`None`: not a reviewer).
    pub(crate) async fn facts_of_reviewer(
        &self,
        actor: &Actor,
        c: &ChallengeRow,
        file: &ChallengeFile,
    ) -> Result<Option<contest::ReviewerFacts>> {
        match file.reviewers.iter().find(|r| r.user_id == actor.user_id) {
            Some(r) => Ok(Some(
                self.reviewer_facts(c, r.user_id, r.expert_id, file).await?,
            )),
            None => Ok(None),
        }
    }

    /// The conflicts between the actor (as reviewer) and one application.
    pub(crate) async fn conflicts_for(
        &self,
        actor: &Actor,
        c: &ChallengeRow,
        file: &ChallengeFile,
        a: &ApplicationRow,
    ) -> Result<Vec<contest::Conflict>> {
        let Some(facts) = self.facts_of_reviewer(actor, c, file).await? else {
            return Ok(vec![]);
        };
        Ok(contest::conflicts_of(
            &facts,
            &self.party_of(file, a).await?,
        ))
    }

    /// Assigns an expert of the registry as reviewer (operators). Refused, with every reason, when
    /// the expert is conflicted with any submitted application.
    pub async fn assign_reviewer(
        &self,
        actor: &Actor,
        id: i64,
        expert_id: i64,
    ) -> Result<super::ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "reviewers are assigned by the platform's operators".into(),
            ));
        }
        if c.kind != "challenge" {
            return Err(EngineError::Input(
                "a scenario has no expert review: its poster selects".into(),
            ));
        }
        let expert = match self.store.get(RecordKind::Person, expert_id).await? {
            Some(s) => match s.record {
                Record::Person(p) if p.kind == model::PersonKind::Expert => p,
                _ => {
                    return Err(EngineError::Input(format!(
                        "expert_id: #{expert_id} is not an expert of the registry"
                    )))
                }
            },
            None => return Err(EngineError::NotFound(format!("no expert #{expert_id}"))),
        };
        let Some(user) = self.store.user_of_expert(expert_id).await? else {
            return Err(EngineError::Input(format!(
                "expert_id: {} has no account to review with; link one first (shuanglian user expert USERNAME {expert_id})",
                expert.name
            )));
        };
        let file = self.store.challenge_file(id).await?;
        if file.reviewers.iter().any(|r| r.user_id == user.id) {
            return Err(EngineError::Conflict(format!(
                "{} already reviews this challenge",
                expert.name
            )));
        }
        let conflicts = self
            .expert_conflicts(&c, &file, user.id, user.organization_id, expert_id)
            .await?;
        let reasons: Vec<String> = conflicts
            .iter()
            .map(|(app, k)| match app {
                Some(a) => format!(
                    "application #{a}: {} ({})",
                    conflict_words(&k.reason),
                    k.detail
                ),
                None => format!("{} ({})", conflict_words(&k.reason), k.detail),
            })
            .collect();
        if !reasons.is_empty() {
            return Err(EngineError::Conflict(format!(
                "{} may not review this challenge: {}",
                expert.name,
                reasons.join("; ")
            )));
        }
        let notify = self
            .deals
            .notices(&[], &[user.id], actor.user_id, "challenge_reviewer")
            .await?;
        let w = self
            .change(
                actor,
                id,
                ["published", "applications_closed", "under_review"]
                    .map(String::from)
                    .to_vec(),
                ChallengeOp::AssignReviewer {
                    user_id: user.id,
                    expert_id,
                    by: actor.user_id,
                },
                (
                    "challenge_reviewer",
                    format!("expert #{expert_id} as reviewer"),
                ),
                notify,
            )
            .await?;
        written(w, id, "assigning a reviewer")?;
        self.show(Some(actor), id).await
    }

    /// Every conflict an expert (acting through account `user`) has with this challenge: with each
    /// submitted application, `(Some(application), conflict)`; with the challenge itself (a recusal,
    /// working for the poster or the end user), `(None, conflict)`.
    pub async fn expert_conflicts(
        &self,
        c: &ChallengeRow,
        file: &ChallengeFile,
        user: i64,
        user_org: Option<i64>,
        expert_id: i64,
    ) -> Result<Vec<(Option<i64>, contest::Conflict)>> {
        let facts = self.reviewer_facts(c, user, expert_id, file).await?;
        let mut out = vec![];
        if let Some(why) = &facts.recusal {
            out.push((
                None,
                contest::Conflict {
                    reason: "recused".into(),
                    detail: why.clone(),
                },
            ));
        }
        // Drafts too: an organization that will submit later is known already.
        for a in file.applications.iter().filter(|a| a.status != "withdrawn") {
            for k in contest::conflicts_of(&facts, &self.party_of(file, a).await?) {
                if k.reason != "recused" {
                    out.push((Some(a.id), k));
                }
            }
        }
        // Poster and end user judge the market, not the review.
        if user_org.is_some() && [Some(c.poster_org), c.end_user_org].contains(&user_org) {
            let name = self
                .deals
                .org_face(user_org.unwrap_or_default())
                .await?
                .name;
            out.push((
                None,
                contest::Conflict {
                    reason: "poster_side".into(),
                    detail: name,
                },
            ));
        }
        Ok(out)
    }

    /// The conflicts that keep an expert off this challenge's panel, for a page to word them
    /// (operators only; empty for anyone else).
    pub async fn assignment_conflicts(
        &self,
        actor: &Actor,
        id: i64,
        expert_id: i64,
    ) -> Result<Vec<(Option<i64>, contest::Conflict)>> {
        let c = self.challenge_for(Some(actor), id).await?;
        if !actor.operator {
            return Ok(vec![]);
        }
        let Some(user) = self.store.user_of_expert(expert_id).await? else {
            return Ok(vec![]);
        };
        let file = self.store.challenge_file(id).await?;
        self.expert_conflicts(&c, &file, user.id, user.organization_id, expert_id)
            .await
    }

    /// A reviewer declares a recusal (主动回避): they leave the panel and their sheets are dropped.
    pub async fn recuse(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> Result<super::ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let file = self.store.challenge_file(id).await?;
        if !file.reviewers.iter().any(|r| r.user_id == actor.user_id) {
            return Err(EngineError::Forbidden(
                "only an assigned reviewer declares a recusal".into(),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(EngineError::Input("reason: say why you step back".into()));
        }
        check_len("reason", reason, 500)?;
        let w = self
            .change(
                actor,
                c.id,
                ["published", "applications_closed", "under_review"]
                    .map(String::from)
                    .to_vec(),
                ChallengeOp::Recuse {
                    user_id: actor.user_id,
                    reason: reason.into(),
                },
                ("challenge_recusal", reason.into()),
                vec![],
            )
            .await?;
        written(w, id, "a recusal")?;
        self.show(Some(actor), id).await
    }

    /// A reviewer scores one application on the challenge's form.
    pub async fn score(
        &self,
        actor: &Actor,
        application_id: i64,
        req: &ScoreInput,
    ) -> Result<super::ChallengeView> {
        let missing = || EngineError::NotFound(format!("no application #{application_id}"));
        let cid = self
            .store
            .application_challenge(application_id)
            .await?
            .ok_or_else(missing)?;
        let c = self
            .challenge_for(Some(actor), cid)
            .await
            .map_err(|_| missing())?;
        let file = self.store.challenge_file(cid).await?;
        if !file.reviewers.iter().any(|r| r.user_id == actor.user_id) {
            // Not a reviewer: the application is not theirs to see.
            return Err(missing());
        }
        let a = file
            .applications
            .iter()
            .find(|a| a.id == application_id)
            .ok_or_else(missing)?;
        if a.status != "submitted" {
            // A draft is not the reviewer's to see: answered as if it did not exist.
            return Err(missing());
        }
        if c.stage != "under_review" {
            return Err(EngineError::Conflict(format!(
                "sheets are handed in while the challenge is under review; it is at `{}`",
                c.stage
            )));
        }
        let conflicts = self.conflicts_for(actor, &c, &file, a).await?;
        if let Some(k) = conflicts.first() {
            // The reason, never the name behind it (it would unmask a blind review).
            return Err(EngineError::Conflict(format!(
                "you may not score application #{application_id}: {}",
                conflict_words(&k.reason)
            )));
        }
        self.form_of(&c)
            .check_sheet(&req.scores)
            .map_err(|m| EngineError::Input(format!("scores: {m}")))?;
        check_len("comment", &req.comment, 2_000)?;
        let w = self
            .change(
                actor,
                cid,
                vec!["under_review".into()],
                ChallengeOp::Score {
                    application_id,
                    reviewer: actor.user_id,
                    sheet: serde_json::to_string(&req.scores).expect("sheet serialises"),
                    comment: req.comment.trim().into(),
                },
                (
                    "challenge_score",
                    format!("application #{application_id} scored"),
                ),
                vec![],
            )
            .await?;
        written(w, cid, "scoring")?;
        self.show(Some(actor), cid).await
    }

    /// Results of the submitted applications with sheets: (application, lead org, standing, place).
    pub(crate) fn standings(
        &self,
        c: &ChallengeRow,
        file: &ChallengeFile,
    ) -> Vec<(i64, i64, contest::Standing, usize)> {
        let form = self.form_of(c);
        let mut results = vec![];
        for a in file.applications.iter().filter(|a| a.status == "submitted") {
            let sheets: Vec<contest::Sheet> = file
                .scores
                .iter()
                .filter(|s| s.application_id == a.id)
                .filter_map(|s| serde_json::from_str(&s.sheet).ok())
                .collect();
            if let Some(s) = contest::result_of(&form, &sheets, self.settings.trim_from_reviewers) {
                results.push((a.id, a.lead_org, s));
            }
        }
        let ranked = contest::rank(
            &results
                .iter()
                .map(|r| (r.0, r.2.total_centi))
                .collect::<Vec<_>>(),
        );
        ranked
            .into_iter()
            .filter_map(|r| {
                results
                    .iter()
                    .find(|x| x.0 == r.application_id)
                    .map(|x| (x.0, x.1, x.2.clone(), r.place))
            })
            .collect()
    }

    /// Whether every assigned reviewer scored every submitted application they are not conflicted with.
    pub(crate) async fn scores_complete(
        &self,
        c: &ChallengeRow,
        file: &ChallengeFile,
    ) -> Result<bool> {
        let done: HashSet<(i64, i64)> = file
            .scores
            .iter()
            .map(|s| (s.application_id, s.reviewer_user))
            .collect();
        for r in &file.reviewers {
            let facts = self.reviewer_facts(c, r.user_id, r.expert_id, file).await?;
            for a in file.applications.iter().filter(|a| a.status == "submitted") {
                if done.contains(&(a.id, r.user_id)) {
                    continue;
                }
                if contest::conflicts_of(&facts, &self.party_of(file, a).await?).is_empty() {
                    return Ok(false);
                }
            }
        }
        // Every application has at least one sheet, and enough reviewers stand on the panel.
        let all_scored = file
            .applications
            .iter()
            .filter(|a| a.status == "submitted")
            .all(|a| file.scores.iter().any(|s| s.application_id == a.id));
        Ok(all_scored && self.panel_size(c, file).await? >= self.settings.min_reviewers)
    }
}

impl Board {
    /// Whether a reviewer's own organization (or a recent partner) is among the applying sides:
    /// such a reviewer reads no application and does not count towards the panel.
    pub(crate) async fn barred(
        &self,
        facts: &contest::ReviewerFacts,
        file: &ChallengeFile,
    ) -> Result<bool> {
        for a in file.applications.iter().filter(|a| a.status != "withdrawn") {
            let k = contest::conflicts_of(facts, &self.party_of(file, a).await?);
            if k.iter()
                .any(|k| k.reason == "same_org" || k.reason == "recent_deal")
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reviewers who count towards the panel (not barred by an applying side).
    pub(crate) async fn panel_size(&self, c: &ChallengeRow, file: &ChallengeFile) -> Result<usize> {
        let mut n = 0;
        for r in &file.reviewers {
            let facts = self.reviewer_facts(c, r.user_id, r.expert_id, file).await?;
            if !self.barred(&facts, file).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Takes a reviewer off the panel (operators; their sheets go with them).
    pub async fn remove_reviewer(
        &self,
        actor: &Actor,
        id: i64,
        user_id: i64,
    ) -> Result<super::ChallengeView> {
        self.challenge_for(Some(actor), id).await?;
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "the operators change the panel".into(),
            ));
        }
        let w = self
            .change(
                actor,
                id,
                ["published", "applications_closed", "under_review"]
                    .map(String::from)
                    .to_vec(),
                ChallengeOp::RemoveReviewer { user_id },
                (
                    "challenge_reviewer_removed",
                    format!("reviewer user #{user_id} removed"),
                ),
                vec![],
            )
            .await?;
        match w {
            store::Written::Missing => Err(EngineError::NotFound(format!(
                "user #{user_id} does not review this challenge"
            ))),
            other => {
                written(other, id, "changing the panel")?;
                self.show(Some(actor), id).await
            }
        }
    }
}

/// A conflict reason in words (for refusals; pages word them from the i18n data).
pub fn conflict_words(reason: &str) -> &'static str {
    match reason {
        "same_org" => "same organization as an applicant",
        "coauthor" => "co-author of an outcome with a team member",
        "recent_deal" => "an engagement or contract with an applicant in recent years",
        "recused" => "declared a recusal",
        "poster_side" => "works for the poster or the end user",
        _ => "conflict of interest",
    }
}
