//! The web UI: server-rendered pages, Chinese by default with an English switch (`?lang=en`, kept in
//! a cookie), light JavaScript for progress only, assets compiled into the binary. Pages read through
//! the same checks as the API (`Viewer`, `VisibleDemand`), so the UI cannot show what the API hides.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use axum::extract::{Form, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use model::{Record, RecordKind};

use crate::access::Viewer;
use crate::api::{self, AnswerView};
use crate::auth::{self, cookie, CSRF_COOKIE, SESSION_COOKIE};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

mod admin;
mod chains;
mod import;
mod tiers;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const CHAINS_JS: &str = include_str!("../assets/chains.js");
const ECHARTS_JS: &str = include_str!("../assets/vendor/echarts.min.js");
const UI: &str = include_str!("../../../data/i18n/ui.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

fn strings() -> &'static HashMap<String, [String; 2]> {
    static S: OnceLock<HashMap<String, [String; 2]>> = OnceLock::new();
    S.get_or_init(|| toml::from_str(UI).expect("data/i18n/ui.toml parses"))
}

/// The UI string `key` in `lang` (the key itself when missing, so a gap shows rather than breaks).
pub fn t(key: &str, lang: Lang) -> &str {
    strings()
        .get(key)
        .map(|v| v[if lang == Lang::Zh { 0 } else { 1 }].as_str())
        .unwrap_or(key)
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What every page knows of its request: language, viewer, CSRF token, cookies to set.
struct Ctx {
    lang: Lang,
    viewer: Viewer,
    csrf: String,
    set_cookies: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
struct LangParam {
    lang: Option<String>,
}

async fn ctx(state: &AppState, headers: &HeaderMap, lang_param: Option<&str>) -> Ctx {
    let mut set_cookies = vec![];
    let lang = match lang_param {
        Some("en") => {
            set_cookies.push("sl_lang=en; Path=/; SameSite=Lax; Max-Age=31536000".to_string());
            Lang::En
        }
        Some("zh") => {
            set_cookies.push("sl_lang=zh; Path=/; SameSite=Lax; Max-Age=31536000".to_string());
            Lang::Zh
        }
        _ => match cookie(headers, "sl_lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        },
    };
    // A stale or revoked session cookie makes a page anonymous, not an error page.
    let mut viewer = Viewer::anonymous();
    let mut session_csrf = None;
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if let Ok(Some(u)) = auth::session_user(state, &token, true).await {
            viewer = Viewer::signed_in(u);
            session_csrf = Some(auth::csrf_for(&token));
        }
    }
    // Signed in: the session's own token. Anonymous (the sign-in form): a double-submit cookie.
    let csrf = match (session_csrf, cookie(headers, CSRF_COOKIE)) {
        (Some(c), _) => c,
        (None, Some(c)) if c.len() == 64 => c,
        (None, _) => {
            let c = auth::random_token();
            let secure = if state.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            set_cookies.push(format!(
                "{CSRF_COOKIE}={c}; Path=/; SameSite=Strict{secure}"
            ));
            c
        }
    };
    Ctx {
        lang,
        viewer,
        csrf,
        set_cookies,
    }
}

fn page(c: &Ctx, title: &str, body: &str) -> Response {
    let l = c.lang;
    let mut h = String::with_capacity(body.len() + 4096);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body>\
         <header class=\"top\"><div class=\"bar\"><a class=\"brand\" href=\"/\">{}</a><nav>\
         <a href=\"/\">{}</a><a href=\"/search\">{}</a><a href=\"/match\">{}</a>\
         <a href=\"/demands\">{}</a><a href=\"/demands/new\">{}</a><a href=\"/chains\">{}</a><a href=\"/tiers\">{}</a>{}</nav><div class=\"who\">",
        if l == Lang::Zh { "zh-CN" } else { "en" },
        esc(title),
        esc(t("app_name", l)),
        esc(t("app_name", l)),
        t("nav_home", l),
        t("nav_search", l),
        t("nav_match", l),
        t("nav_demands", l),
        t("nav_post", l),
        t("nav_chains", l),
        t("nav_tiers", l),
        if c.viewer.is_admin() {
            format!("<a href=\"/admin/import\">{}</a>", t("nav_admin", l))
        } else {
            String::new()
        },
    );
    let other = if l == Lang::Zh { "en" } else { "zh" };
    let _ = write!(
        h,
        "<a id=\"lang-switch\" href=\"?lang={other}\">{}</a>",
        t("lang_switch", l)
    );
    match c.viewer.user() {
        Some(u) => {
            let _ = write!(
                h,
                "<span id=\"whoami\">{} {}</span><form method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                t("signed_in_as", l),
                esc(&u.username),
                esc(&c.csrf),
                t("nav_logout", l)
            );
        }
        None => {
            let _ = write!(h, "<a href=\"/login\">{}</a>", t("nav_login", l));
        }
    }
    let _ = write!(
        h,
        "</div></div></header><div class=\"demo-note\">{}</div><main>{body}</main>\
         <footer>Shuanglian 双链 · Apache-2.0</footer><script src=\"/assets/app.js\"></script></body></html>",
        t("demo_note", l)
    );
    let mut r = Html(h).into_response();
    for ck in &c.set_cookies {
        if let Ok(v) = HeaderValue::from_str(ck) {
            r.headers_mut().append(SET_COOKIE, v);
        }
    }
    r
}

fn not_found_page(c: &Ctx) -> Response {
    let body = format!("<h1>404</h1><p>{}</p>", t("not_found", c.lang));
    let mut r = page(c, "404", &body);
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search_page))
        .route("/match", get(match_page))
        .route("/demands", get(demands_page))
        .route("/demands/new", get(new_demand_form).post(new_demand_post))
        .route("/demands/{id}", get(demand_page))
        .route("/outcomes/{id}", get(outcome_page))
        .route("/organizations/{id}", get(organization_page))
        .route("/experts/{id}", get(expert_page))
        .route("/tiers", get(tiers::funnel_page))
        .route("/tiers/whatif", get(tiers::whatif_page))
        .route("/chains", get(chains::overview))
        .route("/chains/{cluster}", get(chains::cluster_page))
        .route("/chains/nodes/{id}", get(chains::node_page))
        .route(
            "/chains/nodes/{id}/override",
            axum::routing::post(chains::override_post),
        )
        .route(
            "/admin/import",
            get(import::import_form).post(import::import_post).layer(
                axum::extract::DefaultBodyLimit::max(import::MAX_IMPORT_BYTES),
            ),
        )
        .route("/admin/accounts", get(admin::accounts_page))
        .route(
            "/admin/accounts/users",
            axum::routing::post(admin::add_user),
        )
        .route(
            "/admin/accounts/user",
            axum::routing::post(admin::user_action),
        )
        .route(
            "/admin/accounts/grants",
            axum::routing::post(admin::grant_action),
        )
        .route("/login", get(login_form).post(login_post))
        .route("/logout", axum::routing::post(logout_post))
        .route("/assets/app.css", get(|| async { asset("text/css", CSS) }))
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript", JS) }),
        )
        .route(
            "/assets/chains.js",
            get(|| async { asset("text/javascript", CHAINS_JS) }),
        )
        .route(
            "/assets/vendor/echarts.min.js",
            get(|| async { asset("text/javascript", ECHARTS_JS) }),
        )
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn home(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let status = match api::status_for(&state, &c.viewer).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p class=\"lead\">{}</p>\
         <form class=\"search\" action=\"/match\" method=\"get\"><input type=\"search\" name=\"q\" placeholder=\"{}\" aria-label=\"{}\">\
         <button type=\"submit\">{}</button></form><div class=\"cards\">",
        t("app_name", l),
        t("home_lead", l),
        esc(t("match_placeholder", l)),
        t("nav_match", l),
        t("match_button", l)
    );
    for (n, key, id) in [
        (status.organizations, "count_orgs", "count-orgs"),
        (status.experts, "count_experts", "count-experts"),
        (status.outcomes, "count_outcomes", "count-outcomes"),
        (status.demands, "count_demands", "count-demands"),
    ] {
        let _ = write!(
            b,
            "<div class=\"card\"><div class=\"n\" id=\"{id}\">{n}</div><div class=\"l\">{}</div></div>",
            t(key, l)
        );
    }
    b.push_str("</div>");
    let e = &status.embedding;
    let pct = (100 * e.done).checked_div(e.total).unwrap_or(0);
    let text = match e.state.as_str() {
        "ready" => t("embedding_ready", l).to_string(),
        "embedding" => t("embedding_running", l).to_string(),
        _ => t("embedding_unavailable", l).to_string(),
    };
    let counter = if e.state == "embedding" || e.state == "ready" {
        format!("{}/{}", e.done, e.total)
    } else {
        String::new()
    };
    let _ = write!(
        b,
        "<div id=\"embedding\" data-state=\"{}\"><b>{}</b>: <span>{}</span> \
         <span class=\"state\">{counter}</span><div class=\"progress\"><div class=\"w{}\"></div></div></div>",
        esc(&e.state),
        t("embedding", l),
        esc(&text),
        (pct / 10 * 10).min(100)
    );
    let _ = write!(b, "<h2>{}</h2>", t("recent_demands", l));
    // The newest eight the viewer may see.
    match api::visible_demands(&state, &c.viewer, None, 0, 8, true).await {
        Ok((newest, _, _)) => b.push_str(&demand_list(&newest, l)),
        Err(e) => return e.into_response(),
    }
    page(&c, t("nav_home", l), &b)
}

