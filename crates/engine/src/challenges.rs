//! Challenges (揭榜挂帅) and open application scenarios (开放应用场景): 企业出题、科研答题、市场阅卷
//! as use cases on the one workflow mechanism (`flow`, with `data/workflows/challenge.toml` and
//! `scenario.toml`) and the pure rules of `contest` (scoring, ranking, conflicts, market grade).
//!
//! Rights come from stored facts, never from the caller's word: the poster and end user are
//! organizations on the challenge; an applicant is the lead or a consortium member of an
//! application; a reviewer is assigned. What each reads follows from that: competitors never see
//! each other's plans, an applicant never learns who scored what, a reviewer of a blind review never
//! learns who applied, a `registered` challenge is not shown to the anonymous, and a draft is seen by
//! its poster and the operators only. Someone who may not see a challenge is told it does not exist.

mod apply;
mod delivery;
mod evidence;
mod faces;
mod moves;
mod review;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use store::{ChallengeFields, ChallengeRow, DemandPass, Store, Written};

use crate::engagements::{Actor, Desk};
use crate::{EngineError, Result};

pub use apply::{ApplicationInput, BudgetLine, TeamMember};
pub use delivery::{MilestoneInput, MilestoneItem, ObjectionInput, ResolveInput};
pub use evidence::sniff;
pub use moves::{guard_words, AcceptanceInput, Measurement, MoveRequest};
pub use review::{conflict_words, ScoreInput};
pub use view::{
    ApplicationFace, ChallengeSummary, ChallengeView, CriterionMean, EvidenceFace, FeedbackFace,
    InvitationFace, MarketFace, MemberFace, MilestoneFace, ObjectionFace, ReviewerFace, SheetFace,
    StandingFace, TimelineFace,
};

/// Parties the workflow definitions name, and the guards the engine evaluates.
pub const PARTIES: &[&str] = &["poster", "end_user", "operator"];
pub const GUARDS: &[&str] = &[
    "task_defined",
    "deadline_passed",
    "applications_in",
    "reviewers_assigned",
    "scores_complete",
    "winners_named",
    "notice_elapsed",
    "objections_resolved",
    "milestones_set",
    "milestones_decided",
    "targets_met",
    "market_recorded",
    "reason_given",
];

/// One target metric of a challenge (name, unit, threshold, how it is measured).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetMetric {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub unit: String,
    pub threshold: f64,
    /// `at_least` (default) or `at_most`.
    #[serde(default = "at_least")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(at_least|at_most)$"))]
    pub direction: String,
    /// How it is measured (test method, standard, who measures).
    #[serde(default)]
    pub method: String,
}

fn at_least() -> String {
    "at_least".into()
}

/// What a challenge or scenario carries besides its columns (stored as JSON).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Detail {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub targets: Vec<TargetMetric>,
    /// Market targets by indicator (adopters, revenue_fen, cost_saved_fen, orders).
    #[serde(default)]
    pub market_targets: BTreeMap<String, i64>,
    #[serde(default)]
    pub ip_terms: String,
    /// The scoring form (the shipped default when none is given).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub form: Option<contest::Form>,
    /// A scenario's offer: the site, the period, what is offered (test field, data, first purchase).
    #[serde(default)]
    pub offer: String,
}

/// What creating or editing a challenge takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    /// `challenge` (default) or `scenario`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(challenge|scenario)$"))]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub summary: String,
    /// The need it starts from (企业出题): the poster's own.
    #[serde(default)]
    pub demand_id: Option<i64>,
    /// The posting organization (operators posting for a department or enterprise; others post as
    /// their own organization).
    #[serde(default)]
    pub poster_org_id: Option<i64>,
    /// The organization that will use the result (the poster when left out).
    #[serde(default)]
    pub end_user_org_id: Option<i64>,
    /// Integer fen.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 100000000000000_i64)
    )]
    pub budget_fen: i64,
    /// The poster's matching funds (配套资金), integer fen.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 100000000000000_i64)
    )]
    pub matching_fen: i64,
    /// Applications close at the end of this day (YYYY-MM-DD, Beijing time).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub deadline: Option<String>,
    /// `public` (default) or `registered` (signed-in users only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(public|registered)$"))]
    pub visibility: Option<String>,
    /// How many teams may win (赛马制), 1–10.
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub winners_max: i64,
    /// Hide applicants' identity from reviewers.
    #[serde(default)]
    pub blind: bool,
    /// Days of public notice (default from the settings).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub notice_days: Option<i64>,
    #[serde(default)]
    pub detail: Detail,
    /// The version read (editing only).
    #[serde(default)]
    pub version: Option<i64>,
}

fn one() -> i64 {
    1
}

