//! Enterprise tiers over HTTP: evaluate profiles (given inline, or stored ones the viewer may read),
//! the funnel per cluster and district, and stored profiles. A profile is confidential business data:
//! it is read only by admins, platform operators, government users and the enterprise's own users.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use engine::tiers::{self, Funnel};
use rules::{EnterpriseEvaluation, Profile};

use crate::access::Viewer;
use crate::api::signed_in;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};
use store::ProfilePass;

/// The most profiles one request may evaluate or store.
const MAX_PROFILES: usize = 1000;

/// What to evaluate: inline `profiles` (anyone may: nothing stored is read) or stored ones by `uscc`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// Enterprise profiles (docs/data-formats.md, enterprise profiles).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub profiles: Vec<serde_json::Value>,
    /// Stored profiles by USCC (the viewer must be allowed to read them).
    #[serde(default)]
    pub uscc: Vec<String>,
    /// Only these schemes (default all): tech_sme, hte, innovative_sme, zjtx_sme, little_giant.
    #[serde(default)]
    pub schemes: Vec<String>,
    /// YYYY-MM-DD, default today.
    pub as_of: Option<String>,
    /// Assessor inputs by key (points, or 1/0 for yes/no), for what the data cannot hold.
    #[serde(default)]
    pub assessor: HashMap<String, f64>,
}

/// Per enterprise, every scheme's result and the next step on each ladder.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluateResponse {
    pub as_of: String,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<EnterpriseEvaluation>,
}

/// Funnel filters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelParams {
    pub as_of: Option<String>,
    /// A cluster code, e.g. ICV-NEV.
    pub cluster: Option<String>,
    /// A district name, e.g. 渝北区.
    pub district: Option<String>,
}

/// A stored profile with where it came from.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    #[schema(value_type = Object)]
    pub profile: Profile,
    /// The assessor's stored judgments (key → points, or 1 / 0), who gave them and when.
    pub assessor: std::collections::BTreeMap<String, f64>,
    pub assessed_by: Option<String>,
    pub assessed_at: Option<i64>,
    pub source: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// Profiles to store.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilesRequest {
    #[schema(value_type = Vec<Object>)]
    pub profiles: Vec<serde_json::Value>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProfilesStored {
    pub stored: usize,
}

pub fn parse_date(s: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    match s {
        None | Some("") => Ok(chrono::Local::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid(format!("as_of '{s}': write a date as YYYY-MM-DD"))),
    }
}

/// Profiles from JSON values, each checked; the first problem is the answer, naming item and field.
pub fn parse_profiles(values: Vec<serde_json::Value>) -> ApiResult<Vec<Profile>> {
    if values.len() > MAX_PROFILES {
        return Err(ApiError::invalid(format!(
            "{} profiles: send at most {MAX_PROFILES} per request",
            values.len()
        )));
    }
    let mut out = vec![];
    for (i, v) in values.into_iter().enumerate() {
        let p: Profile = serde_json::from_value(v).map_err(|e| {
            ApiError::invalid(format!(
                "profiles[{i}]: {e} (fix: see docs/data-formats.md, enterprise profiles)"
            ))
        })?;
        if let Some(problem) = p.check().first() {
            return Err(ApiError::invalid(format!("profiles[{i}]: {problem}")));
        }
        out.push(p);
    }
    Ok(out)
}

/// A stored profile the viewer may read, with the pass that opened it; "not found" otherwise, so
/// existence is not revealed.
pub async fn readable_profile(
    state: &AppState,
    viewer: &Viewer,
    uscc: &str,
) -> ApiResult<(ProfilePass, Profile)> {
    let missing = || ApiError::not_found(format!("no profile for {uscc} that you may read"));
    let pass = state
        .policy
        .profile_pass(viewer, uscc)
        .await?
        .ok_or_else(missing)?;
    let profile = tiers::profile(&state.store, &pass)
        .await?
        .ok_or_else(missing)?;
    Ok((pass, profile))
}