fn level_tag(level: &str, l: Lang) -> String {
    let key = format!("level_{level}");
    format!("<span class=\"tag {}\">{}</span>", esc(level), t(&key, l))
}

fn demand_list(items: &[api::RecordView], l: Lang) -> String {
    if items.is_empty() {
        return format!("<p>{}</p>", t("no_results", l));
    }
    let mut b = String::from("<ol class=\"hits\" id=\"demand-list\">");
    for d in items {
        let r = &d.record;
        let _ = write!(
            b,
            "<li><div class=\"hit-head\"><a class=\"title\" href=\"/demands/{}\">{}</a>{}<span class=\"why\">{}</span></div>\
             <div class=\"snippet\">{}</div></li>",
            d.id,
            esc(r["title"].as_str().unwrap_or("")),
            level_tag(r["confidentiality"].as_str().unwrap_or(""), l),
            esc(r["owner"].as_str().unwrap_or("")),
            esc(&r["problem"].as_str().unwrap_or("").chars().take(120).collect::<String>())
        );
    }
    b.push_str("</ol>");
    b
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
}

fn kind_select(name: &str, options: &[&str], chosen: Option<&str>, l: Lang) -> String {
    let mut s = format!("<select name=\"{name}\" aria-label=\"{}\">", t("find", l));
    for o in options {
        let _ = write!(
            s,
            "<option value=\"{o}\"{}>{}</option>",
            if chosen == Some(*o) { " selected" } else { "" },
            t(&format!("kind_{o}"), l)
        );
    }
    s.push_str("</select>");
    s
}

