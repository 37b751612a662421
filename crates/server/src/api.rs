//! The REST handlers under `/api/v1`. Every answer that can hold a demand builds it from a
//! [`VisibleDemand`], and every list, count and search result is filtered through the viewer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{Record, RecordKind};
use store::Stored;

use crate::access::{Viewer, VisibleDemand};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

mod demands;
mod matching;

pub use demands::*;
pub use matching::*;

/// Largest page of a listing.
const MAX_PAGE: usize = 100;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Return records with an id above this (the `next_after` of the previous page).
    pub after: Option<i64>,
    /// Records per page, 1–100 (default 20).
    pub limit: Option<usize>,
}

impl PageParams {
    fn limit(&self) -> ApiResult<usize> {
        match self.limit.unwrap_or(20) {
            n @ 1..=MAX_PAGE => Ok(n),
            n => Err(ApiError::invalid(format!(
                "limit {n}: give 1 to {MAX_PAGE} records per page"
            ))),
        }
    }
}

/// A page of records.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Page {
    pub items: Vec<RecordView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
    /// Records of this kind the viewer may see.
    pub total: i64,
}

/// A stored record as the API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: i64,
    #[schema(value_type = String, example = "outcome")]
    pub kind: RecordKind,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The record in the canonical form of `docs/data-formats.md`.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
}

fn view(stored: &Stored, record: &Record) -> ApiResult<RecordView> {
    Ok(RecordView {
        id: stored.id,
        kind: record.kind(),
        created_at: stored.created_at,
        updated_at: stored.updated_at,
        record: serde_json::to_value(record).map_err(ApiError::internal)?,
    })
}

/// A record that is not a demand, with private contact details removed unless the viewer is an admin.
fn public_view(viewer: &Viewer, stored: &Stored) -> ApiResult<RecordView> {
    match &stored.record {
        Record::Demand(_) => Err(ApiError::internal(
            "a demand must go through the visibility check",
        )),
        Record::Person(p) if !viewer.is_admin() => view(stored, &Record::Person(public_person(p))),
        r => view(stored, r),
    }
}

/// A person as everyone may see them (`model::Person::public_view`).
pub fn public_person(p: &model::Person) -> model::Person {
    p.public_view()
}

fn demand_view(d: &VisibleDemand) -> ApiResult<RecordView> {
    view(d.stored(), &d.stored().record)
}

async fn list_kind(
    state: &AppState,
    viewer: &Viewer,
    kind: RecordKind,
    sub: Option<&[&str]>,
    p: &PageParams,
) -> ApiResult<Page> {
    let limit = p.limit()?;
    let mut after = p.after.unwrap_or(0);
    let mut items = vec![];
    let mut next_after = None;
    'pages: loop {
        let page = state.store.list(kind, after, 200).await?;
        let Some(last) = page.last() else { break };
        let last_id = last.id;
        for s in page {
            if let Some(sub) = sub {
                if !sub.contains(&sub_kind(&s.record).as_str()) {
                    continue;
                }
            }
            if items.len() == limit {
                next_after = Some(items.last().map_or(0, |v: &RecordView| v.id));
                break 'pages;
            }
            items.push(public_view(viewer, &s)?);
        }
        after = last_id;
    }
    let total = match sub {
        None => state.store.counts().await?.get(kind),
        Some(sub) => state
            .store
            .counts_by(kind)
            .await?
            .into_iter()
            .filter(|(k, _)| sub.contains(&k.as_str()))
            .map(|(_, n)| n)
            .sum(),
    };
    Ok(Page {
        items,
        next_after,
        total,
    })
}

pub(crate) fn sub_kind(r: &Record) -> String {
    match r {
        Record::Organization(o) => o.kind.to_string(),
        Record::Person(p) => p.kind.to_string(),
        Record::Outcome(o) => o.kind.to_string(),
        Record::Demand(d) => d.confidentiality.to_string(),
    }
}

