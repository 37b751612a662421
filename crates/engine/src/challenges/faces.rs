//! The shapes a reader receives of a challenge (the API's JSON and the pages' data): the posting,
//! applications as far as the reader may read them, reviewers and standings for the operators,
//! feedback for applicants, milestones, market records, the timeline.

use super::Detail;
use crate::engagements::OrgFace;

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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
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
    /// Evidence files (sales ledgers, contracts); their contents only for those with the right.
    pub evidence: Vec<EvidenceFace>,
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub grade: Option<contest::Grade>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub acceptance: Option<serde_json::Value>,
    /// Organizations invited (operators only).
    pub invitations: Vec<InvitationFace>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionMean {
    pub code: String,
    /// The criterion's words on a challenge's own form (the shipped codes have theirs in the i18n data).
    pub label: Option<String>,
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