async fn search_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let query = q.q.clone().unwrap_or_default();
    let mut b = format!(
        "<h1>{}</h1><form class=\"search\" action=\"/search\" method=\"get\">\
         <input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"{}\" aria-label=\"{}\">{}<button type=\"submit\">{}</button></form>",
        t("nav_search", l),
        esc(&query),
        esc(t("search_placeholder", l)),
        t("nav_search", l),
        kind_select("kind", &["any", "outcome", "expert", "organization", "demand"], q.kind.as_deref(), l),
        t("search_button", l)
    );
    if !query.trim().is_empty() {
        let params = crate::search_api::SearchParams {
            q: query.clone(),
            kind: q.kind.clone(),
            limit: Some(50),
            offset: None,
        };
        match crate::search_api::search_for(&state, &c.viewer, &params).await {
            Ok(res) => {
                let _ = write!(
                    b,
                    "<p id=\"result-count\">{} {}</p>",
                    res.total,
                    t("results", l)
                );
                b.push_str("<ol class=\"hits\" id=\"search-hits\">");
                for h in &res.hits {
                    let href = record_href(h.kind, h.id);
                    let tag = if h.kind == RecordKind::Demand {
                        level_tag(&h.sub_kind, l)
                    } else {
                        format!("<span class=\"tag\">{}</span>", esc(&h.sub_kind))
                    };
                    let _ = write!(
                        b,
                        "<li><div class=\"hit-head\"><a class=\"title\" href=\"{href}\">{}</a>{tag}<span class=\"score\">{:.2}</span></div></li>",
                        esc(&h.title),
                        h.score
                    );
                }
                b.push_str("</ol>");
                if res.hits.is_empty() {
                    let _ = write!(b, "<p>{}</p>", t("no_results", l));
                }
            }
            Err(e) => {
                let _ = write!(b, "<p class=\"error\">{}</p>", esc(&e.message));
            }
        }
    }
    page(&c, t("nav_search", l), &b)
}

fn record_href(kind: RecordKind, id: i64) -> String {
    match kind {
        RecordKind::Outcome => format!("/outcomes/{id}"),
        RecordKind::Demand => format!("/demands/{id}"),
        RecordKind::Organization => format!("/organizations/{id}"),
        RecordKind::Person => format!("/experts/{id}"),
    }
}

