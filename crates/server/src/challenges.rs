//! The challenge API (揭榜挂帅 and open application scenarios): post, list, read, move; apply and
//! confirm; assign reviewers (409 with the conflict's reason), score; object and resolve; milestones,
//! reports and decisions; market records; evidence files; candidate solvers and invitations. Each
//! handler turns the viewer into an engine actor (none for the anonymous), calls one board use case
//! and answers JSON: rights are decided by the board from stored facts.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::challenges::{
    ApplicationInput, ChallengeInput, ChallengeSummary, ChallengeView, MilestoneInput, MoveRequest,
    ObjectionInput, ResolveInput, ScoreInput,
};
use engine::engagements::Actor;

use crate::access::Viewer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// The viewer as an actor, or none when signed out.
pub fn maybe_actor(viewer: &Viewer) -> Option<Actor> {
    crate::engagements::actor(viewer).ok()
}

pub(crate) fn actor(viewer: &Viewer) -> ApiResult<Actor> {
    crate::engagements::actor(viewer)
}

/// `GET /api/v1/challenges` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this stage.
    pub stage: Option<String>,
    /// At most this many (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChallengeList {
    pub challenges: Vec<ChallengeSummary>,
}

fn limit(l: Option<i64>) -> ApiResult<i64> {
    match l.unwrap_or(100) {
        n @ 1..=500 => Ok(n),
        _ => Err(ApiError::invalid("limit: give 1 to 500")),
    }
}

async fn list_kind(
    state: &AppState,
    viewer: &Viewer,
    kind: &str,
    p: ListParams,
) -> ApiResult<Json<ChallengeList>> {
    let a = maybe_actor(viewer);
    let challenges = state
        .board
        .list(a.as_ref(), kind, p.stage.as_deref(), limit(p.limit)?)
        .await?;
    Ok(Json(ChallengeList { challenges }))
}

/// The challenges (榜单) the caller may see: published public ones for everyone, `registered` ones
/// for signed-in users, drafts for their poster and the operators.
#[utoipa::path(get, path = "/api/v1/challenges", tag = "challenges", params(ListParams),
    responses((status = 200, body = ChallengeList), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<ChallengeList>> {
    list_kind(&state, &viewer, "challenge", p).await
}

/// Open application scenarios (开放应用场景), as challenges are listed.
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "challenges", params(ListParams),
    responses((status = 200, body = ChallengeList), (status = 400, body = ErrorBody)))]
