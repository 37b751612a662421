//! Applications (揭榜申报): an organization answers alone or leads a consortium whose members each
//! confirm; plan, team, pledge (军令状) and budget split are editable until the deadline, and what was
//! submitted is fixed by the SHA-256 of its content. No entry barriers (英雄不问出处): any registered
//! organization may answer, except the poster and the end user themselves.

use model::{Record, RecordKind};
use sha2::{Digest, Sha256};
use store::ChallengeOp;

use super::{check_len, parse_date, today, written, Board, ChallengeView, MAX_TEXT};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// A person of the applying team: from the registry (`person_id`) or named here.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamMember {
    #[serde(default)]
    pub person_id: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// What they do in the team (lead, engineer …).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub role: String,
}

/// One line of the budget split.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub item: String,
    /// Integer fen.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 100000000000000_i64)
    )]
    pub amount_fen: i64,
}

/// What an application says.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// The technical plan.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub plan: String,
    /// The pledge (军令状): what the team commits to deliver and by when.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub pledge: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub team: Vec<TeamMember>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub budget: Vec<BudgetLine>,
    /// Consortium members (organization ids); each confirms for itself.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub members: Vec<i64>,
    /// Submit now (needs a plan, a pledge and every member's confirmation).
    #[serde(default)]
    pub submit: bool,
    /// The application's version as read (editing only).
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(serde::Serialize)]
struct Content<'a> {
    plan: &'a str,
    pledge: &'a str,
    team: &'a [TeamMember],
    budget: &'a [BudgetLine],
}

impl Board {
    /// Checks an application's fields; its content as stored (JSON) and the content hash.
    async fn application_content(
        &self,
        c: &store::ChallengeRow,
        lead: i64,
        req: &ApplicationInput,
    ) -> Result<(String, String, Vec<i64>)> {
        check_len("plan", &req.plan, MAX_TEXT)?;
        check_len("pledge", &req.pledge, super::MAX_SUMMARY)?;
        let s = &self.settings;
        if req.members.len() > s.max_members || req.team.len() > s.max_team {
            return Err(EngineError::Input(format!(
                "members, team: at most {} consortium members and {} team members",
                s.max_members, s.max_team
            )));
        }
        let mut members = req.members.clone();
        members.sort_unstable();
        members.dedup();
        for m in &members {
            if *m == lead {
                return Err(EngineError::Input(
                    "members: the lead organization is not its own member".into(),
                ));
            }
            if [Some(c.poster_org), c.end_user_org].contains(&Some(*m)) {
                return Err(EngineError::Input(format!(
                    "members: organization #{m} posted this challenge or uses its result; it cannot answer it"
                )));
            }
            if self
                .store
                .get(RecordKind::Organization, *m)
                .await?
                .is_none()
            {
                return Err(EngineError::Input(format!("members: no organization #{m}")));
            }
        }
        let mut team = req.team.clone();
        for (i, t) in team.iter_mut().enumerate() {
            let n = i + 1;
            if let Some(p) = t.person_id {
                match self.store.get(RecordKind::Person, p).await? {
                    Some(st) => {
                        if let Record::Person(person) = st.record {
                            t.name = person.name;
                        }
                    }
                    None => {
                        return Err(EngineError::Input(format!(
                            "team[{n}].person_id: no person #{p}"
                        )))
                    }
                }
            }
            t.name = t.name.trim().to_string();
            if t.name.is_empty() {
                return Err(EngineError::Input(format!(
                    "team[{n}]: give a name or a person_id"
                )));
            }
            check_len(&format!("team[{n}].name"), &t.name, 100)?;
            check_len(&format!("team[{n}].role"), &t.role, 100)?;
        }
        let mut sum: i64 = 0;
        for (i, b) in req.budget.iter().enumerate() {
            check_len(&format!("budget[{}].item", i + 1), &b.item, 200)?;
            if !(0..=100_000_000_000_000).contains(&b.amount_fen) {
                return Err(EngineError::Input(format!(
                    "budget[{}].amount_fen: give 0 to 10^14 fen",
                    i + 1
                )));
            }
            sum = sum.saturating_add(b.amount_fen);
        }
        if req.budget.len() > 50 {
            return Err(EngineError::Input("budget: at most 50 lines".into()));
        }
        if c.budget_fen > 0 && sum > c.budget_fen {
            return Err(EngineError::Input(format!(
                "budget: the lines add up to {sum} fen, more than the challenge's {} fen",
                c.budget_fen
            )));
        }
        let content = serde_json::to_string(&Content {
            plan: req.plan.trim(),
            pledge: req.pledge.trim(),
            team: &team,
            budget: &req.budget,
        })
        .expect("content serialises");
        let mut h = Sha256::new();
        h.update(content.as_bytes());
        for m in &members {
            h.update(m.to_le_bytes());
        }
        Ok((content, format!("{:x}", h.finalize()), members))
    }

