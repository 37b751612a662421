//! `GET /api/v1/search` and the search page: the shared lexical index (what everyone may see) and the
//! confidential demands the viewer's pass opens, counted at most 1,000 deep, every hit shown read back
//! and checked again.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use model::{Confidentiality, RecordKind};
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
    let depth = 1000;
    let filters = Filters {
        record_kinds: kinds.clone(),
        ..Filters::default()
    };
    let params = search::Bm25Params::default();
    // (hit, sub-kind when from the confidential index). Shared hits keep their BM25 score scaled by
    // the best one; a confidential hit's score is the share of the query's terms its own text holds
    // (see engine::confidential: no statistic over what the viewer cannot see, and no work on it).
    let mut found: Vec<(search::Hit, Option<Confidentiality>)> = {
        let engines = state.engines.read().await;
        let shared = engines.lexical.search(&q, &filters, &params, depth)?;
        let top = shared
            .first()
            .map_or(1.0, |h| h.score.max(f32::MIN_POSITIVE));
        shared
            .into_iter()
            .map(|mut h| {
                h.score /= top;
                (h, None)
            })
            .collect()
    };
    let pass = state.policy.demand_pass(viewer);
    if kinds.contains(&RecordKind::Demand) {
        let terms = search::matching::distinct_terms(&q);
        let hidden = state.read_confidential().search(&pass, &terms, depth);
        found.extend(hidden.into_iter().map(|h| {
            (
                search::Hit {
                    record_kind: RecordKind::Demand,
                    id: h.id as u64,
                    score: h.score,
                },
                Some(h.level),
            )
        }));
        found.sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.0.id.cmp(&b.0.id)));
    }
    // A demand counts under the level it has now: one whose level another process changed since the
    // indexes last followed the outbox is neither shown nor counted (all of these hits are ones the
    // viewer may see, so this query's cost reveals nothing). When the store has not moved since the
    // indexes were read, the levels they hold are the store's, and the read is spared.
    let demand_ids: Vec<i64> = found
        .iter()
        .filter(|(h, _)| h.record_kind == RecordKind::Demand)
        .map(|(h, _)| h.id as i64)
        .collect();
    if !demand_ids.is_empty() && state.store.outbox_head().await? > synced {
        let now = state.store.demand_levels(&demand_ids).await?;
        found.retain(|(h, level)| {
            h.record_kind != RecordKind::Demand
                || now.get(&(h.id as i64)).map(String::as_str)
                    == Some(level.unwrap_or(Confidentiality::Public).as_str())
        });
    }
    // The documented cap: at most the first 1,000 hits count.
    found.truncate(depth);
    // Every hit counts; every hit shown is read back from the store, and a demand checked again.
    let mut hits = vec![];
    let mut total = 0;
    let mut seen: HashMap<(RecordKind, u64), ()> = HashMap::new();
    for (h, _) in found {
        if seen.insert((h.record_kind, h.id), ()).is_some() {
            continue;
        }
        let shown = total >= offset && hits.len() < limit;
        total += 1;
        if !shown {
            continue;
        }
        let read = match h.record_kind {
            RecordKind::Demand => state.store.get_demand(h.id as i64, &pass).await?,
            kind => state.store.get(kind, h.id as i64).await?,
        };
        let Some(s) = read else {
            total -= 1;
            continue;
        };
        let (title, sub) = match h.record_kind {
            RecordKind::Demand => match viewer.visible_demand(&state.store, s).await? {
                Some(d) => (
                    d.demand().title.clone(),
                    d.demand().confidentiality.to_string(),
                ),
                None => {
                    total -= 1;
                    continue;
                }
            },
            _ => (s.record.label().to_string(), sub_kind(&s.record)),
        };
        hits.push(SearchHit {
            kind: h.record_kind,
            id: h.id as i64,
            sub_kind: sub,
            title,
            score: h.score,
        });
    }
    Ok(SearchPage {
        hits,
        offset,
        total,
    })
}