pub async fn evaluate_for(
    state: &AppState,
    viewer: &Viewer,
    r: EvaluateRequest,
) -> ApiResult<EvaluateResponse> {
    let date = parse_date(r.as_of.as_deref())?;
    if r.profiles.is_empty() == r.uscc.is_empty() {
        return Err(ApiError::invalid(
            "give either `profiles` (inline) or `uscc` (stored profiles), not both or neither",
        ));
    }
    let mut profiles = parse_profiles(r.profiles)?;
    let inline = profiles.len();
    if r.uscc.len() > MAX_PROFILES {
        return Err(ApiError::invalid(format!(
            "send at most {MAX_PROFILES} USCCs per request"
        )));
    }
    let mut passes = vec![];
    for u in &r.uscc {
        let (pass, profile) = readable_profile(state, viewer, u).await?;
        profiles.push(profile);
        passes.push(pass);
    }
    let given: rules::AssessorInputs = r.assessor.into_iter().collect();
    let mut results = vec![];
    for (i, p) in profiles.iter().enumerate() {
        // Stored profiles bring the enterprise's stored judgments; the request's win over them.
        let mut inputs = if i >= inline {
            tiers::assessor_inputs(&state.store, &passes[i - inline]).await?
        } else {
            rules::AssessorInputs::new()
        };
        inputs.extend(given.iter().map(|(k, v)| (k.clone(), *v)));
        results.push(state.rulebook.evaluate(p, &r.schemes, date, &inputs)?);
    }
    Ok(EvaluateResponse {
        as_of: date.to_string(),
        results,
    })
}

