//! Patent filings on the IP fast track (知识产权快速预审): a filing's eligibility by IPC (the centre's
//! served industries, `data/pilot/ip-fast-track.toml`), its stages on the one workflow mechanism
//! (`data/workflows/ip_filing.toml`) with the date each was reached, links to outcomes, and time to
//! grant per industry and route. An unpublished application is its applicant's secret: filings are
//! read by their organization, the operators and officials only.

use model::{Record, RecordKind};

use super::Library;
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// Most filings one organization records in 24 hours (each is a row others count in statistics).
pub const MAX_FILINGS_A_DAY: i64 = 200;

/// What recording a filing takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FilingInput {
    /// The application number, e.g. CN202410123456.7.
    #[cfg_attr(feature = "openapi", schema(min_length = 5, max_length = 40))]
    pub application_no: String,
    /// `invention`, `utility_model` or `design` (from the number when left out).
    #[serde(default)]
    pub kind: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub ipc: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 300))]
    pub title: String,
    /// The outcome it protects (one the caller's organization owns).
    #[serde(default)]
    pub outcome_id: Option<i64>,
    /// YYYY-MM-DD.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub filed_on: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub claims: i64,
    /// The applicant organization (operators recording for one; others file as their own).
    #[serde(default)]
    pub applicant_org_id: Option<i64>,
}

/// A stage reached.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FilingMoveInput {
    /// `pre_examined`, `fast_track`, `granted`, `rejected`, `withdrawn`.
    pub to: String,
    /// The day it happened, YYYY-MM-DD (not before the last stage, not in the future).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub on_date: String,
    pub version: i64,
}

/// A filing as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilingFace {
    pub id: i64,
    pub application_no: String,
    pub kind: String,
    pub ipc: Vec<String>,
    pub title: String,
    pub outcome_id: Option<i64>,
    pub filed_on: String,
    pub stage: String,
    pub stage_on: String,
    pub granted_on: Option<String>,
    pub claims: i64,
    pub fast_track: bool,
    /// The served industry that makes it eligible for the fast track (none: not eligible).
    pub industry: Option<String>,
    pub days_to_grant: Option<i64>,
    pub moves: Vec<String>,
    pub version: i64,
}

/// Time to grant of one industry (or `other`) by route.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantTimes {
    pub industry: String,
    pub filings: usize,
    pub granted_fast: usize,
    pub granted_ordinary: usize,
    pub median_days_fast: Option<f64>,
    pub median_days_ordinary: Option<f64>,
}

fn date(field: &str, s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        EngineError::Input(format!(
            "{field}: `{s}` is not a date; write it as YYYY-MM-DD"
        ))
    })
}

impl Library {
    fn may_read_filing(actor: &Actor, f: &store::FilingRow) -> bool {
        actor.operator || actor.official || (actor.org.is_some() && actor.org == f.applicant_org)
    }

    fn filing_face(&self, actor: &Actor, f: &store::FilingRow) -> FilingFace {
        let ipc: Vec<String> = f
            .ipc
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut parties = std::collections::BTreeSet::new();
        if actor.org.is_some() && actor.org == f.applicant_org {
            parties.insert("applicant");
        }
        if actor.operator {
            parties.insert("operator");
        }
        let days = f.granted_on.as_deref().and_then(|g| {
            let (a, b) = (date("", &f.filed_on).ok()?, date("", g).ok()?);
            Some((b - a).num_days())
        });
        FilingFace {
            id: f.id,
            application_no: f.application_no.clone(),
            kind: f.kind.clone(),
            industry: self
                .fast_track
                .industry_of(&ipc)
                .map(|(i, _)| i.code.clone()),
            ipc,
            title: f.title.clone(),
            outcome_id: f.outcome_id,
            filed_on: f.filed_on.clone(),
            stage: f.stage.clone(),
            stage_on: f.stage_on.clone(),
            granted_on: f.granted_on.clone(),
            claims: f.claims,
            fast_track: f.fast_track != 0,
            days_to_grant: days,
            moves: self
                .filing
                .moves(&f.stage, &parties)
                .into_iter()
                .map(str::to_string)
                .collect(),
            version: f.version,
        }
    }

