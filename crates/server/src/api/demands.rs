//! Technology needs over the API: the list and count the viewer may see (filtered in SQL by the
//! viewer's pass), one need, and posting a need for the user's organization.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{Confidentiality, Record, RecordKind};
use store::Stored;

use super::*;
use crate::access::Viewer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandListParams {
    pub after: Option<i64>,
    pub limit: Option<usize>,
    /// Only demands at this level: `public`, `registered` or `nda`.
    pub confidentiality: Option<String>,
}

/// Technology needs the viewer may see: public ones to everyone, registered-only ones to signed-in
/// users, NDA-only ones to their owner organization, admins and granted organizations.
#[utoipa::path(get, path = "/api/v1/demands", tag = "registry", params(DemandListParams),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody)))]
pub async fn list_demands(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<DemandListParams>,
) -> ApiResult<Json<Page>> {
    let limit = PageParams {
        after: p.after,
        limit: p.limit,
    }
    .limit()?;
    let level = match p.confidentiality.as_deref() {
        None | Some("") => None,
        Some(l) => Some(l.parse::<Confidentiality>().map_err(|_| {
            ApiError::invalid(format!(
                "confidentiality '{l}': use public, registered or nda"
            ))
        })?),
    };
    let (items, next_after, total) =
        visible_demands(&state, &viewer, level, p.after.unwrap_or(0), limit, false).await?;
    Ok(Json(Page {
        items,
        next_after,
        total,
    }))
}

/// A page of the demands the viewer may see (after id `start`, at most `limit`; `newest`: the highest
/// ids first), the next cursor, and the count of all of them. Filtered in SQL by the viewer's pass:
/// two queries and a check per item shown, whatever the number of demands.
pub async fn visible_demands(
    state: &AppState,
    viewer: &Viewer,
    level: Option<Confidentiality>,
    start: i64,
    limit: usize,
    newest: bool,
) -> ApiResult<(Vec<RecordView>, Option<i64>, i64)> {
    let all = store::DemandNarrowing::default();
    visible_demands_where(state, viewer, level, all, start, limit, newest).await
}

/// [`visible_demands`] narrowed further (owner, status, region, stage, cluster): the conditions
/// only take demands away from what the viewer's pass admits.
pub async fn visible_demands_where(
    state: &AppState,
    viewer: &Viewer,
    level: Option<Confidentiality>,
    narrow: store::DemandNarrowing,
    start: i64,
    limit: usize,
    newest: bool,
) -> ApiResult<(Vec<RecordView>, Option<i64>, i64)> {
    state.sees_own_writes(viewer).await;
    let filter = state
        .read_confidential()
        .filter(&state.policy.demand_pass(viewer), level)
        .narrowed(narrow);
    let page = state
        .store
        .demand_page(&filter, start, limit as i64 + 1, newest)
        .await?;
    let more = page.len() > limit;
    // Checked again against the rule itself (a level another process just changed), in one query.
    let shown = viewer
        .visible_demands(&state.store, page.into_iter().take(limit).collect())
        .await?;
    let items = shown
        .iter()
        .map(demand_view)
        .collect::<ApiResult<Vec<_>>>()?;
    let next_after = if more && !newest {
        items.last().map(|v: &RecordView| v.id)
    } else {
        None
    };
    let total = state.store.demand_count(&filter).await?;
    Ok((items, next_after, total))
}

#[utoipa::path(get, path = "/api/v1/demands/{id}", tag = "registry",
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn get_demand(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RecordView>> {
    let pass = state.policy.demand_pass(&viewer);
    match viewer.demand(&state.store, &pass, id).await? {
        Some(d) => Ok(Json(demand_view(&d)?)),
        // The same answer whether the demand is missing or hidden.
        None => Err(ApiError::not_found(format!("no demand #{id}"))),
    }
}

/// A new technology need.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDemand {
    pub title: String,
    /// The problem in the enterprise's words.
    pub problem: String,
    /// `public`, `registered` or `nda`.
    pub confidentiality: String,
    #[serde(default)]
    pub target_metrics: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The maturity needed, TRL 1–9.
    pub trl_needed: Option<u8>,
    #[serde(default)]
    pub clusters: Vec<String>,
    /// YYYY-MM-DD.
    pub deadline: Option<String>,
    /// For an `nda` need: what every signed-in user may read of it (at most 300 characters), so
    /// solvers can find it and ask to sign its NDA. Without one an NDA need stays hidden.
    #[serde(default)]
    pub public_summary: Option<String>,
}

