//! `GET /api/v1/search` and the search page: the shared lexical index (what everyone may see) and the
//! confidential demands the viewer's pass opens, counted at most 1,000 deep, every hit shown read back
//! and checked again.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use model::RecordKind;
use search::Filters;

use crate::access::Viewer;
use crate::api::{hits_limit, sub_kind};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::ApiQuery;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query, Chinese or English.
    pub q: String,
    /// `organization`, `expert` (people), `outcome` or `demand`; all when absent.
    pub kind: Option<String>,
    /// Hits per page, 1–100 (default 20).
    pub limit: Option<usize>,
    /// Hits to skip (at most 900).
    pub offset: Option<usize>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    #[schema(value_type = String)]
    pub kind: RecordKind,
    pub id: i64,
    /// Sub-kind: `paper`, `patent`, `enterprise`, `expert`, or a demand's confidentiality.
    pub sub_kind: String,
    pub title: String,
    /// Who holds it: an outcome's first owner, a person's organization, a demand's poster, an
    /// organization's district.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// An outcome's stage (TRL), or the stage a demand needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trl: Option<u8>,
    /// The passage holding most of the query's words, matches in 【】.
    pub snippet: String,
    /// Relevance in 0..1: BM25 relative to the best hit; for a registered or NDA demand, the share of
    /// the query's terms its text holds (never statistics over demands the viewer cannot see).
    pub score: f32,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub offset: usize,
    /// Hits found for this viewer (up to the first 1,000).
    pub total: usize,
}

/// Lexical search over the registry (Chinese and English), filtered by what the viewer may see.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchPage>> {
    Ok(Json(search_for(&state, &viewer, &p).await?))
}

/// Lexical search as the viewer may see it (the API and the search page).
pub async fn search_for(
    state: &AppState,
    viewer: &Viewer,
    p: &SearchParams,
) -> ApiResult<SearchPage> {
    let limit = hits_limit(Some(p.limit.unwrap_or(20)))?;
    let offset = p.offset.unwrap_or(0);
    if offset > 900 {
        return Err(ApiError::invalid(
            "offset at most 900: refine the query instead",
        ));
    }
    if p.q.trim().is_empty() {
        return Err(ApiError::invalid("q: give a query"));
    }
    let q: String =
        p.q.chars()
            .take(engine::matching::MAX_QUERY_CHARS)
            .collect();
    let kinds: Vec<RecordKind> = match p.kind.as_deref() {
        None | Some("") | Some("any") => RecordKind::ALL.to_vec(),
        Some("organization") => vec![RecordKind::Organization],
        Some("expert") | Some("person") => vec![RecordKind::Person],
        Some("outcome") => vec![RecordKind::Outcome],
        Some("demand") => vec![RecordKind::Demand],
        Some(k) => {
            return Err(ApiError::invalid(format!(
                "kind '{k}': use organization, expert, outcome or demand"
            )))
        }
    };
    state.sees_own_writes(viewer).await;
    // What the indexes hold before they are read: if the store has moved past it by the time the
    // hits are counted, demand levels are read back from the store (below).
    let synced = state.synced_position();
    let depth = engine::registry_search::DEPTH;
    let filters = Filters {
        record_kinds: kinds.clone(),
        ..Filters::default()
    };
    let shared = {
        let engines = state.engines.read().await;
        engines
            .lexical
            .search_words(&q, &filters, &search::Bm25Params::default(), depth)?
    };
    let pass = state.policy.demand_pass(viewer);
    let hidden = if kinds.contains(&RecordKind::Demand) {
        let units = search::matching::query_units(&q);
        state.read_confidential().search_words(&pass, &units, depth)
    } else {
        vec![]
    };
    let mut found = engine::registry_search::merge(shared, hidden);
    engine::registry_search::keep_current_levels(&state.store, &mut found, synced).await?;
    let (shown, mut total) =
        engine::registry_search::page(&state.store, &pass, found, offset, limit).await?;
    let query_terms = search::matching::distinct_terms(&q);
    let mut hits = vec![];
    for (f, s) in shown {
        let (title, sub, (owner, trl, body)) = match f.kind {
            // Read through the viewer's pass, and checked against the rule once more.
            RecordKind::Demand => match viewer.visible_demand(&state.store, s).await? {
                Some(d) => (
                    d.demand().title.clone(),
                    d.demand().confidentiality.to_string(),
                    described(&d.stored().record),
                ),
                None => {
                    total -= 1;
                    continue;
                }
            },
            _ => (
                s.record.label().to_string(),
                sub_kind(&s.record),
                described(&s.record),
            ),
        };
        let (snippet, _) = search::matching::highlight(&query_terms, &body, 120);
        hits.push(SearchHit {
            kind: f.kind,
            id: f.id,
            sub_kind: sub,
            title,
            owner,
            trl,
            snippet,
            score: f.score,
        });
    }
    Ok(SearchPage {
        hits,
        offset,
        total,
    })
}

/// A hit's owner, stage and the text its snippet comes from. A person's text is what the public
/// view shows (fields and bio, never a contact).
fn described(r: &model::Record) -> (Option<String>, Option<u8>, String) {
    use model::Record;
    match r {
        Record::Outcome(o) => (
            o.owners.first().cloned(),
            o.trl.map(|t| t.get()),
            o.abstract_text.clone().unwrap_or_default(),
        ),
        Record::Demand(d) => (
            Some(d.owner.clone()),
            d.trl_needed.map(|t| t.get()),
            d.problem.clone(),
        ),
        Record::Person(p) => (
            p.affiliation.clone(),
            None,
            format!(
                "{} {}",
                p.fields.join("、"),
                p.bio.clone().unwrap_or_default()
            ),
        ),
        Record::Organization(o) => (
            o.region.as_ref().map(|r| r.name_zh().to_string()),
            None,
            format!(
                "{} {}",
                o.products.join("、"),
                o.description.clone().unwrap_or_default()
            ),
        ),
    }
}