    /// Whether applications are still open: published and not past the deadline.
    fn open_for_applications(&self, c: &store::ChallengeRow) -> Result<()> {
        if c.stage != "published" {
            return Err(EngineError::Conflict(format!(
                "applications are taken while the challenge is published; it is at `{}`",
                c.stage
            )));
        }
        if let Some(d) = &c.deadline {
            if today(&self.store) > parse_date("deadline", d)? {
                return Err(EngineError::Conflict(format!(
                    "the deadline {d} has passed: applications are frozen"
                )));
            }
        }
        Ok(())
    }

    fn own_org(actor: &Actor) -> Result<i64> {
        match actor.org {
            // Operators run the review: they do not answer.
            Some(o) if !actor.official && !actor.broker && !actor.operator => Ok(o),
            _ => Err(EngineError::Forbidden(
                "an enterprise, university or institute answers a challenge, as its own organization".into(),
            )),
        }
    }

    /// Answers a challenge (as the actor's organization); the challenge as the applicant now reads it.
    pub async fn apply(
        &self,
        actor: &Actor,
        id: i64,
        req: &ApplicationInput,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let lead = Self::own_org(actor)?;
        if [Some(c.poster_org), c.end_user_org].contains(&Some(lead)) {
            return Err(EngineError::Forbidden(
                "your organization posted this challenge or uses its result; it cannot answer it"
                    .into(),
            ));
        }
        self.open_for_applications(&c)?;
        let file = self.store.challenge_file(id).await?;
        if let Some(a) = file.applications.iter().find(|a| a.lead_org == lead) {
            return Err(EngineError::Conflict(format!(
                "your organization already leads application #{}; edit it instead",
                a.id
            )));
        }
        if file.applications.len() as i64 >= self.settings.max_applications {
            return Err(EngineError::Limited(
                "this challenge has taken the most applications it can".into(),
            ));
        }
        let (content, _, members) = self.application_content(&c, lead, req).await?;
        if req.submit && !members.is_empty() {
            return Err(EngineError::Input(
                "submit: a consortium's application is submitted once its members confirmed; save it as a draft first".into(),
            ));
        }
        if req.submit && (req.plan.trim().is_empty() || req.pledge.trim().is_empty()) {
            return Err(EngineError::Input(
                "plan, pledge: a submitted application needs its plan and its pledge".into(),
            ));
        }
        let notify = self
            .deals
            .notices(&members, &[], actor.user_id, "challenge_member")
            .await?;
        let w = self
            .change(
                actor,
                id,
                vec!["published".into()],
                ChallengeOp::NewApplication {
                    lead_org: lead,
                    user: actor.user_id,
                    content,
                    members,
                },
                (
                    "application_create",
                    format!("organization #{lead} applies"),
                ),
                notify,
            )
            .await?;
        let app = written(w, id, "applying")?;
        if req.submit {
            let edit = ApplicationInput {
                version: Some(1),
                ..req.clone()
            };
            return self.edit_application(actor, app, &edit).await;
        }
        self.show(Some(actor), id).await
    }

    /// Edits (and optionally submits) an application (the lead's users, until the deadline).
    pub async fn edit_application(
        &self,
        actor: &Actor,
        app_id: i64,
        req: &ApplicationInput,
    ) -> Result<ChallengeView> {
        let missing = || EngineError::NotFound(format!("no application #{app_id}"));
        let cid = self
            .store
            .application_challenge(app_id)
            .await?
            .ok_or_else(missing)?;
        let c = self
            .challenge_for(Some(actor), cid)
            .await
            .map_err(|_| missing())?;
        let file = self.store.challenge_file(cid).await?;
        let a = file
            .applications
            .iter()
            .find(|a| a.id == app_id)
            .ok_or_else(missing)?;
        if !actor
            .org
            .is_some_and(|o| Self::orgs_of(&file, a).contains(&o))
        {
            return Err(missing());
        }
        if actor.org != Some(a.lead_org) {
            return Err(EngineError::Forbidden(
                "the lead organization edits the application; members confirm it".into(),
            ));
        }
        self.open_for_applications(&c)?;
        let Some(version) = req.version else {
            return Err(EngineError::Input(
                "version: give the version you read".into(),
            ));
        };
        let (content, hash, members) = self.application_content(&c, a.lead_org, req).await?;
        let submit = req.submit || a.status == "submitted";
        if submit {
            if req.plan.trim().is_empty() || req.pledge.trim().is_empty() {
                return Err(EngineError::Input(
                    "plan, pledge: a submitted application needs its plan and its pledge".into(),
                ));
            }
            let unconfirmed: Vec<String> = members
                .iter()
                .filter(|m| {
                    !file.members.iter().any(|x| {
                        x.application_id == app_id && x.org_id == **m && x.confirmed_at.is_some()
                    })
                })
                .map(|m| format!("#{m}"))
                .collect();
            if !unconfirmed.is_empty() {
                return Err(EngineError::Input(format!(
                    "members: organizations {} have not confirmed yet; they confirm on the challenge page",
                    unconfirmed.join(", ")
                )));
            }
        }
        let added: Vec<i64> = members
            .iter()
            .copied()
            .filter(|m| {
                !file
                    .members
                    .iter()
                    .any(|x| x.application_id == app_id && x.org_id == *m)
            })
            .collect();
        let notify = self
            .deals
            .notices(&added, &[], actor.user_id, "challenge_member")
            .await?;
        let w = self
            .change(
                actor,
                cid,
                vec!["published".into()],
                ChallengeOp::EditApplication {
                    id: app_id,
                    version,
                    content,
                    members,
                    submit: req.submit,
                    hash: hash.clone(),
                },
                (
                    if req.submit {
                        "application_submit"
                    } else {
                        "application_edit"
                    },
                    format!("application #{app_id} content {hash}"),
                ),
                notify,
            )
            .await?;
        match w {
            store::Written::Stale => {
                return Err(EngineError::Conflict(format!(
                    "application #{app_id} changed since you read it; reload it and try again"
                )))
            }
            other => {
                written(other, cid, "editing the application")?;
            }
        }
        self.show(Some(actor), cid).await
    }