async fn get_kind(
    state: &AppState,
    viewer: &Viewer,
    kind: RecordKind,
    id: i64,
) -> ApiResult<RecordView> {
    match state.store.get(kind, id).await? {
        Some(s) => public_view(viewer, &s),
        None => Err(ApiError::not_found(format!("no {kind} #{id}"))),
    }
}

const EXPERT_KINDS: &[&str] = &["expert", "researcher"];

/// Research outcomes: papers, patents, prototypes, software, standards.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "registry", params(PageParams),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody)))]
pub async fn list_outcomes(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page>> {
    Ok(Json(
        list_kind(&state, &viewer, RecordKind::Outcome, None, &p).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/outcomes/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Outcome id")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn get_outcome(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(
        get_kind(&state, &viewer, RecordKind::Outcome, id).await?,
    ))
}

/// Registers an outcome (institution users, platform operators, enterprises, admins). The body is an
/// outcome in the canonical form; one that matches a registered outcome's identity (DOI, patent
/// number, title and year) is refused unless the caller is an admin.
#[utoipa::path(post, path = "/api/v1/outcomes", tag = "registry",
    request_body(content = Object, description = "An outcome: kind, title, abstract, owners, trl …"),
    responses((status = 201, body = RecordView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_outcome(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(outcome): ApiJson<model::Outcome>,
) -> ApiResult<Response> {
    let user = signed_in(&viewer)?;
    if !viewer.may_register_outcomes() {
        return Err(ApiError::forbidden(
            "only institution users, platform operators, enterprises and admins register outcomes",
        ));
    }
    let mut outcome = outcome;
    crate::claims::own_outcome(&state, &viewer, &mut outcome).await?;
    let record = Record::Outcome(outcome);
    let v = create(&state, &viewer, record, &user.username).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A record within the size caps and with every field valid, or the error naming each problem.
pub(crate) fn checked(record: &Record) -> ApiResult<()> {
    crate::caps::check_record(record)?;
    let problems = record.check();
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|e| format!("{}: {} ({})", e.field, e.reason, e.value))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::new(Code::InvalidRecord, message));
    }
    Ok(())
}

async fn create(
    state: &AppState,
    viewer: &Viewer,
    record: Record,
    actor: &str,
) -> ApiResult<RecordView> {
    checked(&record)?;
    let kind = record.kind();
    if !viewer.is_admin() {
        if let Some(id) = state
            .store
            .find_by_keys(kind, &record.identity_keys())
            .await?
        {
            // Only an admin may change a registered record through this path. For demands the
            // identity includes the owner, so another organization's demand is never named here.
            // A real owner blocked by someone else's registration files a claim.
            let claim = if kind == RecordKind::Outcome {
                format!(
                    "; if it is your organization's, file a claim for an operator to review: \
                     POST /api/v1/claims {{\"kind\": \"outcome\", \"id\": {id}, \"note\": \"…\"}}"
                )
            } else {
                String::new()
            };
            return Err(ApiError::new(
                Code::Duplicate,
                format!("this {kind} is registered already as #{id}{claim}"),
            ));
        }
    }
    let outcome = state
        .store
        .write_batch(std::slice::from_ref(&record), &format!("api:{actor}"))
        .await?;
    // The follower indexes it in its next batch (well under a second); the store has it now, and
    // the author's own next search waits for the index.
    if let Some(user) = viewer.user_id() {
        state.written_by(user).await?;
    }
    let id = outcome[0].id();
    let missing = || ApiError::internal("a record just written is not found");
    let body = match kind {
        // The author reads it back through their own pass, as anyone would.
        RecordKind::Demand => {
            let pass = state.policy.demand_pass(viewer);
            let d = viewer
                .demand(&state.store, &pass, id)
                .await?
                .ok_or_else(|| ApiError::internal("the author cannot see their own demand"))?;
            demand_view(&d)?
        }
        _ => {
            let stored = state.store.get(kind, id).await?.ok_or_else(missing)?;
            public_view(viewer, &stored)?
        }
    };
    Ok(body)
}

/// The signed-in user, or 401 saying how to sign in.
pub(crate) fn signed_in(viewer: &Viewer) -> ApiResult<&crate::access::SessionUser> {
    viewer
        .user()
        .ok_or_else(|| ApiError::unauthorized("sign in first (POST /api/v1/auth/login)"))
}

/// Organizations: enterprises, universities, labs, PoC centres, pilot platforms.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "registry", params(PageParams),
    responses((status = 200, body = Page)))]
