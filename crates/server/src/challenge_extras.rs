//! The challenge API's files and helpers: evidence files (filed and read with the right), candidate
//! solvers from the matching engine and invitations, and the test clock of test set-ups.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::challenges::ChallengeView;
use engine::engagements::ItemRef;

use crate::access::Viewer;
use crate::challenges::{actor, maybe_actor};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// Where an evidence file goes, and its name.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EvidenceParams {
    pub milestone_id: Option<i64>,
    pub market_months: Option<i64>,
    /// The file's name (shown; the type is read from the content).
    pub name: String,
}

/// Files an evidence file (the body is the file, at most 10 MiB: PDF, PNG, JPEG, text or CSV).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/evidence", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id"), EvidenceParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn add_evidence(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<EvidenceParams>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let v = state
        .board
        .add_evidence(&a, id, p.milestone_id, p.market_months, &p.name, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// An evidence file, for the team that filed it, the poster, the end user and the operators.
#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "challenges",
    params(("id" = i64, Path, description = "Evidence file id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn evidence(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let a = maybe_actor(&viewer);
    let (e, bytes) = state.board.evidence_file(a.as_ref(), id).await?;
    evidence_response(&e, bytes)
}

/// The file as an attachment, typed by its sniffed content, never rendered by the browser.
pub fn evidence_response(e: &store::EvidenceRow, bytes: Vec<u8>) -> ApiResult<Response> {
    let ascii: String = e
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = e
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, e.mime.clone()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Candidate solvers for a challenge (operators): the matching engine's answer to its task.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/candidates", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")),
    responses((status = 200, body = crate::api::AnswerView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn candidates(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<crate::api::AnswerView>> {
    let a = actor(&viewer)?;
    let v = state.board.show(Some(&a), id).await?;
    if !a.operator {
        return Err(ApiError::new(
            crate::error::Code::Forbidden,
            "the operators look for candidate solvers",
        ));
    }
    Ok(Json(
        crate::api::match_for(&state, &task_text(&v), None, None, 20).await?,
    ))
}

/// The words a challenge's task is matched with: title, summary, target metrics.
pub fn task_text(v: &ChallengeView) -> String {
    let targets: Vec<String> = v
        .detail
        .targets
        .iter()
        .map(|t| format!("{} {}", t.name, t.method))
        .collect();
    format!(
        "{}\n{}\n{}\n{}",
        v.title,
        v.summary,
        v.detail.offer,
        targets.join("\n")
    )
}

/// Invites a candidate solver's organization (operators; an inbox notice).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/invitations", tag = "challenges",
    params(("id" = i64, Path, description = "Challenge id")), request_body = ItemRef,
    responses((status = 200, body = ChallengeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn invite(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(item): ApiJson<ItemRef>,
) -> ApiResult<Json<ChallengeView>> {
    let a = actor(&viewer)?;
    let v = state.board.invite(&a, id, &item).await?;
    state.deliveries_due();
    Ok(Json(v))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// Days the workflow clock runs ahead of the wall clock (0 to 400).
    pub days: i64,
}

/// Test set-ups only (`SHUANGLIAN_TEST_CLOCK=1`, else the route does not exist): an operator moves
/// the workflow clock ahead, so a browser test passes a deadline or a notice period.
pub async fn test_clock(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<ClockRequest>,
) -> ApiResult<StatusCode> {
    let a = actor(&viewer)?;
    if !a.operator || !(0..=400).contains(&req.days) {
        return Err(ApiError::new(
            crate::error::Code::Forbidden,
            "operators move the test clock by 0 to 400 days",
        ));
    }
    tracing::warn!(days = req.days, by = %a.username, "test clock moved");
    state.store.set_clock_offset(req.days * 86_400);
    Ok(StatusCode::NO_CONTENT)
}
