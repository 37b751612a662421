//! The REST handlers under `/api/v1`. Every answer that can hold a demand builds it from a
//! [`VisibleDemand`], and every list, count and search result is filtered through the viewer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{Confidentiality, Record, RecordKind};
use search::matching::MatchContext;
use store::Stored;

use crate::access::{Viewer, VisibleDemand};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

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

/// A person as everyone may see them: no private contact, and none of the unmapped import columns
/// (`extra`), which may hold a WeChat id or a phone number under a header the importer did not know.
pub fn public_person(p: &model::Person) -> model::Person {
    let mut p = p.without_private_contact();
    p.extra.clear();
    p
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

async fn create(
    state: &AppState,
    viewer: &Viewer,
    record: Record,
    actor: &str,
) -> ApiResult<RecordView> {
    crate::caps::check_record(&record)?;
    let problems = record.check();
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|e| format!("{}: {} ({})", e.field, e.reason, e.value))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::new(Code::InvalidRecord, message));
    }
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
    let stored = state
        .store
        .get(kind, id)
        .await?
        .ok_or_else(|| ApiError::internal("a record just written is not found"))?;
    let body = match kind {
        RecordKind::Demand => {
            let d = viewer
                .visible_demand(&state.store, stored)
                .await?
                .ok_or_else(|| ApiError::internal("the author cannot see their own demand"))?;
            demand_view(&d)?
        }
        _ => public_view(viewer, &stored)?,
    };
    Ok(body)
}

/// The signed-in user, or 401 saying how to sign in.
pub(crate) fn signed_in(viewer: &Viewer) -> ApiResult<&crate::access::SessionUser> {
    viewer
        .user()
        .ok_or_else(|| ApiError::unauthorized("sign in first (POST /api/v1/auth/login)"))
}

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
    state.sees_own_writes(viewer).await;
    let filter = state
        .read_confidential()
        .filter(&viewer.demand_pass(), level);
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
    match viewer.demand(&state.store, id).await? {
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
    let Some(d) = viewer.demand(&state.store, id).await? else {
        return Err(ApiError::not_found(format!("no demand #{id}")));
    };
    state.sees_own_writes(&viewer).await;
    Ok(Json(
        matches_of(&state, &d, p.kind.as_deref(), hits_limit(p.limit)?).await?,
    ))
}

/// What could solve a demand the viewer may see.
pub async fn matches_of(
    state: &AppState,
    d: &VisibleDemand,
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
    };
    run_need(state, &need).await
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
        .filter(&viewer.demand_pass(), None);
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
