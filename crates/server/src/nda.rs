//! NDA texts and signatures over the API: the owner of a need sets its own NDA, the owner and
//! operators read who signed, operators revoke a signature. Signing itself is an engagement move
//! (`engagements::sign_nda`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::access::Viewer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignatureView {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub engagement_id: i64,
    /// Unix seconds.
    pub signed_at: i64,
    pub text_version: i64,
    pub text_sha256: String,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignatureList {
    pub signatures: Vec<SignatureView>,
}

/// Who signed a need's NDA: its owner's users and operators read it (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/demands/{id}/nda-signatures", tag = "engagements",
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, body = SignatureList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn signatures(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SignatureList>> {
    crate::api::signed_in(&viewer)?;
    let missing = || ApiError::not_found(format!("no demand #{id}"));
    if !viewer.is_operator() {
        let pass = state.policy.demand_pass(&viewer);
        let d = viewer
            .demand(&state.store, &pass, id)
            .await?
            .ok_or_else(missing)?;
        if !crate::api::owns_demand(&state, &viewer, d.demand()).await? {
            return Err(missing());
        }
    }
    let signatures = state
        .store
        .signatures_of(id)
        .await?
        .into_iter()
        .map(|s| SignatureView {
            id: s.id,
            organization_id: s.org_id,
            user_id: s.user_id,
            engagement_id: s.engagement_id,
            signed_at: s.at,
            text_version: s.text_version,
            text_sha256: s.text_sha256,
            revoked_at: s.revoked_at,
        })
        .collect();
    Ok(Json(SignatureList { signatures }))
}

/// Revokes an NDA signature (platform operators): the organization no longer reads the need.
/// Closing an engagement does not revoke; this does, audited.
#[utoipa::path(post, path = "/api/v1/nda-signatures/{id}/revoke", tag = "engagements",
    params(("id" = i64, Path, description = "Signature id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_signature(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let user = crate::api::signed_in(&viewer)?;
    if !viewer.is_operator() {
        return Err(ApiError::forbidden(
            "only platform operators revoke an NDA signature",
        ));
    }
    if state.store.revoke_signature(id, &user.username).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no live signature #{id}")))
    }
}

/// `PUT /api/v1/demands/{id}/nda-text` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NdaTextRequest {
    /// The need's own NDA (UTF-8, 1 to 20,000 characters); later signatures name this version.
    pub text: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NdaTextView {
    pub version: i64,
    pub sha256: String,
}

/// The need's owner sets its own NDA text (a new version; the platform default applies until then).
#[utoipa::path(put, path = "/api/v1/demands/{id}/nda-text", tag = "engagements",
    params(("id" = i64, Path, description = "Demand id")), request_body = NdaTextRequest,
    responses((status = 200, body = NdaTextView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn put_nda_text(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<NdaTextRequest>,
) -> ApiResult<Json<NdaTextView>> {
    let user = crate::api::signed_in(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    let d = viewer
        .demand(&state.store, &pass, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no demand #{id}")))?;
    if !crate::api::owns_demand(&state, &viewer, d.demand()).await? {
        return Err(ApiError::forbidden(
            "only the organization that posted the need sets its NDA",
        ));
    }
    let n = r.text.trim().chars().count();
    if n == 0 || n > 20_000 {
        return Err(ApiError::invalid("text: give 1 to 20,000 characters"));
    }
    let t = state.store.put_nda_text(Some(id), r.text.trim()).await?;
    state
        .store
        .audit(
            &user.username,
            "nda_text",
            "demand",
            Some(id),
            &format!("NDA text version {}", t.version),
        )
        .await?;
    Ok(Json(NdaTextView {
        version: t.version,
        sha256: t.sha256,
    }))
}
