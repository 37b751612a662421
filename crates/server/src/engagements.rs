//! The engagement API: open, list, read, move, sign the NDA, brokers, inbox, contracts. Each handler
//! turns the viewer into an engine `Actor` and a demand pass, calls one desk use case and answers
//! JSON; rights are decided by the desk from stored facts (who is a party), never by the request.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::engagements::{
    Actor, BrokerPerformance, BrokerProposal, ContractFace, EngagementSummary, EngagementView,
    LossReasons, NoticeFace, OpenRequest, Stalled, TransitionRequest,
};

use crate::access::{Role, Viewer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// The signed-in viewer as the desk knows actors.
pub fn actor(viewer: &Viewer) -> ApiResult<Actor> {
    let u = crate::api::signed_in(viewer)?;
    Ok(Actor {
        user_id: u.id,
        username: u.username.clone(),
        org: u.organization_id,
        operator: viewer.is_operator(),
        broker: u.role == Role::Broker,
        official: u.role == Role::Government,
    })
}

/// `GET /api/v1/engagements` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this stage.
    pub stage: Option<String>,
    /// At most this many (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

fn limit(l: Option<i64>) -> ApiResult<i64> {
    match l.unwrap_or(100) {
        n @ 1..=500 => Ok(n),
        _ => Err(ApiError::invalid("limit: give 1 to 500")),
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EngagementList {
    pub engagements: Vec<EngagementSummary>,
}

/// Opens an engagement from a need (or an outcome offered to an enterprise) and a supply item.
#[utoipa::path(post, path = "/api/v1/engagements", tag = "engagements", request_body = OpenRequest,
    responses((status = 201, body = EngagementView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn open(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<OpenRequest>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    let view = state.desk.open(&a, &pass, &req).await?;
    state.deliveries_due();
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The caller's engagements: their organization's, those they accompany as broker, or every one
/// for an operator; most recently moved first.
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagements", params(ListParams),
    responses((status = 200, body = EngagementList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<EngagementList>> {
    let a = actor(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    let engagements = state
        .desk
        .list(&a, &pass, p.stage.as_deref(), limit(p.limit)?)
        .await?;
    Ok(Json(EngagementList { engagements }))
}

/// One engagement with its timeline (parties only; anyone else gets 404).
#[utoipa::path(get, path = "/api/v1/engagements/{id}", tag = "engagements",
    params(("id" = i64, Path, description = "Engagement id")),
    responses((status = 200, body = EngagementView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EngagementView>> {
    let a = actor(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    Ok(Json(state.desk.show(&a, &pass, id).await?))
}

/// Moves an engagement to another stage. 403: the caller's side does not make this move; 409: the
/// version is not the current one, or the move does not fit the stage; 400: what the move needs is
/// missing (a close reason, the NDA, the contract).
#[utoipa::path(post, path = "/api/v1/engagements/{id}/transitions", tag = "engagements",
    params(("id" = i64, Path, description = "Engagement id")), request_body = TransitionRequest,
    responses((status = 200, body = EngagementView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> ApiResult<Json<EngagementView>> {
    let a = actor(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    let view = state.desk.transition(&a, &pass, id, &req).await?;
    state.deliveries_due();
    Ok(Json(view))
}

/// `POST …/nda` and `POST …/broker` bodies carry the version read.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    pub version: i64,
}

/// Signs the need's NDA for the caller's organization (the provider's side): from now on that
/// organization reads the need's full brief in search, matching, pages and exports.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/nda", tag = "engagements",
    params(("id" = i64, Path, description = "Engagement id")), request_body = SignRequest,
    responses((status = 200, body = EngagementView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign_nda(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<SignRequest>,
) -> ApiResult<Json<EngagementView>> {
    let a = actor(&viewer)?;
    state.desk.sign_nda(&a, id, req.version).await?;
    state.deliveries_due();
    let pass = state.policy.fresh_demand_pass(&viewer).await?;
    Ok(Json(state.desk.show(&a, &pass, id).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerRequest {
    pub broker_user_id: i64,
    pub version: i64,
}

/// Assigns a technology broker (one of the sides or an operator).
#[utoipa::path(post, path = "/api/v1/engagements/{id}/broker", tag = "engagements",
    params(("id" = i64, Path, description = "Engagement id")), request_body = BrokerRequest,
    responses((status = 200, body = EngagementView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign_broker(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<BrokerRequest>,
) -> ApiResult<Json<EngagementView>> {
    let a = actor(&viewer)?;
    let pass = state.policy.demand_pass(&viewer);
    let view = state
        .desk
        .assign_broker(&a, &pass, id, req.version, req.broker_user_id)
        .await?;
    state.deliveries_due();
    Ok(Json(view))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BrokerProposals {
    pub brokers: Vec<BrokerProposal>,
}

/// Brokers proposed for an engagement, by field fit and current load.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/brokers", tag = "engagements",
    params(("id" = i64, Path, description = "Engagement id")),
    responses((status = 200, body = BrokerProposals), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn propose_brokers(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BrokerProposals>> {
    let a = actor(&viewer)?;
    Ok(Json(BrokerProposals {
        brokers: state.desk.propose_brokers(&a, id).await?,
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StalledParams {
    /// Idle at least this many days (1–365; default: the reminder period).
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StalledList {
    pub stalled: Vec<Stalled>,
}

/// Open engagements that have not moved for a while (platform operators).
#[utoipa::path(get, path = "/api/v1/engagements/stalled", tag = "engagements", params(StalledParams),
    responses((status = 200, body = StalledList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn stalled(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<StalledParams>,
) -> ApiResult<Json<StalledList>> {
    let a = actor(&viewer)?;
    let days = p.days.unwrap_or(state.desk.reminder_days);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("days: give 1 to 365"));
    }
    let pass = state.policy.demand_pass(&viewer);
    Ok(Json(StalledList {
        stalled: state
            .desk
            .stalled(&a, &pass, days, crate::auth::now())
            .await?,
    }))
}

/// How the caller's organization's engagements ended: contracts, losses by reason, withdrawals.
#[utoipa::path(get, path = "/api/v1/engagements/outcomes", tag = "engagements",
    responses((status = 200, body = LossReasons), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn losses(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<LossReasons>> {
    let a = actor(&viewer)?;
    let Some(org) = a.org else {
        return Err(ApiError::forbidden(
            "only users of an organization have engagements of their own",
        ));
    };
    Ok(Json(state.desk.why_we_lose(org).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub notices: Vec<NoticeFace>,
    pub unread: i64,
}

/// The caller's newest notifications (at most 100) and the unread count.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "engagements",
    responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
pub async fn inbox(State(state): State<Arc<AppState>>, viewer: Viewer) -> ApiResult<Json<Inbox>> {
    let a = actor(&viewer)?;
    let (notices, unread) = state.desk.inbox(&a, 100).await?;
    Ok(Json(Inbox { notices, unread }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// One notification; without it, all of them.
    #[serde(default)]
    pub id: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReadDone {
    pub marked: u64,
}

/// Marks the caller's notifications read (one, or all).
#[utoipa::path(post, path = "/api/v1/inbox/read", tag = "engagements", request_body = ReadRequest,
    responses((status = 200, body = ReadDone), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<ReadRequest>,
) -> ApiResult<Json<ReadDone>> {
    let a = actor(&viewer)?;
    let marked = state.store.mark_read(a.user_id, req.id).await?;
    Ok(Json(ReadDone { marked }))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ContractList {
    pub contracts: Vec<ContractFace>,
}

/// Technology contracts: every one for operators and government users, an organization's own for
/// its users (at most 1,000, newest first).
#[utoipa::path(get, path = "/api/v1/contracts", tag = "engagements",
    responses((status = 200, body = ContractList), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn contracts(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<ContractList>> {
    let a = actor(&viewer)?;
    Ok(Json(ContractList {
        contracts: state.desk.contracts(&a, 1000).await?,
    }))
}

/// A broker's record: engagements handled, conversion to introduced and contracted, median days
/// per stage, contract value. The broker, operators and government users read it.
#[utoipa::path(get, path = "/api/v1/brokers/{id}/performance", tag = "engagements",
    params(("id" = i64, Path, description = "The broker's user id")),
    responses((status = 200, body = BrokerPerformance), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn broker_performance(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BrokerPerformance>> {
    let a = actor(&viewer)?;
    Ok(Json(state.desk.broker_performance(&a, id).await?))
}

/// `PUT /api/v1/brokers/me` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerProfile {
    /// 33618 cluster codes the broker covers.
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Technology keywords (at most 30, each at most 40 characters).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Region keys (district codes or names) the broker works in.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub bio: String,
}

/// A broker registers (or updates) their fields, keywords and regions.
#[utoipa::path(put, path = "/api/v1/brokers/me", tag = "engagements", request_body = BrokerProfile,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn put_broker(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(b): ApiJson<BrokerProfile>,
) -> ApiResult<StatusCode> {
    let a = actor(&viewer)?;
    if !a.broker {
        return Err(ApiError::forbidden(
            "only broker accounts register as brokers",
        ));
    }
    let row = broker_row(&state, a.user_id, b)?;
    state.store.put_broker(&row).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a broker profile: known cluster codes and regions, bounded keywords and bio.
pub fn broker_row(state: &AppState, user_id: i64, b: BrokerProfile) -> ApiResult<store::BrokerRow> {
    let taxonomy = &state.chains.taxonomy;
    if let Some(c) = b
        .clusters
        .iter()
        .find(|c| taxonomy.clusters.iter().all(|k| &k.code != *c))
    {
        return Err(ApiError::invalid(format!(
            "clusters: `{c}` is not a cluster code (see GET /api/v1/chains)"
        )));
    }
    let mut regions = vec![];
    for r in &b.regions {
        match model::Region::lookup(r) {
            Some(reg) => regions.push(reg.key().to_string()),
            None => {
                return Err(ApiError::invalid(format!(
                    "regions: `{r}` is not a region the platform knows (a district name or code)"
                )))
            }
        }
    }
    let keywords: Vec<String> = b
        .keywords
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keywords.len() > 30 || keywords.iter().any(|k| k.chars().count() > 40) {
        return Err(ApiError::invalid(
            "keywords: at most 30, each at most 40 characters",
        ));
    }
    if b.bio.chars().count() > 2000 || b.clusters.len() > 50 || regions.len() > 50 {
        return Err(ApiError::invalid(
            "bio: at most 2,000 characters; clusters and regions: at most 50 each",
        ));
    }
    Ok(store::BrokerRow {
        user_id,
        clusters: b.clusters,
        keywords,
        regions,
        bio: b.bio.trim().to_string(),
    })
}

/// `PUT /api/v1/organizations/me/webhook` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// An `http://` or `https://` URL (at most 500 characters); null removes it.
    pub url: Option<String>,
}

/// Where the caller's organization's engagement notifications are also posted (JSON: event,
/// engagement id, stages — never a need's text).
#[utoipa::path(put, path = "/api/v1/organizations/me/webhook", tag = "engagements", request_body = WebhookRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn put_webhook(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(w): ApiJson<WebhookRequest>,
) -> ApiResult<StatusCode> {
    let a = actor(&viewer)?;
    let Some(org) = a.org else {
        return Err(ApiError::forbidden(
            "only users of an organization set its webhook",
        ));
    };
    let url = w
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &url {
        let ok = (u.starts_with("http://") || u.starts_with("https://"))
            && u.len() <= 500
            && !u.chars().any(char::is_whitespace);
        if !ok {
            return Err(ApiError::invalid(
                "url: give an http:// or https:// address of at most 500 characters",
            ));
        }
    }
    state.store.set_org_webhook(org, url.as_deref()).await?;
    state
        .store
        .audit(
            &a.username,
            "webhook_set",
            "organization",
            Some(org),
            if url.is_some() {
                "webhook set"
            } else {
                "webhook removed"
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/auth/me/contact` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// Where notification mail goes; shown to the other side of an engagement once introduced.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// The caller sets (or with empty values clears) their own e-mail address and phone.
#[utoipa::path(put, path = "/api/v1/auth/me/contact", tag = "auth", request_body = ContactRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn put_contact(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(c): ApiJson<ContactRequest>,
) -> ApiResult<StatusCode> {
    let u = crate::api::signed_in(&viewer)?;
    engine::accounts::set_contact(
        &state.store,
        u.id,
        c.email.as_deref(),
        c.phone.as_deref(),
        &u.username,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
