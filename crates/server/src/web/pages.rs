//! The registry's pages: home, search and match, and how a ranked answer is shown. Each handler
//! reads through the API's checked use cases and hands a view to its template
//! (`templates/*.html`, escaped automatically).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use model::RecordKind;

use super::{ctx, respond, t, Choice, Frame, Lang, LangParam};
use crate::api::{self, AnswerView};
use crate::state::AppState;
use crate::ApiQuery;

/// The page path of a record.
pub(super) fn record_href(kind: RecordKind, id: i64) -> String {
    match kind {
        RecordKind::Outcome => format!("/outcomes/{id}"),
        RecordKind::Demand => format!("/demands/{id}"),
        RecordKind::Organization => format!("/organizations/{id}"),
        RecordKind::Person => format!("/experts/{id}"),
    }
}

/// Generated text that quotes record data 「like this」 or “like this”, cut into (data, text)
/// runs: the quotes stay with the words, what they enclose is data (shown as written, never
/// translated).
pub(super) fn quoted_runs(s: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = vec![];
    let mut cur = String::new();
    let mut close: Option<char> = None;
    for ch in s.chars() {
        match close {
            None if ch == '「' || ch == '“' => {
                cur.push(ch);
                out.push((false, std::mem::take(&mut cur)));
                close = Some(if ch == '「' { '」' } else { '”' });
            }
            Some(c) if ch == c => {
                out.push((true, std::mem::take(&mut cur)));
                cur.push(ch);
                close = None;
            }
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push((close.is_some(), cur));
    }
    out.retain(|(_, t)| !t.is_empty());
    out
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

/// A ranked answer as the pages show it (`templates/parts/answer.html`): each hit's strength and
/// why in plain words; the numbers behind a "details" toggle.
pub(super) struct AnswerShow {
    pub(crate) mode: String,
    pub(crate) ranking: String,
    /// No hit is more than weak: the page says so plainly.
    pub(crate) none_fit: bool,
    pub(crate) hits: Vec<HitShow>,
}

pub(crate) struct HitShow {
    pub(crate) href: String,
    /// 发起对接 with this hit, where the page offers it.
    pub(crate) engage: Option<String>,
    pub(crate) label: String,
    pub(crate) kind: String,
    pub(crate) strength: &'static str,
    pub(crate) strength_label: String,
    /// Each reason as runs of (record data?, text): quoted data is shown as written.
    pub(crate) why: Vec<Vec<(bool, String)>>,
    pub(crate) score: f32,
    pub(crate) relevance: f32,
    pub(crate) lexical: Option<search::fusion::Evidence>,
    pub(crate) dense: Option<search::fusion::Evidence>,
    pub(crate) absent: f32,
    pub(crate) coverage: f32,
    pub(crate) snippet: Vec<(bool, String)>,
    pub(crate) signals: Vec<SignalShow>,
}

pub(crate) struct SignalShow {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    pub(crate) contribution: f32,
    pub(crate) reason: Vec<(bool, String)>,
}

/// Chain node and cluster codes in a reason replaced by their names (longest codes first, so a
/// node code is not cut by its cluster's).
fn with_names(state: &AppState, text: &str, l: Lang) -> String {
    let mut codes: Vec<(&str, String)> = vec![];
    for c in &state.chains.taxonomy.clusters {
        for n in &c.nodes {
            if text.contains(n.code.as_str()) {
                codes.push((n.code.as_str(), super::labels::node(state, &n.code, l)));
            }
        }
        if text.contains(c.code.as_str()) {
            codes.push((c.code.as_str(), super::labels::cluster(state, &c.code, l)));
        }
    }
    codes.sort_by_key(|(c, _)| std::cmp::Reverse(c.len()));
    let mut out = text.to_string();
    for (code, name) in codes {
        out = out.replace(code, &name);
    }
    out
}

/// What a hit in another language than the need is, and the need's words it holds in translation
/// ("英文文献，按词典对照匹配：肿瘤 → tumor、转移 → metastasis").
fn other_language(h: &search::Match, l: Lang) -> Vec<(bool, String)> {
    let english = model::Lang::detect(&h.label).as_str() == "en";
    if h.concepts.is_empty() {
        let key = if english {
            "why_in_english_meaning"
        } else {
            "why_cross_language"
        };
        return vec![(false, t(key, l).to_string())];
    }
    let key = if english {
        "why_in_english"
    } else {
        "why_in_chinese"
    };
    let pairs: Vec<String> = h
        .concepts
        .iter()
        .map(|c| format!("{} → {}", c.from, c.to))
        .collect();
    vec![
        (false, t(key, l).to_string()),
        (true, pairs.join(super::labels::sep(l))),
    ]
}

/// The hit's reasons in words: the key words it shares, how close it is in meaning, and what its
/// place, stage and owner add. Each is runs of (record data?, text).
/// Where the relevance came from, as shares of the lists that added to it (own words, dictionary
/// translation, multilingual model, English model); nothing when one list carried it all.
fn list_shares(lists: &search::Lists, l: Lang) -> Option<String> {
    let parts: Vec<(f32, &str)> = [
        (lists.words, "list_words"),
        (lists.bridge, "list_bridge"),
        (lists.multilingual, "list_multilingual"),
        (lists.english, "list_english"),
    ]
    .into_iter()
    .filter(|(v, _)| *v > 0.0)
    .collect();
    let total: f32 = parts.iter().map(|(v, _)| v).sum();
    if parts.len() < 2 || total <= 0.0 {
        return None;
    }
    let shares: Vec<String> = parts
        .iter()
        .map(|(v, key)| format!("{} {:.0}%", t(key, l), 100.0 * v / total))
        .collect();
    Some(format!(
        "{}{}",
        t("why_lists", l),
        shares.join(super::labels::sep(l))
    ))
}

fn reasons(state: &AppState, h: &search::Match, l: Lang) -> Vec<Vec<(bool, String)>> {
    let mut why = vec![];
    // Across languages the words are shown with their translations (below), not as shared words.
    if !h.matched_terms.is_empty() && h.concepts.is_empty() {
        let words = h.matched_terms.join(super::labels::sep(l));
        let n = h.matched_terms.len();
        why.push(vec![
            (
                false,
                match l {
                    Lang::Zh => format!("提到需求中的 {n} 个关键词："),
                    Lang::En => format!("Mentions {n} of the key words: "),
                },
            ),
            (true, words),
        ]);
    }
    if let Some(sim) = h.similarity {
        let key = if sim >= 0.88 {
            "why_semantic_close"
        } else if sim >= 0.84 {
            "why_semantic_near"
        } else {
            "why_semantic_far"
        };
        why.push(vec![(false, t(key, l).to_string())]);
    }
    if h.cross_language {
        why.push(other_language(h, l));
    }
    if let Some(line) = list_shares(&h.lists, l) {
        why.push(vec![(false, line)]);
    }
    // A verdict that sank the hit is said as plainly as what lifted it.
    for s in h.signals.iter().filter(|s| s.contribution != 0.0) {
        let text = if l == Lang::Zh {
            &s.reason_zh
        } else {
            &s.reason
        };
        why.push(quoted_runs(&with_names(state, text, l)));
    }
    if why.is_empty() {
        why.push(vec![(false, t("why_little", l).to_string())]);
    }
    why
}

impl AnswerShow {
    /// Each hit that is a supply item gets a link opening an engagement, made by `link` from the
    /// item's kind (`outcome`, `expert`, `organization`) and id.
    pub(super) fn engage_links(mut self, link: impl Fn(&str, i64) -> String) -> AnswerShow {
        for h in &mut self.hits {
            let parts = h.href.trim_start_matches('/').split_once('/');
            let item = match parts {
                Some(("outcomes", id)) => id.parse().ok().map(|i| ("outcome", i)),
                Some(("experts", id)) => id.parse().ok().map(|i| ("expert", i)),
                Some(("organizations", id)) => id.parse().ok().map(|i| ("organization", i)),
                _ => None,
            };
            h.engage = item.map(|(k, i)| link(k, i));
        }
        self
    }

    pub(super) fn new(state: &AppState, a: AnswerView, l: Lang) -> AnswerShow {
        let none_fit =
            !a.hits.is_empty() && a.hits.iter().all(|h| h.strength == search::Strength::Weak);
        AnswerShow {
            mode: a.mode,
            ranking: a.ranking,
            none_fit,
            hits: a
                .hits
                .into_iter()
                .map(|h| HitShow {
                    engage: None,
                    href: record_href(h.record_kind, h.id as i64),
                    snippet: marked_runs(&h.snippet),
                    why: reasons(state, &h, l),
                    strength: h.strength.as_str(),
                    strength_label: t(&format!("strength_{}", h.strength.as_str()), l).to_string(),
                    kind: super::labels::record_kind(&h.kind, l),
                    signals: h
                        .signals
                        .into_iter()
                        .filter(|s| s.contribution != 0.0 || s.value.is_some())
                        .map(|s| SignalShow {
                            name: s.name,
                            label: t(&format!("signal_{}", s.name), l).to_string(),
                            contribution: s.contribution,
                            reason: quoted_runs(&with_names(
                                state,
                                if l == Lang::Zh {
                                    &s.reason_zh
                                } else {
                                    &s.reason
                                },
                                l,
                            )),
                        })
                        .collect(),
                    label: h.label,
                    score: h.score,
                    relevance: h.relevance,
                    lexical: h.lexical,
                    dense: h.dense,
                    absent: h.absent,
                    coverage: h.coverage,
                })
                .collect(),
        }
    }

    /// The hits as spreadsheet rows: rank, name, kind, strength, reasons, link.
    pub(super) fn export_rows(&self) -> Vec<Vec<String>> {
        self.hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                vec![
                    (i + 1).to_string(),
                    h.label.clone(),
                    h.kind.clone(),
                    h.strength_label.clone(),
                    h.why
                        .iter()
                        .map(|runs| runs.iter().map(|(_, t)| t.as_str()).collect::<String>())
                        .collect::<Vec<_>>()
                        .join("；"),
                    h.href.clone(),
                ]
            })
            .collect()
    }
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
    demands: Vec<super::demands::DemandRow>,
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
        demands: super::demands::demand_rows(&state, &newest, c.lang),
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
    /// A demand's level code (for the tag's colour), else empty.
    level: String,
    kind: String,
    owner: Option<String>,
    trl: Option<u8>,
    snippet: Vec<(bool, String)>,
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
                            level: if h.kind == RecordKind::Demand {
                                h.sub_kind.clone()
                            } else {
                                String::new()
                            },
                            kind: super::labels::record_kind(&h.sub_kind, l),
                            title: h.title,
                            owner: h.owner,
                            trl: h.trl,
                            snippet: marked_runs(&h.snippet),
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
        f: c.frame(t("match_title", l)),
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
            Ok(a) => page.answer = Some(AnswerShow::new(&state, a, l)),
            Err(e) => page.error = Some(e.message),
        }
    }
    respond(&c, StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::{marked_runs, quoted_runs};

    #[test]
    fn quoted_data_is_cut_out_of_generated_text() {
        assert_eq!(
            quoted_runs("含「电池包」；the key word “ctp” in"),
            vec![
                (false, "含「".to_string()),
                (true, "电池包".to_string()),
                (false, "」；the key word “".to_string()),
                (true, "ctp".to_string()),
                (false, "” in".to_string()),
            ]
        );
        assert_eq!(quoted_runs("plain"), vec![(false, "plain".to_string())]);
    }

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