/// The challenge board: the store, both workflows, the settings and forms kept as data.
pub struct Board {
    pub store: Store,
    pub challenge: flow::Definition,
    pub scenario: flow::Definition,
    pub settings: contest::Settings,
    pub form: contest::Form,
    pub market: contest::MarketRules,
    /// Where evidence files are kept (`None`: uploads are refused).
    pub evidence_dir: Option<PathBuf>,
    pub(crate) deals: Desk,
    platform: DemandPass,
}

/// Longest title, summary, and free text (plan, IP terms, reports).
pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 4_000;
pub const MAX_TEXT: usize = 20_000;

/// Most challenges and scenarios one organization posts in 24 hours (each is a page others read).
pub const MAX_POSTED_A_DAY: i64 = 100;

pub(crate) fn check_len(field: &str, text: &str, max: usize) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        return Err(EngineError::Input(format!(
            "{field}: {n} characters; keep it to {max}"
        )));
    }
    Ok(())
}

pub(crate) fn stale(id: i64) -> EngineError {
    EngineError::Conflict(format!(
        "challenge #{id} changed since you read it; reload it and try again"
    ))
}

pub(crate) fn written(w: Written, id: i64, what: &str) -> Result<i64> {
    match w {
        Written::Done(x) => Ok(x),
        Written::Stale => Err(stale(id)),
        Written::Stage(s) => Err(EngineError::Conflict(format!(
            "challenge #{id} is now at stage `{s}`, where {what} is not possible"
        ))),
        Written::Missing => Err(EngineError::NotFound(format!("{what}: nothing to change"))),
    }
}

/// Today's date in Beijing time (the deadlines' time zone), on the store's clock.
pub(crate) fn today(store: &Store) -> chrono::NaiveDate {
    let t = chrono::DateTime::from_timestamp(store.now_ts() + 8 * 3600, 0).unwrap_or_default();
    t.date_naive()
}

pub(crate) fn parse_date(field: &str, s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        EngineError::Input(format!(
            "{field}: `{s}` is not a date; write it as YYYY-MM-DD"
        ))
    })
}

impl Board {
    pub fn new(
        store: Store,
        platform: DemandPass,
        deals_platform: DemandPass,
        email: bool,
        evidence_dir: Option<PathBuf>,
    ) -> Result<Board> {
        let load = |file: &str, text: &str| {
            flow::Definition::load(file, text, PARTIES, GUARDS)
                .map_err(|e| EngineError::Setup(e.to_string()))
        };
        let setup = |e: contest::DataError| EngineError::Setup(e.to_string());
        Ok(Board {
            challenge: load("challenge.toml", flow::CHALLENGE)?,
            scenario: load("scenario.toml", flow::SCENARIO)?,
            settings: contest::Settings::load("settings.toml", contest::SETTINGS).map_err(setup)?,
            form: contest::Form::load("scoring-default.toml", contest::DEFAULT_FORM)
                .map_err(setup)?,
            market: contest::MarketRules::load("market-grade.toml", contest::MARKET)
                .map_err(setup)?,
            evidence_dir,
            deals: Desk::new(store.clone(), deals_platform, email)?,
            store,
            platform,
        })
    }

    /// One change inside a challenge by `actor`, allowed in `stages` (empty: any), written with its
    /// audit row (`audit`: action and detail) and notifications — every use case's one write.
    pub(crate) async fn change(
        &self,
        actor: &Actor,
        id: i64,
        stages: Vec<String>,
        op: store::ChallengeOp,
        audit: (&str, String),
        notify: Vec<store::NewNotice>,
    ) -> Result<Written> {
        Ok(self
            .store
            .challenge_write(&store::ChallengeWrite {
                challenge_id: id,
                stages,
                op,
                actor: actor.username.clone(),
                action: audit.0.to_string(),
                detail: audit.1,
                notify,
            })
            .await?)
    }

    /// The workflow of a challenge row.
    pub fn flow_of(&self, c: &ChallengeRow) -> &flow::Definition {
        if c.kind == "scenario" {
            &self.scenario
        } else {
            &self.challenge
        }
    }

