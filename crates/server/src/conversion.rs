//! The conversion chain's API beyond bookings: the PoC seed list and its selection, PoC applications
//! to centres, patent filings on the IP fast track with grant times, and an outcome's conversion
//! path. Handlers turn the viewer into an actor, lend the engine the matching engines and the chain
//! map, and call one library use case.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::pilot::applications::{PocApplicationFace, PocApplicationInput, PocDecisionInput};
use engine::pilot::filings::{FilingFace, FilingInput, FilingMoveInput, GrantTimes};
use engine::pilot::path::PathFace;
use engine::pilot::seeds::{ScreenContext, SeedFace};

use crate::access::Viewer;
use crate::challenges::{actor, maybe_actor};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// `GET /api/v1/poc/seeds` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SeedParams {
    /// The TRL band (default 3–5, data/rules/poc.toml).
    #[param(minimum = 1, maximum = 9)]
    pub trl_min: Option<u8>,
    #[param(minimum = 1, maximum = 9)]
    pub trl_max: Option<u8>,
    /// At most this many (1–1000, default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SeedList {
    /// The rules' version (data/rules/poc.toml).
    pub rules: String,
    pub seeds: Vec<SeedFace>,
}

/// The PoC seed list: outcomes in the TRL band scored by IP strength, local market pull, chain
/// priority and team, each part explained (officials, operators, PoC centres' staff).
#[utoipa::path(get, path = "/api/v1/poc/seeds", tag = "platforms", params(SeedParams),
    responses((status = 200, body = SeedList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn seeds(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<SeedParams>,
) -> ApiResult<Json<SeedList>> {
    let a = actor(&viewer)?;
    let limit = match p.limit.unwrap_or(200) {
        n @ 1..=1000 => n as usize,
        _ => return Err(crate::ApiError::invalid("limit: give 1 to 1000")),
    };
    let band = match (p.trl_min, p.trl_max) {
        (None, None) => None,
        (lo, hi) => Some((
            lo.unwrap_or(state.library.poc.trl_min),
            hi.unwrap_or(state.library.poc.trl_max),
        )),
    };
    let seeds = screen(&state, &a, band, limit).await?;
    Ok(Json(SeedList {
        rules: state.library.poc.version.clone(),
        seeds,
    }))
}

/// A turn among the screenings and plans running at once, or a refusal to try again.
fn planner_turn(state: &AppState) -> engine::Result<tokio::sync::SemaphorePermit<'_>> {
    state.planners.try_acquire().map_err(|_| {
        engine::EngineError::Limited(
            "many seed lists and paths are being worked out right now; try again in a few seconds"
                .into(),
        )
    })
}

/// Screens with the engines the server holds.
pub async fn screen(
    state: &AppState,
    a: &engine::engagements::Actor,
    band: Option<(u8, u8)>,
    limit: usize,
) -> engine::Result<Vec<SeedFace>> {
    let _turn = planner_turn(state)?;
    let engines = state.engines.read().await;
    let cx = ScreenContext {
        engines: &engines,
        ranking: &state.ranking,
        chains: &state.chains,
    };
    state.library.screen(a, &cx, band, limit).await
}

/// Selecting or unselecting a seed.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionRequest {
    pub selected: bool,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Marks an outcome a selected PoC seed, or takes it off (officials, operators). 204.
#[utoipa::path(post, path = "/api/v1/poc/seeds/{outcome}/selection", tag = "platforms",
    params(("outcome" = i64, Path, description = "Outcome id")), request_body = SelectionRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn select(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(outcome): ApiPath<i64>,
    ApiJson(req): ApiJson<SelectionRequest>,
) -> ApiResult<StatusCode> {
    let a = actor(&viewer)?;
    state
        .library
        .select_seed(&a, outcome, req.selected, &req.note, "{}")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ApplicationList {
    pub applications: Vec<PocApplicationFace>,
}

/// PoC applications the caller may read (a centre's staff: its own; officials, operators: all;
/// others: those they sent).
#[utoipa::path(get, path = "/api/v1/poc/applications", tag = "platforms",
    responses((status = 200, body = ApplicationList), (status = 401, body = ErrorBody)))]
