//! Matching over the API: a need finds what could solve it, an outcome finds who could adopt it,
//! a stored need finds its matches; every answer explained.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use search::matching::MatchContext;

use super::*;
use crate::access::{Viewer, VisibleDemand};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdopterParams {
    /// Only enterprises in this region (name or code, with the places inside it).
    pub region: Option<String>,
    /// Number of hits, 1–100 (default 10).
    pub limit: Option<usize>,
}

/// Enterprises that could adopt an outcome, local first, each explained.
#[utoipa::path(get, path = "/api/v1/outcomes/{id}/adopters", tag = "matching",
    params(("id" = i64, Path, description = "Outcome id"), AdopterParams),
    responses((status = 200, body = AnswerView), (status = 404, body = ErrorBody)))]
pub async fn outcome_adopters(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<AdopterParams>,
) -> ApiResult<Json<AnswerView>> {
    state.sees_own_writes(&viewer).await;
    Ok(Json(
        adopters_for(&state, id, p.region.as_deref(), hits_limit(p.limit)?).await?,
    ))
}

/// Enterprises that could adopt outcome `id` (for the API and the outcome page).
pub async fn adopters_for(
    state: &AppState,
    id: i64,
    region: Option<&str>,
    limit: usize,
) -> ApiResult<AnswerView> {
    let regions = match region {
        Some(r) => engine::matching::region_keys(&[r.to_string()])?,
        None => vec![],
    };
    let engines = state.engines.read().await;
    let answer =
        engine::matching::adopters(&state.store, &engines, &state.ranking, id, regions, limit)
            .await?;
    Ok(AnswerView::from(answer))
}

pub(crate) fn hits_limit(limit: Option<usize>) -> ApiResult<usize> {
    match limit.unwrap_or(10) {
        n @ 1..=MAX_PAGE => Ok(n),
        n => Err(ApiError::invalid(format!(
            "limit {n}: give 1 to {MAX_PAGE} hits"
        ))),
    }
}

/// A ranked, explained answer of the matching engine.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AnswerView {
    pub query: String,
    /// `hybrid` (lexical and semantic) or `lexical`.
    pub mode: String,
    /// Version of the ranking configuration.
    pub ranking: String,
    /// Why the answer is what it is (lexical only, cut query, no candidate…).
    pub notes: Vec<String>,
    /// Ranked hits with their explanation (relevance parts, matched terms, snippet, signals).
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<search::Match>,
}

impl From<engine::Answer> for AnswerView {
    fn from(a: engine::Answer) -> AnswerView {
        AnswerView {
            query: a.query,
            mode: match a.mode {
                engine::Mode::Hybrid => "hybrid",
                engine::Mode::Lexical => "lexical",
            }
            .to_string(),
            ranking: a.ranking,
            notes: a.notes,
            hits: a.hits,
        }
    }
}

/// Outcomes, experts, labs and platforms that could solve a demand, each explained.
#[utoipa::path(get, path = "/api/v1/demands/{id}/matches", tag = "matching",
    params(("id" = i64, Path, description = "Demand id"), KindParams),
    responses((status = 200, body = AnswerView), (status = 404, body = ErrorBody)))]
pub async fn demand_matches(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<KindParams>,
) -> ApiResult<Json<AnswerView>> {
    let pass = state.policy.demand_pass(&viewer);
    let Some(d) = viewer.demand(&state.store, &pass, id).await? else {
        return Err(ApiError::not_found(format!("no demand #{id}")));
    };
    state.sees_own_writes(&viewer).await;
    Ok(Json(
        matches_of(&state, &d, &pass, p.kind.as_deref(), hits_limit(p.limit)?).await?,
    ))
}

/// What could solve a demand the viewer may see.
pub async fn matches_of(
    state: &AppState,
    d: &VisibleDemand,
    pass: &store::DemandPass,
    kind: Option<&str>,
    limit: usize,
) -> ApiResult<AnswerView> {
    let (text, ctx) = engine::matching::need_of_demand(&d.stored().record)
        .ok_or_else(|| ApiError::internal("a visible demand is not a demand"))?;
    let filters = engine::matching::supply_filters(kind)?;
    let need = engine::matching::Need {
        text,
        filters,
        ctx,
        limit,
        // The verdicts engagements left on this need, read through the viewer's pass.
        own: engine::matching::OwnVerdicts::read(&state.store, d.id(), pass).await?,
    };
    let engines = state.engines.read().await;
    let mut answer =
        engine::matching::match_need(&state.store, &engines, &state.ranking, &need).await?;
    // The need's text is the viewer's to see here, but the answer names it by id, not by its text.
    answer.query = format!("demand #{}", d.id());
    Ok(AnswerView::from(answer))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KindParams {
    /// `outcome`, `expert`, `lab`, `platform`, `enterprise` or `any` (default).
    pub kind: Option<String>,
    /// Number of hits, 1–100 (default 10).
    pub limit: Option<usize>,
}

/// `POST /api/v1/match` body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// The need, Chinese or English (cut at 2,000 characters).
    pub text: String,
    /// `outcome`, `expert`, `lab`, `platform`, `enterprise` or `any` (default).
    pub kind: Option<String>,
    #[serde(default)]
    pub filters: MatchFilters,
    /// The need's stage (TRL 1–9), for the TRL-fit signal.
    pub need_trl: Option<u8>,
    /// The need's clusters, for the chain signal.
    #[serde(default)]
    pub need_clusters: Vec<String>,
    /// Number of hits, 1–100 (default 10).
    pub limit: Option<usize>,
}

#[derive(Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchFilters {
    /// TRL level or range, `6` or `4-7`.
    pub trl: Option<String>,
    /// Regions (names or codes, with the places inside them).
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub clusters: Vec<String>,
}

/// A need finds outcomes, experts, labs and platforms, each explained.
#[utoipa::path(post, path = "/api/v1/match", tag = "matching", request_body = MatchRequest,
    responses((status = 200, body = AnswerView), (status = 400, body = ErrorBody)))]
pub async fn match_need(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<MatchRequest>,
) -> ApiResult<Json<AnswerView>> {
    state.sees_own_writes(&viewer).await;
    let mut filters = engine::matching::supply_filters(r.kind.as_deref())?;
    filters.regions = engine::matching::region_keys(&r.filters.regions)?;
    filters.clusters = r.filters.clusters;
    if let Some(t) = &r.filters.trl {
        filters.trl = Some(engine::matching::parse_trl_range(t)?);
    }
    let need = engine::matching::Need {
        text: r.text,
        filters,
        ctx: MatchContext {
            trl: r.need_trl,
            clusters: r.need_clusters,
            chain_nodes: vec![],
        },
        limit: hits_limit(r.limit)?,
        own: None,
    };
    Ok(Json(run_need(&state, &need).await?))
}

async fn run_need(state: &AppState, need: &engine::matching::Need) -> ApiResult<AnswerView> {
    let engines = state.engines.read().await;
    let answer = engine::matching::match_need(&state.store, &engines, &state.ranking, need).await?;
    Ok(AnswerView::from(answer))
}

/// A need typed into the match page.
pub async fn match_for(
    state: &AppState,
    text: &str,
    kind: Option<&str>,
    need_trl: Option<u8>,
    limit: usize,
) -> ApiResult<AnswerView> {
    let need = engine::matching::Need {
        text: text.to_string(),
        filters: engine::matching::supply_filters(kind)?,
        ctx: MatchContext {
            trl: need_trl,
            ..MatchContext::default()
        },
        limit,
        own: None,
    };
    run_need(state, &need).await
}