    /// Withdraws an application (the lead, until the deadline).
    pub async fn withdraw_application(
        &self,
        actor: &Actor,
        app_id: i64,
        version: i64,
    ) -> Result<ChallengeView> {
        let missing = || EngineError::NotFound(format!("no application #{app_id}"));
        let cid = self
            .store
            .application_challenge(app_id)
            .await?
            .ok_or_else(missing)?;
        let c = self
            .challenge_for(Some(actor), cid)
            .await
            .map_err(|_| missing())?;
        let file = self.store.challenge_file(cid).await?;
        let a = file
            .applications
            .iter()
            .find(|a| a.id == app_id)
            .ok_or_else(missing)?;
        if actor.org != Some(a.lead_org) {
            return Err(missing());
        }
        self.open_for_applications(&c)?;
        let w = self
            .change(
                actor,
                cid,
                vec!["published".into()],
                ChallengeOp::WithdrawApplication {
                    id: app_id,
                    version,
                },
                (
                    "application_withdraw",
                    format!("application #{app_id} withdrawn"),
                ),
                vec![],
            )
            .await?;
        written(w, cid, "withdrawing")?;
        self.show(Some(actor), cid).await
    }

    /// A consortium member confirms for its own organization.
    pub async fn confirm_membership(&self, actor: &Actor, app_id: i64) -> Result<ChallengeView> {
        let missing = || EngineError::NotFound(format!("no application #{app_id}"));
        let cid = self
            .store
            .application_challenge(app_id)
            .await?
            .ok_or_else(missing)?;
        let c = self
            .challenge_for(Some(actor), cid)
            .await
            .map_err(|_| missing())?;
        let file = self.store.challenge_file(cid).await?;
        let Some(org) = actor.org else {
            return Err(missing());
        };
        let Some(m) = file
            .members
            .iter()
            .find(|m| m.application_id == app_id && m.org_id == org)
        else {
            return Err(missing());
        };
        if m.confirmed_at.is_some() {
            return Err(EngineError::Conflict(
                "your organization already confirmed".into(),
            ));
        }
        self.open_for_applications(&c)?;
        let lead = file
            .applications
            .iter()
            .find(|a| a.id == app_id)
            .map(|a| a.lead_org);
        let notify = self
            .deals
            .notices(
                &lead.into_iter().collect::<Vec<_>>(),
                &[],
                actor.user_id,
                "challenge_confirmed",
            )
            .await?;
        let w = self
            .change(
                actor,
                cid,
                vec!["published".into()],
                ChallengeOp::ConfirmMember {
                    application_id: app_id,
                    org_id: org,
                    user: actor.user_id,
                },
                (
                    "consortium_confirm",
                    format!("organization #{org} joins application #{app_id}"),
                ),
                notify,
            )
            .await?;
        written(w, cid, "confirming")?;
        self.show(Some(actor), cid).await
    }

    /// Invites a candidate solver's organization to answer (operators; an inbox notice).
    pub async fn invite(
        &self,
        actor: &Actor,
        id: i64,
        item: &crate::engagements::ItemRef,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "the operators invite candidate solvers".into(),
            ));
        }
        let org = self.deals.provider_of(item).await?;
        if [Some(c.poster_org), c.end_user_org].contains(&Some(org)) {
            return Err(EngineError::Input(
                "item: it belongs to the poster or the end user".into(),
            ));
        }
        let notify = self
            .deals
            .notices(&[org], &[], actor.user_id, "challenge_invited")
            .await?;
        let w = self
            .change(
                actor,
                id,
                vec!["published".into()],
                ChallengeOp::Invite {
                    org_id: org,
                    item_kind: item.kind.clone(),
                    item_id: item.id,
                    by: actor.user_id,
                },
                (
                    "challenge_invite",
                    format!("organization #{org} invited for {} #{}", item.kind, item.id),
                ),
                notify,
            )
            .await?;
        match w {
            store::Written::Missing => Err(EngineError::Conflict(
                "that organization was already invited".into(),
            )),
            other => {
                written(other, id, "inviting")?;
                self.show(Some(actor), id).await
            }
        }
    }
}