#[derive(serde::Deserialize)]
struct MatchQuery {
    q: Option<String>,
    kind: Option<String>,
    trl: Option<String>,
    lang: Option<String>,
}

async fn match_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<MatchQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let text = q.q.clone().unwrap_or_default();
    let mut trl_opts = String::from("<option value=\"\">—</option>");
    for i in 1..=9 {
        let _ = write!(
            trl_opts,
            "<option value=\"{i}\"{}>TRL {i}</option>",
            if q.trl.as_deref() == Some(&i.to_string()) {
                " selected"
            } else {
                ""
            }
        );
    }
    let mut b = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p><form class=\"stack\" action=\"/match\" method=\"get\" id=\"match-form\">\
         <textarea name=\"q\" aria-label=\"{}\" placeholder=\"{}\">{}</textarea>\
         <div class=\"inline\"><label>{} {}</label><label>{} <select name=\"trl\">{}</select></label>\
         <button type=\"submit\">{}</button></div></form>",
        t("nav_match", l),
        t("match_lead", l),
        t("nav_match", l),
        esc(t("match_placeholder", l)),
        esc(&text),
        t("find", l),
        kind_select("kind", &["any", "outcome", "expert", "lab", "platform", "enterprise"], q.kind.as_deref(), l),
        t("need_trl", l),
        trl_opts,
        t("match_button", l)
    );
    if !text.trim().is_empty() {
        let need_trl = q.trl.as_deref().and_then(|s| s.parse().ok());
        match api::match_for(&state, &text, q.kind.as_deref(), need_trl, 20).await {
            Ok(a) => b.push_str(&answer_html(&a, l)),
            Err(e) => {
                let _ = write!(b, "<p class=\"error\">{}</p>", esc(&e.message));
            }
        }
    }
    page(&c, t("nav_match", l), &b)
}

/// Ranked hits with their explanation.
fn answer_html(a: &AnswerView, l: Lang) -> String {
    let mut b = format!(
        "<p class=\"why\" id=\"match-mode\" data-mode=\"{}\">{} · {}</p>",
        esc(&a.mode),
        if a.mode == "hybrid" {
            t("mode_hybrid", l)
        } else {
            t("mode_lexical", l)
        },
        esc(&a.ranking)
    );
    for n in &a.notes {
        let _ = write!(b, "<p class=\"notes\">{}</p>", esc(n));
    }
    b.push_str("<ol class=\"hits\" id=\"match-hits\">");
    for h in &a.hits {
        let href = record_href(h.record_kind, h.id as i64);
        let snippet = esc(&h.snippet)
            .replace('【', "<mark>")
            .replace('】', "</mark>");
        let mut why = format!("<li>{} {:.3}", t("relevance", l), h.relevance);
        if let Some(e) = &h.lexical {
            let _ = write!(
                why,
                " = {} +{:.3} (BM25 {:.1}, #{})",
                t("lexical", l),
                e.contribution,
                e.score,
                e.rank
            );
        }
        if let Some(e) = &h.dense {
            let _ = write!(
                why,
                " + {} +{:.3} (cos {:.3}, #{})",
                t("semantic", l),
                e.contribution,
                e.score,
                e.rank
            );
        }
        if h.absent != 0.0 {
            let _ = write!(why, " {:+.3}", h.absent);
        }
        why.push_str("</li>");
        if !h.matched_terms.is_empty() {
            let _ = write!(
                why,
                "<li>{}: {}</li>",
                t("matched_terms", l),
                esc(&h.matched_terms.join("、"))
            );
        }
        for s in &h.signals {
            if s.contribution != 0.0 || s.value.is_some() {
                let reason = if l == Lang::Zh {
                    &s.reason_zh
                } else {
                    &s.reason
                };
                let key = format!("signal_{}", s.name);
                let name = t(&key, l);
                let _ = write!(
                    why,
                    "<li class=\"signal\" data-signal=\"{}\">{} {:+.3}：{}</li>",
                    esc(s.name),
                    esc(name),
                    s.contribution,
                    esc(reason)
                );
            }
        }
        let _ = write!(
            b,
            "<li><div class=\"hit-head\"><a class=\"title\" href=\"{href}\">{}</a><span class=\"tag\">{}</span>\
             <span class=\"score\">{} {:.3}</span></div><div class=\"snippet\">{snippet}</div>\
             <div class=\"why\"><ul>{why}</ul></div></li>",
            esc(&h.label),
            esc(&h.kind),
            t("score", l),
            h.score
        );
    }
    b.push_str("</ol>");
    if a.hits.is_empty() {
        let _ = write!(b, "<p>{}</p>", t("no_results", l));
    }
    b
}