pub async fn list_scenarios(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<ChallengeList>> {
    list_kind(&state, &viewer, "scenario", p).await
}

/// Posts a challenge (a draft the operators refine and publish): an enterprise from its need, a
/// department for a chain, or an operator on their behalf (`poster_org_id`).
#[utoipa::path(post, path = "/api/v1/challenges", tag = "challenges", request_body = ChallengeInput,
    responses((status = 201, body = ChallengeView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<ChallengeInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let view = state.board.create(&a, &req).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Posts an open application scenario (site, period, what is offered).
#[utoipa::path(post, path = "/api/v1/scenarios", tag = "challenges", request_body = ChallengeInput,
    responses((status = 201, body = ChallengeView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_scenario(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(mut req): ApiJson<ChallengeInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    req.kind = Some("scenario".into());
    let view = state.board.create(&a, &req).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// One challenge or scenario with what the caller may see of it (404 for anyone who may not).
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")),
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ChallengeView>> {
    let a = maybe_actor(&viewer);
    Ok(Json(state.board.show(a.as_ref(), id).await?))
}

/// One scenario (the same view as a challenge).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "challenges",
    params(("id" = i64, Path, description = "Scenario id")),
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_scenario(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ChallengeView>> {
    let a = maybe_actor(&viewer);
    let v = state.board.show(a.as_ref(), id).await?;
    if v.kind != "scenario" {
        return Err(ApiError::not_found(format!("no scenario #{id}")));
    }
    Ok(Json(v))
}

/// Edits a challenge before publication (poster, operators); `version` as read.
#[utoipa::path(put, path = "/api/v1/challenges/{id}", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = ChallengeInput,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn edit(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ChallengeInput>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.edit(&a, id, &req).await?))
}

/// Moves a challenge. 403: the caller's side does not make this move; 409: stale version or a move
/// the stage does not allow; 400: what the move needs is missing (reviewers, scores, winners, the
/// notice's days, resolved objections, milestones, the measurements, a reason).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/transitions", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = MoveRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state.board.transition(&a, id, &req).await?;
    state.deliveries_due();
    Ok(Json(v))
}

/// Answers a challenge as the caller's organization (alone, or leading a consortium whose members
/// each confirm); a draft unless `submit`.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/applications", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = ApplicationInput,
    responses((status = 201, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn apply(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ApplicationInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let v = state.board.apply(&a, id, &req).await?;
    state.deliveries_due();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Edits (and with `submit` submits) an application: the lead's users, until the deadline.
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "challenges",
    params(("id" = i64, Path, description = "Application id")), request_body = ApplicationInput,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn edit_application(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ApplicationInput>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state.board.edit_application(&a, id, &req).await?;
    state.deliveries_due();
    Ok(Json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionRequest {
    pub version: i64,
}

/// Withdraws an application (the lead, until the deadline).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "challenges",
    params(("id" = i64, Path, description = "Application id")), request_body = VersionRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<VersionRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(
        state
            .board
            .withdraw_application(&a, id, req.version)
            .await?,
    ))
}

/// A consortium member confirms for its own organization.
#[utoipa::path(post, path = "/api/v1/applications/{id}/confirm", tag = "challenges",
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state.board.confirm_membership(&a, id).await?;
    state.deliveries_due();
    Ok(Json(v))
}

/// A reviewer's sheet for one application (409 when conflicted or out of the review stage).
#[utoipa::path(post, path = "/api/v1/applications/{id}/scores", tag = "challenges",
    params(("id" = i64, Path, description = "Application id")), request_body = ScoreInput,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn score(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ScoreInput>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.score(&a, id, &req).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerRequest {
    /// An expert of the registry with a linked account.
    #[schema(minimum = 1)]
    pub expert_id: i64,
}

/// Assigns a reviewer (operators). 409 names every conflict: same organization as an applicant or
/// consortium member, co-authorship with a team member, a recent engagement or contract, a recusal.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/reviewers", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = ReviewerRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign_reviewer(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviewerRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state.board.assign_reviewer(&a, id, req.expert_id).await?;
    state.deliveries_due();
    Ok(Json(v))
}

/// Takes a reviewer off the panel (operators): their sheets go with them.
#[utoipa::path(delete, path = "/api/v1/challenges/{id}/reviewers/{user}", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id"), ("user" = i64, Path, description = "The reviewer's user id")),
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_reviewer(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath((id, user)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.remove_reviewer(&a, id, user).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecusalRequest {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A reviewer declares a recusal and leaves the panel.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/recusal", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = RecusalRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn recuse(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RecusalRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.recuse(&a, id, &req.reason).await?))
}

/// An objection during the public notice (any signed-in user).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/objections", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = ObjectionInput,
    responses((status = 201, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn object(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ObjectionInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let v = state.board.object(&a, id, &req).await?;
    state.deliveries_due();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The operator resolves an objection: `upheld` or `dismissed`, with the resolution.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/objections/{objection}/resolution", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id"), ("objection" = i64, Path, description = "Objection id")),
    request_body = ResolveInput,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath((id, objection)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<ResolveInput>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.resolve(&a, id, objection, &req).await?))
}

/// A winner's milestones with their tranches (operators or the poster; replaces pending ones).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/milestones", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = MilestoneInput,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_milestones(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MilestoneInput>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(state.board.set_milestones(&a, id, &req).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    #[schema(min_length = 1, max_length = 4000)]
    pub report: String,
}

/// The winning team reports a milestone.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/milestones/{milestone}/report", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id"), ("milestone" = i64, Path, description = "Milestone id")),
    request_body = ReportRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath((id, milestone)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<ReportRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state
        .board
        .report_milestone(&a, id, milestone, &req.report)
        .await?;
    state.deliveries_due();
    Ok(Json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub accept: bool,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// With a rejection: the team stops (a horse-race team that failed its milestone).
    #[serde(default)]
    pub stop: bool,
}

/// The end user accepts or rejects a reported milestone.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/milestones/{milestone}/decision", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id"), ("milestone" = i64, Path, description = "Milestone id")),
    request_body = DecisionRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath((id, milestone)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state
        .board
        .decide_milestone(&a, id, milestone, req.accept, &req.note, req.stop)
        .await?;
    state.deliveries_due();
    Ok(Json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketRequest {
    /// 6, 12 or 24 months after acceptance.
    #[schema(minimum = 6, maximum = 24)]
    pub months: i64,
    /// adopters, revenue_fen, cost_saved_fen, orders → value.
    #[schema(value_type = Object)]
    pub figures: std::collections::BTreeMap<String, i64>,
    #[serde(default)]
    pub note: String,
}

/// Records the market's indicators (市场阅卷; operators or the end user, after acceptance).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/market", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = MarketRequest,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn market(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MarketRequest>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    Ok(Json(
        state
            .board
            .record_market(&a, id, req.months, &req.figures, &req.note)
            .await?,
    ))
}
