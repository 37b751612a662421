//! Who may register what as whose, and the way out when someone else registered it first.
//!
//! An outcome registered through the API names the writer's own organization as its owner (operators
//! and admins excepted: they register on others' behalf), so nobody can register another party's
//! patent and block the real owner. Where a record with the same identity (DOI, patent number, title
//! and year) is registered already, the real owner is not left at a dead end: the conflict answer
//! names the claim path, `POST /api/v1/claims`, and an operator decides.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::RecordKind;

use crate::access::{SessionUser, Viewer};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// Makes an outcome the writer's own: its owners must be exactly the writer's organization (the
/// USCC is filled in from it), unless the writer registers for others.
pub async fn own_outcome(
    state: &AppState,
    viewer: &Viewer,
    outcome: &mut model::Outcome,
) -> ApiResult<()> {
    let user = crate::api::signed_in(viewer)?;
    if viewer.is_operator() {
        return Ok(());
    }
    let org = crate::api::organization_of(state, user, "an outcome is registered").await?;
    let others: Vec<&String> = outcome
        .owners
        .iter()
        .filter(|o| o.trim() != org.name)
        .collect();
    if !others.is_empty() {
        return Err(ApiError::new(Code::NotYourOrganization,
            format!(
                "owners: you may register outcomes of {} only (not {}); a co-owned outcome is registered by a platform operator",
                org.name,
                others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if outcome
        .owner_uscc
        .as_ref()
        .is_some_and(|u| Some(u) != org.uscc.as_ref())
    {
        return Err(ApiError::new(
            Code::NotYourOrganization,
            format!(
                "owner_uscc: give your organization's USCC ({}) or leave it out",
                org.uscc
                    .as_ref()
                    .map_or("none registered".to_string(), |u| u.to_string())
            ),
        ));
    }
    outcome.owners = vec![org.name.clone()];
    outcome.owner_uscc = org.uscc.clone();
    Ok(())
}

/// `POST /api/v1/claims` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// `outcome` (the kind of record claimed).
    pub kind: String,
    pub id: i64,
    /// Why the record is the claimant's (a patent certificate number, a link): at most 2,000 characters.
    pub note: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClaimFiled {
    pub claim_id: i64,
    pub status: String,
}

/// A claim as an operator sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub kind: String,
    pub record_id: i64,
    pub claimant_user: i64,
    pub claimant_org: Option<i64>,
    pub note: String,
    pub status: String,
    pub created_at: i64,
    pub decided_by: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClaimList {
    pub claims: Vec<ClaimView>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimParams {
    /// `open` (default), `accepted`, `rejected` or `all`.
    pub status: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDecision {
    /// `accepted` or `rejected`.
    pub status: String,
}

/// Files a claim that a registered outcome belongs to the claimant's organization.
#[utoipa::path(post, path = "/api/v1/claims", tag = "registry", request_body = ClaimRequest,
    responses((status = 201, body = ClaimFiled), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn file_claim(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<ClaimRequest>,
) -> ApiResult<Response> {
    let user = crate::api::signed_in(&viewer)?;
    if r.kind != "outcome" {
        return Err(ApiError::invalid(format!(
            "kind '{}': claims are filed on outcomes",
            r.kind
        )));
    }
    let note = r.note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "note: say why the outcome is yours, in 1 to 2,000 characters",
        ));
    }
    if state.store.get(RecordKind::Outcome, r.id).await?.is_none() {
        return Err(ApiError::not_found(format!("no outcome {}", r.id)));
    }
    let id = state
        .store
        .add_claim(&store::NewClaim {
            record_kind: "outcome",
            record_id: r.id,
            claimant_user: user.id,
            claimant_org: user.organization_id,
            note,
            actor: &format!("api:{}", user.username),
        })
        .await?;
    tracing::info!(claim = id, "claim filed");
    Ok((
        StatusCode::CREATED,
        Json(ClaimFiled {
            claim_id: id,
            status: "open".into(),
        }),
    )
        .into_response())
}

fn operator(viewer: &Viewer) -> ApiResult<&SessionUser> {
    let user = crate::api::signed_in(viewer)?;
    if !viewer.is_operator() {
        return Err(ApiError::forbidden(
            "claims are reviewed by platform operators and admins",
        ));
    }
    Ok(user)
}

/// Claims for an operator to review.
#[utoipa::path(get, path = "/api/v1/claims", tag = "registry", params(ClaimParams),
    responses((status = 200, body = ClaimList), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list_claims(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<ClaimParams>,
) -> ApiResult<Json<ClaimList>> {
    operator(&viewer)?;
    let status = match p.status.as_deref().unwrap_or("open") {
        "all" => None,
        s @ ("open" | "accepted" | "rejected") => Some(s),
        s => {
            return Err(ApiError::invalid(format!(
                "status '{s}': use open, accepted, rejected or all"
            )))
        }
    };
    let claims = state
        .store
        .claims(status)
        .await?
        .into_iter()
        .map(|c| ClaimView {
            id: c.id,
            kind: c.record_kind,
            record_id: c.record_id,
            claimant_user: c.claimant_user,
            claimant_org: c.claimant_org,
            note: c.note,
            status: c.status,
            created_at: c.created_at,
            decided_by: c.decided_by,
        })
        .collect();
    Ok(Json(ClaimList { claims }))
}

/// An operator's decision on an open claim (the record itself is then corrected by the operator).
#[utoipa::path(post, path = "/api/v1/claims/{id}/decision", tag = "registry",
    params(("id" = i64, Path, description = "Claim id")), request_body = ClaimDecision,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn decide_claim(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<ClaimDecision>,
) -> ApiResult<StatusCode> {
    let user = operator(&viewer)?;
    if !matches!(d.status.as_str(), "accepted" | "rejected") {
        return Err(ApiError::invalid(format!(
            "status '{}': use accepted or rejected",
            d.status
        )));
    }
    if !state
        .store
        .decide_claim(id, &d.status, &format!("api:{}", user.username))
        .await?
    {
        return Err(ApiError::not_found(format!("no open claim {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}