#[derive(serde::Deserialize)]
struct ListQuery {
    after: Option<i64>,
    lang: Option<String>,
}

async fn demands_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
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
    let mut b = format!(
        "<h1>{}</h1><p id=\"demand-total\">{total} {}</p>",
        t("nav_demands", l),
        t("results", l)
    );
    b.push_str(&demand_list(&items, l));
    if let Some(n) = next {
        let _ = write!(b, "<p><a href=\"/demands?after={n}\">→</a></p>");
    }
    page(&c, t("nav_demands", l), &b)
}

async fn demand_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let d = match c.viewer.demand(&state.store, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let dm = d.demand();
    let mut b = format!(
        "<h1 id=\"demand-title\">{} {}</h1><table class=\"kv\"><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>{}</th><td>{}</td></tr>",
        esc(&dm.title),
        level_tag(&dm.confidentiality.to_string(), l),
        t("owner", l),
        esc(&dm.owner),
        t("field_problem", l),
        esc(&dm.problem)
    );
    if !dm.target_metrics.is_empty() {
        let _ = write!(
            b,
            "<tr><th>{}</th><td>{}</td></tr>",
            t("metrics", l),
            esc(&dm.target_metrics.join("；"))
        );
    }
    if let Some(trl) = dm.trl_needed {
        let _ = write!(
            b,
            "<tr><th>{}</th><td>TRL {}</td></tr>",
            t("need_trl", l),
            trl.get()
        );
    }
    b.push_str("</table>");
    let _ = write!(b, "<h2>{}</h2>", t("matches_for", l));
    match api::matches_of(&state, &d, None, 10).await {
        Ok(a) => b.push_str(&answer_html(&a, l)),
        Err(e) => {
            let _ = write!(b, "<p class=\"error\">{}</p>", esc(&e.message));
        }
    }
    page(&c, &dm.title, &b)
}

fn record_table(v: &serde_json::Value) -> String {
    let mut b = String::from("<table class=\"kv\">");
    if let Some(o) = v.as_object() {
        for (k, val) in o {
            let shown = match val {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("、"),
                other => other.to_string(),
            };
            let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&shown));
        }
    }
    b.push_str("</table>");
    b
}

async fn record_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: Option<&str>,
    kind: RecordKind,
    id: i64,
) -> Response {
    let c = ctx(state, headers, lang).await;
    let l = c.lang;
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
    let title = record.label().to_string();
    let v = serde_json::to_value(&record).unwrap_or_default();
    let mut b = format!(
        "<h1 id=\"record-title\">{}</h1>{}",
        esc(&title),
        record_table(&v)
    );
    if kind == RecordKind::Outcome {
        let _ = write!(b, "<h2>{}</h2>", t("adopters", l));
        match api::adopters_for(state, id, None, 10).await {
            Ok(a) => b.push_str(&answer_html(&a, l)),
            Err(e) => {
                let _ = write!(b, "<p class=\"error\">{}</p>", esc(&e.message));
            }
        }
    }
    page(&c, &title, &b)
}

async fn outcome_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    record_page(&state, &headers, q.lang.as_deref(), RecordKind::Outcome, id).await
}

async fn organization_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    record_page(
        &state,
        &headers,
        q.lang.as_deref(),
        RecordKind::Organization,
        id,
    )
    .await
}

async fn expert_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    record_page(&state, &headers, q.lang.as_deref(), RecordKind::Person, id).await
}

fn login_html(c: &Ctx, error: Option<&str>) -> String {
    let l = c.lang;
    format!(
        "<h1>{}</h1>{}<form class=\"stack\" method=\"post\" action=\"/login\" id=\"login-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"username\">{}</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\
         <label for=\"password\">{}</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <p><button type=\"submit\">{}</button></p></form>",
        t("login_title", l),
        error.map_or(String::new(), |e| format!("<p class=\"error\" id=\"login-error\">{}</p>", esc(e))),
        esc(&c.csrf),
        t("username", l),
        t("password", l),
        t("nav_login", l)
    )
}

async fn login_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let body = login_html(&c, None);
    page(&c, t("login_title", c.lang), &body)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