pub async fn applications(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<ApplicationList>> {
    let a = actor(&viewer)?;
    Ok(Json(ApplicationList {
        applications: state.library.applications(&a).await?,
    }))
}

/// Sends a selected seed to a PoC centre (officials, operators, the outcome's owner). 409: an
/// application to that centre is open.
#[utoipa::path(post, path = "/api/v1/poc/applications", tag = "platforms", request_body = PocApplicationInput,
    responses((status = 201, body = PocApplicationFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<PocApplicationInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let f = state.library.send_to_centre(&a, &req).await?;
    state.deliveries_due();
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// The centre accepts or declines (with a reason); the sender withdraws.
#[utoipa::path(post, path = "/api/v1/poc/applications/{id}/decision", tag = "platforms",
    params(("id" = i64, Path, description = "Application id")), request_body = PocDecisionInput,
    responses((status = 200, body = PocApplicationFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PocDecisionInput>,
) -> ApiResult<Json<PocApplicationFace>> {
    let a = actor(&viewer)?;
    let f = state.library.decide_application(&a, id, &req).await?;
    state.deliveries_due();
    Ok(Json(f))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FilingList {
    pub filings: Vec<FilingFace>,
}

/// Patent filings the caller may read (its organization's; officials and operators: all).
#[utoipa::path(get, path = "/api/v1/ip/filings", tag = "platforms",
    responses((status = 200, body = FilingList), (status = 401, body = ErrorBody)))]
pub async fn filings(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<FilingList>> {
    let a = actor(&viewer)?;
    Ok(Json(FilingList {
        filings: state.library.filings(&a).await?,
    }))
}

/// Records a patent filing of the caller's organization (eligibility for the fast track is read
/// from its IPC classes). 409: the application number is recorded already.
#[utoipa::path(post, path = "/api/v1/ip/filings", tag = "platforms", request_body = FilingInput,
    responses((status = 201, body = FilingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_filing(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<FilingInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let f = state.library.add_filing(&a, &req).await?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// One filing (404 for anyone who may not read it).
#[utoipa::path(get, path = "/api/v1/ip/filings/{id}", tag = "platforms",
    params(("id" = i64, Path, description = "Filing id")),
    responses((status = 200, body = FilingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn filing(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FilingFace>> {
    let a = actor(&viewer)?;
    Ok(Json(state.library.show_filing(&a, id).await?))
}

/// Records the stage a filing reached and when (filed → pre-examined → fast track → granted |
/// rejected; the fast track only for eligible fields).
#[utoipa::path(post, path = "/api/v1/ip/filings/{id}/transitions", tag = "platforms",
    params(("id" = i64, Path, description = "Filing id")), request_body = FilingMoveInput,
    responses((status = 200, body = FilingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn move_filing(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<FilingMoveInput>,
) -> ApiResult<Json<FilingFace>> {
    let a = actor(&viewer)?;
    Ok(Json(state.library.move_filing(&a, id, &req).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GrantTimesView {
    pub centre: String,
    /// `confirmed` or `unconfirmed` (the served fields' source).
    pub status: String,
    pub industries: Vec<GrantTimes>,
}

/// Time to grant per served industry and route, fast track against ordinary (officials, operators).
#[utoipa::path(get, path = "/api/v1/ip/grant-times", tag = "platforms",
    responses((status = 200, body = GrantTimesView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn grant_times(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<GrantTimesView>> {
    let a = actor(&viewer)?;
    Ok(Json(GrantTimesView {
        centre: state.library.fast_track.centre.clone(),
        status: state.library.fast_track.status.clone(),
        industries: state.library.grant_times(&a).await?,
    }))
}

/// The credit evaluations a viewer may read on a path: every enterprise's for officials and
/// financiers, its own for an enterprise's user.
pub async fn credit_passes(
    state: &AppState,
    viewer: &Viewer,
) -> store::Result<Vec<store::CreditPass>> {
    if let Some(p) = state.policy.credit_list_pass(viewer) {
        return Ok(vec![p]);
    }
    let Some(org) = viewer.user().and_then(|u| u.organization_id) else {
        return Ok(vec![]);
    };
    let uscc = match state
        .store
        .get(model::RecordKind::Organization, org)
        .await?
    {
        Some(s) => match s.record {
            model::Record::Organization(o) => o.uscc.map(|u| u.to_string()),
            _ => None,
        },
        None => None,
    };
    Ok(match uscc {
        Some(u) => state
            .policy
            .credit_pass(viewer, &u)
            .await?
            .into_iter()
            .collect(),
        None => vec![],
    })
}

/// Plans a path for the viewer.
pub async fn plan(state: &AppState, viewer: &Viewer, outcome: i64) -> engine::Result<PathFace> {
    let a = maybe_actor(viewer);
    let passes = credit_passes(state, viewer).await?;
    let _turn = planner_turn(state)?;
    let engines = state.engines.read().await;
    let cx = ScreenContext {
        engines: &engines,
        ranking: &state.ranking,
        chains: &state.chains,
    };
    state.library.path(a.as_ref(), outcome, &cx, &passes).await
}

/// An outcome's conversion path: the PoC centre (low TRL), the pilot platform and machine with its
/// earliest free run, adopters (local first), financing (grades only for readers who may see them)
/// and IP status — a reason per step and the bottleneck named.
#[utoipa::path(get, path = "/api/v1/outcomes/{id}/path", tag = "platforms",
    params(("id" = i64, Path, description = "Outcome id")),
    responses((status = 200, body = PathFace), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn path(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PathFace>> {
    Ok(Json(plan(&state, &viewer, id).await?))
}