/// A public summary as kept: trimmed, at most 300 characters, only on an NDA-only need.
fn summary_of(level: Confidentiality, s: Option<String>) -> ApiResult<Option<String>> {
    let s = s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    if s.as_ref().is_some_and(|x| x.chars().count() > 300) {
        return Err(ApiError::invalid("public_summary: at most 300 characters"));
    }
    Ok(s.filter(|_| level == Confidentiality::Nda))
}

/// Posts a need for the signed-in user's organization.
#[utoipa::path(post, path = "/api/v1/demands", tag = "registry", request_body = NewDemand,
    responses((status = 201, body = RecordView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_demand(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(n): ApiJson<NewDemand>,
) -> ApiResult<Response> {
    let v = post_demand(&state, &viewer, n).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The organization a user acts for; 403 saying `what` needs one when the user has none.
pub(crate) async fn organization_of(
    state: &AppState,
    user: &crate::access::SessionUser,
    what: &str,
) -> ApiResult<model::Organization> {
    let Some(org_id) = user.organization_id else {
        return Err(ApiError::forbidden(format!(
            "{what} for an organization: sign in as a user of one"
        )));
    };
    match state.store.get(RecordKind::Organization, org_id).await? {
        Some(Stored {
            record: Record::Organization(o),
            ..
        }) => Ok(o),
        _ => Err(ApiError::internal(format!(
            "user {} has no organization #{org_id}",
            user.id
        ))),
    }
}

/// Posts a need for the viewer's organization (the API and the form).
pub async fn post_demand(state: &AppState, viewer: &Viewer, n: NewDemand) -> ApiResult<RecordView> {
    let user = signed_in(viewer)?;
    let org = organization_of(state, user, "a demand is posted").await?;
    let confidentiality: Confidentiality = n.confidentiality.parse().map_err(|_| {
        ApiError::invalid(format!(
            "confidentiality '{}': use public, registered or nda",
            n.confidentiality
        ))
    })?;
    if n.title.trim().is_empty() || n.problem.trim().is_empty() {
        return Err(ApiError::invalid("title and problem must not be empty"));
    }
    if n.title.chars().count() > 200 || n.problem.chars().count() > 10_000 {
        return Err(ApiError::invalid(
            "title at most 200 characters, problem at most 10,000",
        ));
    }
    let mut d = model::Demand::new(org.name.clone(), n.title.trim(), n.problem.trim());
    d.owner_uscc = org.uscc.clone();
    d.region = org.region.clone();
    d.confidentiality = confidentiality;
    d.public_summary = summary_of(confidentiality, n.public_summary)?;
    d.target_metrics = n.target_metrics;
    d.keywords = n.keywords;
    d.clusters = n.clusters;
    if let Some(t) = n.trl_needed {
        d.trl_needed = Some(
            model::Trl::new(t)
                .map_err(|_| ApiError::invalid(format!("trl_needed {t}: give 1 to 9")))?,
        );
    }
    if let Some(date) = &n.deadline {
        d.deadline = Some(
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(format!("deadline '{date}': give YYYY-MM-DD")))?,
        );
    }
    d.source = Some(format!("posted by {}", user.username));
    create(state, viewer, Record::Demand(d), &user.username).await
}

/// What the owner of a need may change: everything it wrote, its level and its status. The whole
/// need is given (what is left out is cleared), as the edit form sends it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandEdit {
    pub title: String,
    /// The problem in the enterprise's words.
    pub problem: String,
    #[serde(default)]
    pub target_metrics: Vec<String>,
    /// `public`, `registered` or `nda`.
    pub confidentiality: String,
    /// The maturity needed, TRL 1–9; absent: none.
    pub trl_needed: Option<u8>,
    /// `open`, `matched` or `closed`; unchanged when absent.
    pub status: Option<String>,
    /// For an `nda` need: its public summary (see `NewDemand`); absent: none.
    #[serde(default)]
    pub public_summary: Option<String>,
}

/// Changes a need the signed-in user's organization posted (admins: any): title, problem,
/// metrics, level, stage and status. Audited; search and matching follow at once.
#[utoipa::path(put, path = "/api/v1/demands/{id}", tag = "registry", request_body = DemandEdit,
    params(("id" = i64, Path, description = "Demand id")),
    responses((status = 200, body = RecordView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_demand(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(e): ApiJson<DemandEdit>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(edit_demand(&state, &viewer, id, e).await?))
}

/// Whether the viewer speaks for the need's owner: a user of the owning organization (by USCC,
/// else by name), or an admin.
pub async fn owns_demand(state: &AppState, viewer: &Viewer, d: &model::Demand) -> ApiResult<bool> {
    let Some(user) = viewer.user() else {
        return Ok(false);
    };
    if viewer.is_admin() {
        return Ok(true);
    }
    if user.organization_id.is_none() {
        return Ok(false);
    }
    let org = organization_of(state, user, "a demand is changed").await?;
    Ok(match (&d.owner_uscc, &org.uscc) {
        (Some(a), Some(b)) => a == b,
        _ => d.owner == org.name,
    })
}

/// Changes a need the viewer owns: checked as a new need is, written in place (the same id, an
/// audited update the indexes follow), read back through the viewer's pass. A need the viewer
/// cannot see is "not found"; one it sees but does not own is refused.
pub async fn edit_demand(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    e: DemandEdit,
) -> ApiResult<RecordView> {
    let user = signed_in(viewer)?;
    let pass = state.policy.demand_pass(viewer);
    let Some(d) = viewer.demand(&state.store, &pass, id).await? else {
        return Err(ApiError::not_found(format!("no demand #{id}")));
    };
    if !owns_demand(state, viewer, d.demand()).await? {
        return Err(ApiError::forbidden(
            "only the organization that posted a need (or an admin) changes it",
        ));
    }
    let mut dm = d.demand().clone();
    dm.confidentiality = e.confidentiality.parse().map_err(|_| {
        ApiError::invalid(format!(
            "confidentiality '{}': use public, registered or nda",
            e.confidentiality
        ))
    })?;
    if e.title.trim().is_empty() || e.problem.trim().is_empty() {
        return Err(ApiError::invalid("title and problem must not be empty"));
    }
    if e.title.chars().count() > 200 || e.problem.chars().count() > 10_000 {
        return Err(ApiError::invalid(
            "title at most 200 characters, problem at most 10,000",
        ));
    }
    dm.public_summary = summary_of(dm.confidentiality, e.public_summary)?;
    dm.title = e.title.trim().to_string();
    dm.problem = e.problem.trim().to_string();
    dm.target_metrics = e.target_metrics;
    dm.trl_needed = match e.trl_needed {
        Some(t) => Some(
            model::Trl::new(t)
                .map_err(|_| ApiError::invalid(format!("trl_needed {t}: give 1 to 9")))?,
        ),
        None => None,
    };
    if let Some(s) = &e.status {
        dm.status = s
            .parse()
            .map_err(|_| ApiError::invalid(format!("status '{s}': use open, matched or closed")))?;
    }
    let record = Record::Demand(dm);
    checked(&record)?;
    if !state
        .store
        .replace(id, &record, &format!("web:{}", user.username))
        .await?
    {
        return Err(ApiError::not_found(format!("no demand #{id}")));
    }
    state.written_by(user.id).await?;
    let d = viewer
        .demand(&state.store, &state.policy.demand_pass(viewer), id)
        .await?
        .ok_or_else(|| ApiError::internal("the owner cannot see their own demand"))?;
    demand_view(&d)
}
