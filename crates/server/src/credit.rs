//! Tech credit over HTTP. Who sees what:
//! - anyone may score a profile they send inline: a what-if on the sender's own figures, never stored,
//!   so a grade a bank reads always comes from a stored profile;
//! - a stored profile is scored (and the evaluation stored) for those who may read it, and for
//!   financiers, who see the score, factors and reasons but never the profile itself;
//! - stored evaluations: the same people; the inputs only for those who may read the profile.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use credit::{Breaker, CreditScore, Defaults, SimOptions, SimReport};
use engine::credit::{Reproduction, StoredCredit};
use rules::Profile;

use crate::access::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tiers::{parse_date, parse_profiles};
use crate::{ApiJson, ApiPath, ApiQuery};

/// The most loans one simulation may hold, and the most Monte Carlo runs.
const MAX_LOANS: usize = 100_000;
const MAX_RUNS: usize = 2_000;
/// The most loans × runs one simulation request may ask for.
const MAX_LOAN_RUNS: usize = 5_000_000;

/// What to score: an inline `profile`, or a stored one by `uscc`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    #[schema(value_type = Option<Object>)]
    pub profile: Option<serde_json::Value>,
    pub uscc: Option<String>,
    /// YYYY-MM-DD, default today.
    pub as_of: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreResponse {
    /// The stored evaluation's id; absent for a what-if.
    pub evaluation_id: Option<i64>,
    /// True for an inline profile: a what-if on the sender's figures, not stored, not a grade of record.
    pub what_if: bool,
    #[schema(value_type = Object)]
    pub credit: CreditScore,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationsParams {
    /// One enterprise's evaluations (required unless the viewer is an official or financier).
    pub uscc: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationsResponse {
    #[schema(value_type = Vec<Object>)]
    pub evaluations: Vec<StoredCredit>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationResponse {
    #[schema(value_type = Object)]
    pub evaluation: StoredCredit,
    #[schema(value_type = Object)]
    pub reproduction: Reproduction,
}

/// A loan book to simulate and the sharing rule.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// CSV: id, principal (yuan), annual_rate, term_months[, start_month, grade, pd, default_month].
    pub book_csv: String,
    /// The fund's share of defaulted principal (default 0.8, Chongqing's rule).
    pub fund_share: Option<f64>,
    pub fund_size_yuan: Option<f64>,
    pub payout_cap: Option<f64>,
    pub default_ratio_cap: Option<f64>,
    #[serde(default)]
    pub stop_new_lending: bool,
    /// Draw defaults this many times instead of the book's default_month.
    pub runs: Option<usize>,
    pub seed: Option<u64>,
}

fn who(viewer: &Viewer) -> String {
    viewer
        .user()
        .map(|u| u.username.clone())
        .unwrap_or_else(|| "anonymous".into())
}

pub async fn score_for(
    state: &AppState,
    viewer: &Viewer,
    r: ScoreRequest,
) -> ApiResult<ScoreResponse> {
    let date = parse_date(r.as_of.as_deref())?;
    let (profile, pass): (Profile, Option<store::ProfilePass>) = match (r.profile, r.uscc) {
        // An inline profile is the sender's own what-if: scored, never stored, so no grade a bank
        // reads can come from figures an enterprise typed in (banks see stored profiles' grades).
        (Some(v), None) => (parse_profiles(vec![v])?.remove(0), None),
        (None, Some(u)) => {
            let missing = || ApiError::not_found(format!("no profile for {u} that you may score"));
            let pass = state
                .policy
                .scoring_pass(viewer, &u)
                .await?
                .ok_or_else(missing)?;
            let p = engine::tiers::profile(&state.store, &pass)
                .await?
                .ok_or_else(missing)?;
            (p, Some(pass))
        }
        _ => {
            return Err(ApiError::invalid(
                "give either `profile` (inline) or `uscc` (a stored profile), not both or neither",
            ))
        }
    };
    if let Some(pass) = pass {
        let (id, s) = engine::credit::score_and_store(
            &state.store,
            &pass,
            &state.rulebook,
            &state.card,
            &profile,
            date,
            &who(viewer),
        )
        .await?;
        Ok(ScoreResponse {
            evaluation_id: Some(id),
            what_if: false,
            credit: s,
        })
    } else {
        // A preview of an inline profile: no stored judgment is read for it.
        let none = rules::AssessorInputs::new();
        let (s, _) = engine::credit::score(&state.rulebook, &state.card, &profile, date, &none)?;
        Ok(ScoreResponse {
            evaluation_id: None,
            what_if: true,
            credit: s,
        })
    }
}

/// Scores a profile with the tech-credit scorecard: stage, factor points, grade A–E, credit line
/// and reason codes. Stored profiles' evaluations are stored with inputs, card version and time.
#[utoipa::path(post, path = "/api/v1/credit/score", tag = "credit", request_body = ScoreRequest,
    responses((status = 200, body = ScoreResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn score(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<ScoreRequest>,
) -> ApiResult<Json<ScoreResponse>> {
    Ok(Json(score_for(&state, &viewer, r).await?))
}

/// Stored evaluations, newest first. Officials and financiers may list all; others name their own
/// enterprise's USCC. Inputs only for those who may read the profile.
#[utoipa::path(get, path = "/api/v1/credit/evaluations", tag = "credit", params(EvaluationsParams),
    responses((status = 200, body = EvaluationsResponse), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn evaluations(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<EvaluationsParams>,
) -> ApiResult<Json<EvaluationsResponse>> {
    crate::api::signed_in(&viewer)?;
    let uscc = p.uscc.filter(|u| !u.is_empty());
    let refused = || {
        ApiError::forbidden(
            "credit evaluations are for officials, financiers and the enterprise itself (give your uscc)",
        )
    };
    let pass = match &uscc {
        None => state.policy.credit_list_pass(&viewer).ok_or_else(refused)?,
        Some(u) => state
            .policy
            .credit_pass(&viewer, u)
            .await?
            .ok_or_else(refused)?,
    };
    let evaluations = engine::credit::evaluations(&state.store, &pass).await?;
    Ok(Json(EvaluationsResponse { evaluations }))
}

/// One stored evaluation, and whether re-running its inputs with the card in force reproduces it.
#[utoipa::path(get, path = "/api/v1/credit/evaluations/{id}", tag = "credit",
    params(("id" = i64, Path, description = "Evaluation id")),
    responses((status = 200, body = EvaluationResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn evaluation(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EvaluationResponse>> {
    let missing = || ApiError::not_found(format!("no credit evaluation {id} that you may read"));
    let Some(uscc) = state.store.credit_evaluation_of(id).await? else {
        return Err(missing());
    };
    let pass = state
        .policy
        .credit_pass(&viewer, &uscc)
        .await?
        .ok_or_else(missing)?;
    let (evaluation, reproduction) =
        engine::credit::evaluation(&state.store, &state.card, id, &pass)
            .await?
            .ok_or_else(missing)?;
    Ok(Json(EvaluationResponse {
        evaluation,
        reproduction,
    }))
}

/// Simulates a loan book: the risk fund's and the bank's losses under the sharing rule (fund 80% of
/// principal, bank 20% plus interest by default) with an optional circuit breaker.
#[utoipa::path(post, path = "/api/v1/credit/simulate", tag = "credit", request_body = SimulateRequest,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn simulate(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<SimulateRequest>,
) -> ApiResult<Json<SimReport>> {
    // Heavy work: signed-in users only, a few a minute each, on the bounded pool, within a budget.
    let user = crate::api::signed_in(&viewer)?;
    state.heavy.admit(user.id)?;
    let book = credit::parse_loan_book_csv("book_csv", &r.book_csv)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    if book.len() > MAX_LOANS {
        return Err(ApiError::invalid(format!(
            "{} loans: simulate at most {MAX_LOANS} per request",
            book.len()
        )));
    }
    if r.runs.is_some_and(|n| n > MAX_RUNS || n == 0) {
        return Err(ApiError::invalid(format!("runs: from 1 to {MAX_RUNS}")));
    }
    // Keep one request's work bounded (loans × runs), and its time (the budget below).
    let runs = r.runs.unwrap_or(1);
    if book.len() * runs > MAX_LOAN_RUNS {
        return Err(ApiError::invalid(format!(
            "{} loans × {runs} runs: keep loans × runs at most {MAX_LOAN_RUNS} (fewer runs, or the CLI `shuanglian credit simulate`)",
            book.len()
        )));
    }
    let opts = SimOptions {
        fund_share: r.fund_share.unwrap_or(0.8),
        fund_size_fen: r.fund_size_yuan.map(|y| (y * 100.0).round() as i64),
        breaker: Breaker {
            payout_cap: r.payout_cap,
            default_ratio_cap: r.default_ratio_cap,
            stop_new_lending: r.stop_new_lending,
        },
        defaults: match r.runs {
            Some(runs) => Defaults::Drawn {
                runs,
                seed: r.seed.unwrap_or(7),
            },
            None => Defaults::Given,
        },
        deadline: Some(
            std::time::Instant::now()
                + std::time::Duration::from_secs(state.config.heavy_budget_secs),
        ),
        ..SimOptions::default()
    };
    let report = state
        .cpu
        .try_run(move || credit::simulate(&book, &opts))
        .await?
        .map_err(|e| match e {
            credit::SimError::OverBudget { .. } => {
                ApiError::new(crate::error::Code::OverBudget, e.to_string())
            }
            other => ApiError::invalid(other.to_string()),
        })?;
    Ok(Json(report))
}