async fn login_post(
    State(state): State<Arc<AppState>>,
    auth::Peer(peer): auth::Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if f.csrf != c.csrf {
        let body = login_html(&c, Some(t("csrf_failed", l)));
        return (StatusCode::FORBIDDEN, page(&c, t("login_title", l), &body)).into_response();
    }
    match auth::sign_in(&state, &headers, peer, &f.username, &f.password).await {
        Ok(session) => {
            let mut r = Redirect::to("/").into_response();
            for ck in auth::session_cookies(&state, &session.token, &session.csrf) {
                if let Ok(v) = HeaderValue::from_str(&ck) {
                    r.headers_mut().append(SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => {
            let msg = if e.status == StatusCode::TOO_MANY_REQUESTS {
                t("login_locked", l)
            } else {
                t("login_failed", l)
            };
            let body = login_html(&c, Some(msg));
            (e.status, page(&c, t("login_title", l), &body)).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        return (StatusCode::FORBIDDEN, t("csrf_failed", c.lang).to_string()).into_response();
    }
    if let Some(u) = c.viewer.user() {
        if let Err(e) = state.store.revoke_session(&u.token_hash).await {
            return crate::ApiError::from(e).into_response();
        }
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_static("sl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

fn demand_form(c: &Ctx, error: Option<&str>) -> String {
    let l = c.lang;
    let mut levels = String::new();
    for lv in ["public", "registered", "nda"] {
        let _ = write!(
            levels,
            "<option value=\"{lv}\">{}</option>",
            t(&format!("level_{lv}"), l)
        );
    }
    let mut trl = String::from("<option value=\"\">—</option>");
    for i in 1..=9 {
        let _ = write!(trl, "<option value=\"{i}\">TRL {i}</option>");
    }
    format!(
        "<h1>{}</h1><p class=\"lead\">{}</p>{}<form class=\"stack\" method=\"post\" action=\"/demands/new\" id=\"demand-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"title\">{}</label><input type=\"text\" id=\"title\" name=\"title\" maxlength=\"200\" required>\
         <label for=\"problem\">{}</label><textarea id=\"problem\" name=\"problem\" required></textarea>\
         <label for=\"metrics\">{}</label><textarea id=\"metrics\" name=\"metrics\"></textarea>\
         <div class=\"inline\"><label>{} <select name=\"confidentiality\" id=\"confidentiality\">{levels}</select></label>\
         <label>{} <select name=\"trl\" id=\"trl\">{trl}</select></label></div>\
         <p><button type=\"submit\">{}</button></p></form>",
        t("post_title", l),
        t("post_lead", l),
        error.map_or(String::new(), |e| format!("<p class=\"error\" id=\"form-error\">{}</p>", esc(e))),
        esc(&c.csrf),
        t("field_title", l),
        t("field_problem", l),
        t("field_metrics", l),
        t("field_confidentiality", l),
        t("need_trl", l),
        t("submit", l)
    )
}

async fn new_demand_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let body = match c.viewer.user() {
        None => format!(
            "<h1>{}</h1><p>{}</p>{}",
            t("post_title", l),
            t("need_login", l),
            login_html(&c, None)
        ),
        Some(u) if u.organization_id.is_none() => {
            format!(
                "<h1>{}</h1><p class=\"error\">{}</p>",
                t("post_title", l),
                t("need_org", l)
            )
        }
        Some(_) => demand_form(&c, None),
    };
    page(&c, t("post_title", l), &body)
}

#[derive(serde::Deserialize)]
struct DemandForm {
    csrf: String,
    title: String,
    problem: String,
    #[serde(default)]
    metrics: String,
    confidentiality: String,
    #[serde(default)]
    trl: String,
}

async fn new_demand_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<DemandForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if f.csrf != c.csrf {
        let body = demand_form(&c, Some(t("csrf_failed", l)));
        return (StatusCode::FORBIDDEN, page(&c, t("post_title", l), &body)).into_response();
    }
    let trl_needed = if f.trl.trim().is_empty() {
        None
    } else {
        f.trl.trim().parse().ok()
    };
    let n = api::NewDemand {
        title: f.title,
        problem: f.problem,
        confidentiality: f.confidentiality,
        target_metrics: f
            .metrics
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        keywords: vec![],
        trl_needed,
        clusters: vec![],
        deadline: None,
    };
    match api::post_demand(&state, &c.viewer, n).await {
        Ok(v) => Redirect::to(&format!("/demands/{}", v.id)).into_response(),
        Err(e) => {
            let body = demand_form(&c, Some(&e.message));
            (e.status, page(&c, t("post_title", l), &body)).into_response()
        }
    }
}