/// Evaluates enterprise profiles against the tier schemes (科技型中小企业, 高新技术企业, 创新型中小企业,
/// 专精特新中小企业, 专精特新“小巨人”): per scheme pass / fail / unknown and the score; per criterion
/// value, threshold, points, result and the gap in words; the next tier on each ladder.
#[utoipa::path(post, path = "/api/v1/tiers/evaluate", tag = "tiers", request_body = EvaluateRequest,
    responses((status = 200, body = EvaluateResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<EvaluateRequest>,
) -> ApiResult<Json<EvaluateResponse>> {
    Ok(Json(evaluate_for(&state, &viewer, r).await?))
}

/// Funnel viewers: admins, platform operators and government users.
pub fn require_official(viewer: &Viewer) -> ApiResult<()> {
    signed_in(viewer)?;
    if !viewer.is_official() {
        return Err(ApiError::forbidden(
            "the tier funnel is for government users, platform operators and admins",
        ));
    }
    Ok(())
}

pub async fn funnel_for(state: &AppState, viewer: &Viewer, p: &FunnelParams) -> ApiResult<Funnel> {
    require_official(viewer)?;
    let pass = state
        .policy
        .every_profile_pass(viewer)
        .ok_or_else(|| ApiError::forbidden("the tier funnel is for officials"))?;
    let date = parse_date(p.as_of.as_deref())?;
    Ok(tiers::funnel(
        &state.store,
        &pass,
        &state.rulebook,
        date,
        p.cluster.as_deref().filter(|s| !s.is_empty()),
        p.district.as_deref().filter(|s| !s.is_empty()),
    )
    .await?)
}

/// Which enterprises: one cell of the funnel.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersParams {
    pub as_of: Option<String>,
    /// A cluster code, e.g. ICV-NEV.
    pub cluster: Option<String>,
    /// A district name, e.g. 渝北区.
    pub district: Option<String>,
    /// A scheme code, e.g. `hte`.
    pub scheme: String,
    /// `held`, `qualify`, `qualify_not_held`, `unknown`, `pending_assessor`, `fail` or `next_step`.
    pub cell: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MembersResponse {
    pub members: Vec<tiers::FunnelMember>,
}

/// The enterprises of one funnel cell, for officials.
pub async fn members_for(
    state: &AppState,
    viewer: &Viewer,
    p: &MembersParams,
) -> ApiResult<Vec<tiers::FunnelMember>> {
    require_official(viewer)?;
    let pass = state
        .policy
        .every_profile_pass(viewer)
        .ok_or_else(|| ApiError::forbidden("the tier funnel is for officials"))?;
    if !state.rulebook.schemes.iter().any(|s| s.scheme == p.scheme) {
        return Err(ApiError::invalid(format!(
            "scheme '{}': use one of {}",
            p.scheme,
            state
                .rulebook
                .schemes
                .iter()
                .map(|s| s.scheme.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if !tiers::CELLS.contains(&p.cell.as_str()) {
        return Err(ApiError::invalid(format!(
            "cell '{}': use one of {}",
            p.cell,
            tiers::CELLS.join(", ")
        )));
    }
    let date = parse_date(p.as_of.as_deref())?;
    Ok(tiers::funnel_members(
        &state.store,
        &pass,
        &state.rulebook,
        date,
        p.cluster.as_deref().filter(|s| !s.is_empty()),
        p.district.as_deref().filter(|s| !s.is_empty()),
        &p.scheme,
        &p.cell,
    )
    .await?)
}

/// The enterprises behind one number of the funnel: a scheme and a cell (held, qualify on data,
/// undecided, fail, …) within a cluster or district.
#[utoipa::path(get, path = "/api/v1/tiers/funnel/members", tag = "tiers", params(MembersParams),
    responses((status = 200, body = MembersResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn funnel_members(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<MembersParams>,
) -> ApiResult<Json<MembersResponse>> {
    Ok(Json(MembersResponse {
        members: members_for(&state, &viewer, &p).await?,
    }))
}

/// Per cluster and district: how many enterprises hold each tier, qualify on their data (and of
/// those, how many do not hold it yet), are unknown, fail, and have it as their next step.
#[utoipa::path(get, path = "/api/v1/tiers/funnel", tag = "tiers", params(FunnelParams),
    responses((status = 200, body = Funnel), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn funnel(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<FunnelParams>,
) -> ApiResult<Json<Funnel>> {
    Ok(Json(funnel_for(&state, &viewer, &p).await?))
}

/// A stored enterprise profile (admins, operators, government, and the enterprise's own users).
#[utoipa::path(get, path = "/api/v1/profiles/{uscc}", tag = "tiers",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = ProfileView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_profile(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<ProfileView>> {
    let (pass, profile) = readable_profile(&state, &viewer, &uscc).await?;
    let row = state
        .store
        .profile(&pass)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no profile for {uscc}")))?;
    let assessed = state.store.assessor_inputs(&pass).await?;
    Ok(Json(ProfileView {
        profile,
        assessor: tiers::assessor_inputs(&state.store, &pass)
            .await?
            .into_iter()
            .collect(),
        assessed_by: assessed.as_ref().map(|a| a.updated_by.clone()),
        assessed_at: assessed.map(|a| a.updated_at),
        source: row.source,
        updated_by: row.updated_by,
        updated_at: row.updated_at,
    }))
}

/// Stores profiles, replacing those with the same USCC. Each must be one the viewer may write.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "tiers", request_body = ProfilesRequest,
    responses((status = 200, body = ProfilesStored), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn put_profiles(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<ProfilesRequest>,
) -> ApiResult<Json<ProfilesStored>> {
    let u = signed_in(&viewer)?;
    let profiles = parse_profiles(r.profiles)?;
    for p in &profiles {
        if state.policy.profile_pass(&viewer, &p.uscc).await?.is_none() {
            return Err(ApiError::forbidden(format!(
                "you may not write the profile of {}: enterprise users write their own organization's",
                p.uscc
            )));
        }
    }
    tiers::put_profiles(&state.store, &profiles, "api", &u.username).await?;
    Ok(Json(ProfilesStored {
        stored: profiles.len(),
    }))
}

/// An assessor's judgments to store for one enterprise.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessorRequest {
    /// Assessor key → points, or 1 / 0 for yes / no; replaces what was stored.
    pub inputs: std::collections::BTreeMap<String, f64>,
}

/// Stores an assessor's judgments for a stored profile (officials only: an enterprise does not
/// assess itself). Evaluations of the stored profile — API, funnel, what-if, credit — then read them.
#[utoipa::path(put, path = "/api/v1/profiles/{uscc}/assessor", tag = "tiers",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    request_body = AssessorRequest,
    responses((status = 204), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn put_assessor(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(r): ApiJson<AssessorRequest>,
) -> ApiResult<axum::http::StatusCode> {
    let u = signed_in(&viewer)?;
    if !viewer.is_official() {
        return Err(ApiError::forbidden(
            "assessor judgments are given by government users, platform operators and admins",
        ));
    }
    tiers::set_assessor_inputs(&state.store, &state.rulebook, &uscc, &r.inputs, &u.username)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
