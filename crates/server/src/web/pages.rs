//! The registry's pages: home, search, match, the demand list and a demand, and the detail pages
//! of outcomes, organizations and experts. Each handler reads through the API's checked use cases
//! and hands a view to its template (`templates/*.html`, escaped automatically).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use model::{Record, RecordKind};

use super::{ctx, not_found_page, respond, t, Choice, Frame, Lang, LangParam};
use crate::api::{self, AnswerView};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// The page path of a record.
pub(super) fn record_href(kind: RecordKind, id: i64) -> String {
    match kind {
        RecordKind::Outcome => format!("/outcomes/{id}"),
        RecordKind::Demand => format!("/demands/{id}"),
        RecordKind::Organization => format!("/organizations/{id}"),
        RecordKind::Person => format!("/experts/{id}"),
    }
}

/// Text with its matches marked 【like this】, cut into (marked, text) runs.
fn marked_runs(s: &str) -> Vec<(bool, String)> {
    let mut out = vec![];
    let mut rest = s;
    while let Some(open) = rest.find('【') {
        if open > 0 {
            out.push((false, rest[..open].to_string()));
        }
        let after = &rest[open + '【'.len_utf8()..];
        match after.find('】') {
            Some(close) => {
                out.push((true, after[..close].to_string()));
                rest = &after[close + '】'.len_utf8()..];
            }
            None => {
                out.push((true, after.to_string()));
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push((false, rest.to_string()));
    }
    out
}

/// A ranked answer as the pages show it (`templates/parts/answer.html`).
pub(super) struct AnswerShow {
    mode: String,
    ranking: String,
    notes: Vec<String>,
    hits: Vec<HitShow>,
}

struct HitShow {
    href: String,
    label: String,
    kind: String,
    score: f32,
    relevance: f32,
    lexical: Option<search::fusion::Evidence>,
    dense: Option<search::fusion::Evidence>,
    absent: f32,
    matched: String,
    snippet: Vec<(bool, String)>,
    signals: Vec<SignalShow>,
}

struct SignalShow {
    name: &'static str,
    label: String,
    contribution: f32,
    reason: String,
}

impl AnswerShow {
    pub(super) fn new(a: AnswerView, l: Lang) -> AnswerShow {
        AnswerShow {
            mode: a.mode,
            ranking: a.ranking,
            notes: a.notes,
            hits: a
                .hits
                .into_iter()
                .map(|h| HitShow {
                    href: record_href(h.record_kind, h.id as i64),
                    snippet: marked_runs(&h.snippet),
                    matched: h.matched_terms.join("、"),
                    signals: h
                        .signals
                        .into_iter()
                        .filter(|s| s.contribution != 0.0 || s.value.is_some())
                        .map(|s| SignalShow {
                            name: s.name,
                            label: t(&format!("signal_{}", s.name), l).to_string(),
                            contribution: s.contribution,
                            reason: if l == Lang::Zh { s.reason_zh } else { s.reason },
                        })
                        .collect(),
                    label: h.label,
                    kind: h.kind,
                    score: h.score,
                    relevance: h.relevance,
                    lexical: h.lexical,
                    dense: h.dense,
                    absent: h.absent,
                })
                .collect(),
        }
    }
}

/// A demand in a list (`templates/parts/demand_list.html`).
struct DemandRow {
    id: i64,
    title: String,
    level: String,
    owner: String,
    problem: String,
}

fn demand_rows(items: &[api::RecordView]) -> Vec<DemandRow> {
    items
        .iter()
        .map(|d| {
            let text = |k: &str| d.record[k].as_str().unwrap_or("").to_string();
            DemandRow {
                id: d.id,
                title: text("title"),
                level: text("confidentiality"),
                owner: text("owner"),
                problem: text("problem").chars().take(120).collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    f: Frame,
    counts: Vec<(i64, &'static str, &'static str)>,
    embedding_state: String,
    embedding_text: &'static str,
    embedding_counter: String,
    embedding_width: u64,
    demands: Vec<DemandRow>,
}

pub(super) async fn home(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let status = match api::status_for(&state, &c.viewer).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    // The newest eight the viewer may see.
    let newest = match api::visible_demands(&state, &c.viewer, None, 0, 8, true).await {
        Ok((newest, _, _)) => newest,
        Err(e) => return e.into_response(),
    };
    let e = &status.embedding;
    let pct = (100 * e.done).checked_div(e.total).unwrap_or(0);
    let running = e.state == "embedding" || e.state == "ready";
    let page = HomePage {
        f: c.frame(t("nav_home", c.lang)),
        counts: vec![
            (status.organizations, "count_orgs", "count-orgs"),
            (status.experts, "count_experts", "count-experts"),
            (status.outcomes, "count_outcomes", "count-outcomes"),
            (status.demands, "count_demands", "count-demands"),
        ],
        embedding_text: match e.state.as_str() {
            "ready" => "embedding_ready",
            "embedding" => "embedding_running",
            _ => "embedding_unavailable",
        },
        embedding_counter: if running {
            format!("{}/{}", e.done, e.total)
        } else {
            String::new()
        },
        embedding_width: (pct as u64 / 10 * 10).min(100),
        embedding_state: e.state.clone(),
        demands: demand_rows(&newest),
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct SearchQuery {
    q: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
}

struct SearchHitShow {
    href: String,
    title: String,
    demand: bool,
    sub_kind: String,
    score: f32,
}

struct SearchShow {
    total: u64,
    hits: Vec<SearchHitShow>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    f: Frame,
    query: String,
    kinds: Vec<Choice>,
    result: Option<SearchShow>,
    error: Option<String>,
}

pub(super) async fn search_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let query = q.q.clone().unwrap_or_default();
    let mut page = SearchPage {
        f: c.frame(t("nav_search", l)),
        kinds: Choice::coded(
            l,
            "kind_",
            &["any", "outcome", "expert", "organization", "demand"],
            q.kind.as_deref(),
        ),
        query: query.clone(),
        result: None,
        error: None,
    };
    if !query.trim().is_empty() {
        let params = crate::search_api::SearchParams {
            q: query,
            kind: q.kind.clone(),
            limit: Some(50),
            offset: None,
        };
        match crate::search_api::search_for(&state, &c.viewer, &params).await {
            Ok(res) => {
                page.result = Some(SearchShow {
                    total: res.total as u64,
                    hits: res
                        .hits
                        .into_iter()
                        .map(|h| SearchHitShow {
                            href: record_href(h.kind, h.id),
                            demand: h.kind == RecordKind::Demand,
                            title: h.title,
                            sub_kind: h.sub_kind,
                            score: h.score,
                        })
                        .collect(),
                })
            }
            Err(e) => page.error = Some(e.message),
        }
    }
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct MatchQuery {
    q: Option<String>,
    kind: Option<String>,
    trl: Option<String>,
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    f: Frame,
    text: String,
    kinds: Vec<Choice>,
    trls: Vec<Choice>,
    answer: Option<AnswerShow>,
    error: Option<String>,
}

pub(super) async fn match_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<MatchQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let text = q.q.clone().unwrap_or_default();
    let need_trl: Option<u8> = q.trl.as_deref().and_then(|s| s.parse().ok());
    let mut page = MatchPage {
        f: c.frame(t("nav_match", l)),
        text: text.clone(),
        kinds: Choice::coded(
            l,
            "kind_",
            &["any", "outcome", "expert", "lab", "platform", "enterprise"],
            q.kind.as_deref(),
        ),
        trls: Choice::trl(need_trl),
        answer: None,
        error: None,
    };
    if !text.trim().is_empty() {
        match api::match_for(&state, &text, q.kind.as_deref(), need_trl, 20).await {
            Ok(a) => page.answer = Some(AnswerShow::new(a, l)),
            Err(e) => page.error = Some(e.message),
        }
    }
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    after: Option<i64>,
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "demands.html")]
struct DemandsPage {
    f: Frame,
    total: i64,
    demands: Vec<DemandRow>,
    next: Option<i64>,
}

pub(super) async fn demands_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let (items, next, total) = match api::visible_demands(
        &state,
        &c.viewer,
        None,
        q.after.unwrap_or(0),
        30,
        false,
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let page = DemandsPage {
        f: c.frame(t("nav_demands", c.lang)),
        total,
        demands: demand_rows(&items),
        next,
    };
    respond(&c, StatusCode::OK, &page)
}

struct DemandShow {
    title: String,
    level: String,
    owner: String,
    problem: String,
    metrics: String,
    trl: Option<u8>,
}

#[derive(Template)]
#[template(path = "demand.html")]
struct DemandPage {
    f: Frame,
    d: DemandShow,
    answer: Option<AnswerShow>,
    error: Option<String>,
}

pub(super) async fn demand_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let pass = state.policy.demand_pass(&c.viewer);
    let d = match c.viewer.demand(&state.store, &pass, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let dm = d.demand();
    let mut page = DemandPage {
        f: c.frame(&dm.title),
        d: DemandShow {
            title: dm.title.clone(),
            level: dm.confidentiality.to_string(),
            owner: dm.owner.clone(),
            problem: dm.problem.clone(),
            metrics: dm.target_metrics.join("；"),
            trl: dm.trl_needed.map(|t| t.get()),
        },
        answer: None,
        error: None,
    };
    match api::matches_of(&state, &d, None, 10).await {
        Ok(a) => page.answer = Some(AnswerShow::new(a, c.lang)),
        Err(e) => page.error = Some(e.message),
    }
    respond(&c, StatusCode::OK, &page)
}

/// A record's fields as (name, shown value) rows; lists joined with 、.
fn record_fields(v: &serde_json::Value) -> Vec<(String, String)> {
    let Some(o) = v.as_object() else {
        return vec![];
    };
    o.iter()
        .map(|(k, val)| {
            let shown = match val {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("、"),
                other => other.to_string(),
            };
            (k.clone(), shown)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    f: Frame,
    fields: Vec<(String, String)>,
    adopters: bool,
    answer: Option<AnswerShow>,
    error: Option<String>,
}

async fn record_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: Option<&str>,
    kind: RecordKind,
    id: i64,
) -> Response {
    let c = ctx(state, headers, lang).await;
    let stored = match state.store.get(kind, id).await {
        Ok(Some(s)) => s,
        Ok(None) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let record = match &stored.record {
        // The expert pages show experts and researchers, as /api/v1/experts does.
        Record::Person(p) if matches!(p.kind, model::PersonKind::Broker) => {
            return not_found_page(&c)
        }
        Record::Person(p) if !c.viewer.is_admin() => Record::Person(api::public_person(p)),
        Record::Demand(_) => return not_found_page(&c),
        r => r.clone(),
    };
    let v = serde_json::to_value(&record).unwrap_or_default();
    let mut page = RecordPage {
        f: c.frame(record.label()),
        fields: record_fields(&v),
        adopters: kind == RecordKind::Outcome,
        answer: None,
        error: None,
    };
    if page.adopters {
        match api::adopters_for(state, id, None, 10).await {
            Ok(a) => page.answer = Some(AnswerShow::new(a, c.lang)),
            Err(e) => page.error = Some(e.message),
        }
    }
    respond(&c, StatusCode::OK, &page)
}

pub(super) async fn outcome_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    record_page(&state, &headers, q.lang.as_deref(), RecordKind::Outcome, id).await
}

pub(super) async fn organization_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let lang = q.lang.as_deref();
    record_page(&state, &headers, lang, RecordKind::Organization, id).await
}

pub(super) async fn expert_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    record_page(&state, &headers, q.lang.as_deref(), RecordKind::Person, id).await
}

#[cfg(test)]
mod tests {
    use super::marked_runs;

    #[test]
    fn marks_are_cut_into_runs() {
        assert_eq!(
            marked_runs("a【b】c【d"),
            vec![
                (false, "a".to_string()),
                (true, "b".to_string()),
                (false, "c".to_string()),
                (true, "d".to_string())
            ]
        );
        assert_eq!(marked_runs(""), vec![]);
    }
}