pub async fn list_organizations(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page>> {
    Ok(Json(
        list_kind(&state, &viewer, RecordKind::Organization, None, &p).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn get_organization(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(
        get_kind(&state, &viewer, RecordKind::Organization, id).await?,
    ))
}

/// Experts and researchers (private contact details withheld).
#[utoipa::path(get, path = "/api/v1/experts", tag = "registry", params(PageParams),
    responses((status = 200, body = Page)))]
pub async fn list_experts(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Page>> {
    Ok(Json(
        list_kind(&state, &viewer, RecordKind::Person, Some(EXPERT_KINDS), &p).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/experts/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Expert id")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn get_expert(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RecordView>> {
    let v = get_kind(&state, &viewer, RecordKind::Person, id).await?;
    let is_expert = v.record["kind"]
        .as_str()
        .is_some_and(|k| EXPERT_KINDS.contains(&k));
    if !is_expert {
        return Err(ApiError::not_found(format!("no expert #{id}")));
    }
    Ok(Json(v))
}

/// What the registry holds, as the viewer may count it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub organizations: i64,
    pub experts: i64,
    pub outcomes: i64,
    /// Demands the viewer may see.
    pub demands: i64,
    /// Background embedding of the registry: state, done, total.
    pub embedding: EmbeddingView,
    /// `hybrid` once the embeddings are ready, `lexical` before.
    pub matching_mode: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EmbeddingView {
    pub state: String,
    /// Records embedded of `total`; for anyone but an admin a percentage in steps of ten (`total` 100).
    pub done: usize,
    pub total: usize,
}

#[utoipa::path(get, path = "/api/v1/status", tag = "platform",
    responses((status = 200, body = StatusView)))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<StatusView>> {
    Ok(Json(status_for(&state, &viewer).await?))
}

/// Counts as the viewer may see them, and the background embedding's progress.
pub async fn status_for(state: &AppState, viewer: &Viewer) -> ApiResult<StatusView> {
    let counts = state.store.counts().await?;
    let experts = state
        .store
        .counts_by(RecordKind::Person)
        .await?
        .into_iter()
        .filter(|(k, _)| EXPERT_KINDS.contains(&k.as_str()))
        .map(|(_, n)| n)
        .sum();
    let filter = state
        .read_confidential()
        .filter(&state.policy.demand_pass(viewer), None);
    let demands = state.store.demand_count(&filter).await?;
    let engines = state.engines.read().await;
    let e = &state.embedding;
    let (mut done, mut total) = (
        e.done.load(std::sync::atomic::Ordering::Relaxed),
        e.total.load(std::sync::atomic::Ordering::Relaxed),
    );
    if !viewer.is_admin() {
        // The embedding counts every record, confidential demands included: others see a percentage
        // in steps of ten, which says nothing about how many hidden demands there are.
        done = (done * 10).checked_div(total).map_or(0, |d| d * 10);
        total = 100;
    }
    Ok(StatusView {
        organizations: counts.organizations,
        experts,
        outcomes: counts.outcomes,
        demands,
        embedding: EmbeddingView {
            state: e.state(),
            done,
            total,
        },
        matching_mode: if engines.encoder.is_some() {
            "hybrid"
        } else {
            "lexical"
        }
        .to_string(),
    })
}