    /// The actor's workflow parties in a challenge.
    pub fn parties(&self, actor: Option<&Actor>, c: &ChallengeRow) -> BTreeSet<&'static str> {
        let mut p = BTreeSet::new();
        let Some(a) = actor else { return p };
        if a.org.is_some() && a.org == Some(c.poster_org) {
            p.insert("poster");
        }
        let end_user = c.end_user_org.unwrap_or(c.poster_org);
        if a.org.is_some() && a.org == Some(end_user) {
            p.insert("end_user");
        }
        if a.operator {
            p.insert("operator");
        }
        p
    }

    /// Whether the actor may see the challenge at all: drafts by their poster, end user and the
    /// operators; a
    /// `registered` one by signed-in users; a public one by anyone.
    pub fn visible(&self, actor: Option<&Actor>, c: &ChallengeRow) -> bool {
        if !self.parties(actor, c).is_empty() {
            return true;
        }
        if matches!(c.stage.as_str(), "draft" | "refining") {
            return false;
        }
        c.visibility == "public" || actor.is_some()
    }

    /// The challenge when the actor may see it; "not found" otherwise, alike.
    pub(crate) async fn challenge_for(
        &self,
        actor: Option<&Actor>,
        id: i64,
    ) -> Result<ChallengeRow> {
        let missing = || EngineError::NotFound(format!("no challenge #{id}"));
        let c = self.store.challenge(id).await?.ok_or_else(missing)?;
        if !self.visible(actor, &c) {
            return Err(missing());
        }
        Ok(c)
    }

    pub(crate) fn detail_of(c: &ChallengeRow) -> Detail {
        serde_json::from_str(&c.detail).unwrap_or_default()
    }

    /// The challenge's scoring form (its own, or the shipped default).
    pub fn form_of(&self, c: &ChallengeRow) -> contest::Form {
        Self::detail_of(c).form.unwrap_or_else(|| self.form.clone())
    }

    /// Checks and normalizes the fields of a challenge.
    async fn fields(
        &self,
        actor: &Actor,
        poster: i64,
        kind: &str,
        req: &ChallengeInput,
    ) -> Result<ChallengeFields> {
        let title = req.title.trim().to_string();
        if title.is_empty() {
            return Err(EngineError::Input(
                "title: give the challenge a title".into(),
            ));
        }
        check_len("title", &title, MAX_TITLE)?;
        check_len("summary", &req.summary, MAX_SUMMARY)?;
        check_len("detail.ip_terms", &req.detail.ip_terms, MAX_SUMMARY)?;
        check_len("detail.offer", &req.detail.offer, MAX_SUMMARY)?;
        for (field, v) in [
            ("budget_fen", req.budget_fen),
            ("matching_fen", req.matching_fen),
        ] {
            if !(0..=100_000_000_000_000).contains(&v) {
                return Err(EngineError::Input(format!(
                    "{field}: give an amount in integer fen from 0 to 10^14"
                )));
            }
        }
        if !(1..=10).contains(&req.winners_max) {
            return Err(EngineError::Input("winners_max: give 1 to 10 teams".into()));
        }
        let visibility = req.visibility.clone().unwrap_or_else(|| "public".into());
        if visibility != "public" && visibility != "registered" {
            return Err(EngineError::Input(
                "visibility: use `public` or `registered`".into(),
            ));
        }
        let notice_days = req.notice_days.unwrap_or(self.settings.notice_days);
        if !(1..=60).contains(&notice_days) {
            return Err(EngineError::Input("notice_days: give 1 to 60 days".into()));
        }
        if let Some(d) = &req.deadline {
            parse_date("deadline", d)?;
        }
        let d = &req.detail;
        if d.targets.len() > self.settings.max_targets {
            return Err(EngineError::Input(format!(
                "detail.targets: at most {} target metrics",
                self.settings.max_targets
            )));
        }
        for (i, t) in d.targets.iter().enumerate() {
            let n = i + 1;
            if t.name.trim().is_empty() || !t.threshold.is_finite() {
                return Err(EngineError::Input(format!(
                    "detail.targets[{n}]: give a name and a finite threshold"
                )));
            }
            check_len(&format!("detail.targets[{n}].name"), &t.name, MAX_TITLE)?;
            check_len(&format!("detail.targets[{n}].unit"), &t.unit, 40)?;
            check_len(
                &format!("detail.targets[{n}].method"),
                &t.method,
                MAX_SUMMARY,
            )?;
            if t.direction != "at_least" && t.direction != "at_most" {
                return Err(EngineError::Input(format!(
                    "detail.targets[{n}].direction: use `at_least` or `at_most`"
                )));
            }
        }
        let codes = self.market.codes();
        for (k, v) in &d.market_targets {
            if !codes.contains(&k.as_str()) || *v < 0 {
                return Err(EngineError::Input(format!(
                    "detail.market_targets.{k}: use {} with a value of 0 or more",
                    codes.join(", ")
                )));
            }
        }
        if let Some(f) = &d.form {
            f.check()
                .map_err(|m| EngineError::Input(format!("detail.form: {m}")))?;
        }
        if let Some(demand) = req.demand_id {
            let owner = self.deals.demand_owner_for(&self.platform, demand).await;
            if !matches!(owner, Ok(o) if o == poster) {
                return Err(EngineError::Input(format!(
                    "demand_id: need #{demand} is not an open need of the posting organization"
                )));
            }
        }
        if let Some(e) = req.end_user_org_id {
            self.deals.org_face(e).await?;
            if self
                .store
                .get(model::RecordKind::Organization, e)
                .await?
                .is_none()
            {
                return Err(EngineError::Input(format!(
                    "end_user_org_id: no organization #{e}"
                )));
            }
        }
        let _ = (actor, kind);
        Ok(ChallengeFields {
            title,
            summary: req.summary.trim().to_string(),
            demand_id: req.demand_id,
            // No end user named: the poster uses the result itself.
            end_user_org: req.end_user_org_id.or(Some(poster)),
            budget_fen: req.budget_fen,
            matching_fen: req.matching_fen,
            deadline: req.deadline.as_ref().map(|d| d.trim().to_string()),
            visibility,
            winners_max: req.winners_max,
            blind: req.blind,
            notice_days,
            detail: serde_json::to_string(d).expect("detail serialises"),
        })
    }

    /// Creates a challenge (or scenario) in its workflow's first stage; its view for the poster.
    pub async fn create(&self, actor: &Actor, req: &ChallengeInput) -> Result<ChallengeView> {
        let kind = req.kind.clone().unwrap_or_else(|| "challenge".into());
        if kind != "challenge" && kind != "scenario" {
            return Err(EngineError::Input(
                "kind: use `challenge` or `scenario`".into(),
            ));
        }
        let poster = match (actor.operator, req.poster_org_id, actor.org) {
            (true, Some(p), _) => {
                if self.store.get(model::RecordKind::Organization, p).await?.is_none() {
                    return Err(EngineError::Input(format!("poster_org_id: no organization #{p}")));
                }
                p
            }
            (_, Some(p), Some(own)) if p != own => {
                return Err(EngineError::Forbidden(
                    "you post as your own organization; leave poster_org_id out".into(),
                ))
            }
            (_, _, Some(own)) if !actor.broker => own,
            _ => {
                return Err(EngineError::Forbidden(
                    "challenges are posted by an enterprise, a department or an operator on their behalf".into(),
                ))
            }
        };
        let day_ago = self.store.now_ts() - 86_400;
        if self.store.challenges_posted_since(poster, day_ago).await? >= MAX_POSTED_A_DAY {
            return Err(EngineError::Limited(format!(
                "this organization posted {MAX_POSTED_A_DAY} challenges in the last 24 hours; try again later"
            )));
        }
        let fields = self.fields(actor, poster, &kind, req).await?;
        let track = if actor.official || (actor.operator && actor.org != Some(poster)) {
            "government"
        } else {
            "enterprise"
        };
        let flow = if kind == "scenario" {
            &self.scenario
        } else {
            &self.challenge
        };
        let id = self
            .store
            .create_challenge(
                &kind,
                track,
                poster,
                &fields,
                &flow.workflow.initial,
                actor.user_id,
                &actor.username,
            )
            .await?;
        self.show(Some(actor), id).await
    }

    /// Edits a challenge before it is published (poster or operator).
    pub async fn edit(
        &self,
        actor: &Actor,
        id: i64,
        req: &ChallengeInput,
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let parties = self.parties(Some(actor), &c);
        if !parties.contains("poster") && !parties.contains("operator") {
            return Err(EngineError::Forbidden(
                "only the poster and the operators edit a challenge".into(),
            ));
        }
        let Some(version) = req.version else {
            return Err(EngineError::Input(
                "version: give the version you read".into(),
            ));
        };
        let fields = self.fields(actor, c.poster_org, &c.kind, req).await?;
        let w = self
            .store
            .edit_challenge(
                id,
                version,
                &["draft", "refining"],
                &fields,
                &actor.username,
            )
            .await?;
        written(w, id, "editing")?;
        self.show(Some(actor), id).await
    }

    /// Challenges (or scenarios) the actor may see, most recently moved first; `stage` narrows.
    pub async fn list(
        &self,
        actor: Option<&Actor>,
        kind: &str,
        stage: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChallengeSummary>> {
        let stages: Vec<&str> = stage.into_iter().collect();
        let reader = store::ChallengeReader {
            signed_in: actor.is_some(),
            operator: actor.is_some_and(|a| a.operator),
            org: actor.and_then(|a| a.org),
        };
        let rows = self
            .store
            .visible_challenges(kind, &stages, reader, limit)
            .await?;
        let mut out = vec![];
        // The rule again, row by row: the query and `visible` must agree.
        for c in rows.iter().filter(|c| self.visible(actor, c)) {
            out.push(self.summary(c).await?);
        }
        Ok(out)
    }
}