    /// Records a filing (its organization's users, or an operator for one).
    pub async fn add_filing(&self, actor: &Actor, req: &FilingInput) -> Result<FilingFace> {
        let no: String = req
            .application_no
            .split_whitespace()
            .collect::<String>()
            .to_uppercase();
        let no: model::PatentNumber = no
            .parse()
            .map_err(|e: String| EngineError::Input(format!("application_no: {e}")))?;
        let kind = match &req.kind {
            Some(k) => k.clone(),
            None => pilot::poc::patent_type(no.as_str())
                .unwrap_or("invention")
                .to_string(),
        };
        if !matches!(kind.as_str(), "invention" | "utility_model" | "design") {
            return Err(EngineError::Input(
                "kind: use invention, utility_model or design".into(),
            ));
        }
        let title = req.title.trim();
        if title.is_empty() {
            return Err(EngineError::Input(
                "title: give the application's title".into(),
            ));
        }
        super::check_len("title", title, 300)?;
        if req.ipc.len() > 20 || !(0..=1000).contains(&req.claims) {
            return Err(EngineError::Input(
                "ipc: at most 20 symbols; claims: 0–1000".into(),
            ));
        }
        let ipc = req
            .ipc
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.parse::<model::IpcCode>()
                    .map(|c| c.as_str().to_string())
                    .map_err(|e| EngineError::Input(format!("ipc: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let filed = date("filed_on", &req.filed_on)?;
        if filed > super::seeds_today(&self.store) {
            return Err(EngineError::Input(
                "filed_on: a filing is recorded once filed; the date is in the future".into(),
            ));
        }
        let applicant = if actor.operator {
            req.applicant_org_id.or(actor.org)
        } else {
            actor.org
        };
        let Some(applicant) = applicant else {
            return Err(EngineError::Forbidden(
                "record filings as a user of the applicant organization".into(),
            ));
        };
        if !actor.operator && req.applicant_org_id.is_some_and(|o| Some(o) != actor.org) {
            return Err(EngineError::Forbidden(
                "you record your own organization's filings".into(),
            ));
        }
        let day_ago = self.store.now_ts() - 24 * 3600;
        if self
            .store
            .filings_recorded_since(applicant, day_ago)
            .await?
            >= MAX_FILINGS_A_DAY
        {
            return Err(EngineError::Limited(format!(
                "an organization records at most {MAX_FILINGS_A_DAY} filings in 24 hours; try again tomorrow or ask an operator to import them"
            )));
        }
        if let Some(o) = req.outcome_id {
            let owners = match self.store.get(RecordKind::Outcome, o).await? {
                Some(s) => match s.record {
                    Record::Outcome(x) => x.owners,
                    _ => vec![],
                },
                None => return Err(EngineError::NotFound(format!("no outcome #{o}"))),
            };
            let name = self.deals.org_face(applicant).await?.name;
            if !actor.operator && !owners.contains(&name) {
                return Err(EngineError::Forbidden(format!(
                    "outcome #{o} is not your organization's; link filings to your own outcomes"
                )));
            }
        }
        let id = self
            .store
            .add_filing(
                &store::NewFiling {
                    application_no: no.as_str().to_string(),
                    kind,
                    ipc: ipc.join(";"),
                    title: title.to_string(),
                    outcome_id: req.outcome_id,
                    applicant_org: Some(applicant),
                    filed_on: filed.to_string(),
                    claims: req.claims,
                    created_by: Some(actor.user_id),
                },
                &actor.username,
            )
            .await?
            .ok_or_else(|| {
                EngineError::Conflict(format!(
                    "your organization recorded application {} already",
                    no.as_str()
                ))
            })?;
        let row = self
            .store
            .filing(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("no filing #{id}")))?;
        Ok(self.filing_face(actor, &row))
    }

    /// Moves a filing to the stage it reached.
    pub async fn move_filing(
        &self,
        actor: &Actor,
        id: i64,
        req: &FilingMoveInput,
    ) -> Result<FilingFace> {
        let missing = || EngineError::NotFound(format!("no filing #{id}"));
        let f = self.store.filing(id).await?.ok_or_else(missing)?;
        if !Self::may_read_filing(actor, &f) {
            return Err(missing());
        }
        let mut parties = std::collections::BTreeSet::new();
        if actor.org.is_some() && actor.org == f.applicant_org {
            parties.insert("applicant");
        }
        if actor.operator {
            parties.insert("operator");
        }
        let ipc: Vec<String> = f
            .ipc
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let eligible = self.fast_track.industry_of(&ipc).is_some();
        self.filing
            .check(&f.stage, &req.to, &parties, |g| g == "eligible" && eligible)
            .map_err(|r| match r {
                flow::Refusal::WrongParty { .. } => EngineError::Forbidden(r.to_string()),
                flow::Refusal::Guard(_) => EngineError::Input(format!(
                    "to: no IPC class of this filing is in the fields {} serves; it takes the ordinary route",
                    self.fast_track.centre
                )),
                _ => EngineError::Conflict(format!("filing #{id}: {r}")),
            })?;
        let on = date("on_date", &req.on_date)?;
        let last = date("", &f.stage_on).unwrap_or(on);
        if on < last || on > super::seeds_today(&self.store) {
            return Err(EngineError::Input(format!(
                "on_date: give the day it happened, from {last} to today"
            )));
        }
        match self
            .store
            .move_filing(
                id,
                &f.stage,
                &req.to,
                req.version,
                &on.to_string(),
                Some(actor.user_id),
                &actor.username,
            )
            .await?
        {
            store::Written::Done(_) => {}
            _ => {
                return Err(EngineError::Conflict(format!(
                    "filing #{id} changed since you read it; reload it"
                )))
            }
        }
        let row = self.store.filing(id).await?.ok_or_else(missing)?;
        Ok(self.filing_face(actor, &row))
    }

    /// The filings the actor may read.
    pub async fn filings(&self, actor: &Actor) -> Result<Vec<FilingFace>> {
        let rows = if actor.operator || actor.official {
            self.store.filings(None).await?
        } else if let Some(org) = actor.org {
            self.store.filings(Some(org)).await?
        } else {
            vec![]
        };
        Ok(rows.iter().map(|f| self.filing_face(actor, f)).collect())
    }

    pub async fn show_filing(&self, actor: &Actor, id: i64) -> Result<FilingFace> {
        let missing = || EngineError::NotFound(format!("no filing #{id}"));
        let f = self.store.filing(id).await?.ok_or_else(missing)?;
        if !Self::may_read_filing(actor, &f) {
            return Err(missing());
        }
        Ok(self.filing_face(actor, &f))
    }

    /// Time to grant per served industry (and `other`), by route: officials and operators.
    pub async fn grant_times(&self, actor: &Actor) -> Result<Vec<GrantTimes>> {
        if !(actor.official || actor.operator) {
            return Err(EngineError::Forbidden(
                "officials and the operators read grant times".into(),
            ));
        }
        let faces = self.filings(actor).await?;
        let mut codes: Vec<String> = self
            .fast_track
            .industries
            .iter()
            .map(|i| i.code.clone())
            .collect();
        codes.push("other".into());
        Ok(codes
            .into_iter()
            .map(|code| {
                let mine: Vec<&FilingFace> = faces
                    .iter()
                    .filter(|f| f.industry.as_deref().unwrap_or("other") == code)
                    .collect();
                let days = |fast: bool| -> Vec<i64> {
                    mine.iter()
                        .filter(|f| f.fast_track == fast)
                        .filter_map(|f| f.days_to_grant)
                        .collect()
                };
                let (fast, ordinary) = (days(true), days(false));
                GrantTimes {
                    industry: code,
                    filings: mine.len(),
                    granted_fast: fast.len(),
                    granted_ordinary: ordinary.len(),
                    median_days_fast: pilot::ipfast::median_days(fast),
                    median_days_ordinary: pilot::ipfast::median_days(ordinary),
                }
            })
            .collect())
    }
}
