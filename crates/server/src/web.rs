//! The web UI: server-rendered pages, Chinese by default with an English switch (`?lang=en`, kept in
//! a cookie), light JavaScript for progress only, assets compiled into the binary. Pages read through
//! the same checks as the API (`Viewer`, `VisibleDemand`), so the UI cannot show what the API hides.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::access::Viewer;
use crate::auth::{self, cookie, CSRF_COOKIE, SESSION_COOKIE};
use crate::state::AppState;

mod admin;
mod bookings;
mod broker_pages;
mod chains;
mod challenge_form;
mod challenge_input;
mod challenge_posts;
mod challenges;
mod conversion;
mod credit;
mod deal_form;
mod deal_posts;
mod deals;
mod demand_form;
mod demands;
mod desk_pages;
mod format;
mod funnel;
mod import;
mod labels;
mod pages;
mod platform_form;
mod platforms;
mod records;
mod session;
mod tiers;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const CHAINS_JS: &str = include_str!("../assets/chains.js");
const TIERS_JS: &str = include_str!("../assets/tiers.js");
const ECHARTS_JS: &str = include_str!("../assets/vendor/echarts.min.js");
const FAVICON: &str = include_str!("../assets/favicon.svg");
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

/// What every page knows of its request: language, viewer, CSRF token, cookies to set.
struct Ctx {
    lang: Lang,
    viewer: Viewer,
    /// The signed-in user's organization, by name (the header shows who acts).
    org_name: Option<String>,
    /// Unread notifications of the signed-in user (the header's inbox link shows them).
    unread: i64,
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
    let mut org_name = None;
    let mut unread = 0;
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if let Ok(Some(u)) = auth::session_user(state, &token, true).await {
            unread = state.store.unread(u.id).await.unwrap_or(0);
            if let Some(org) = u.organization_id {
                if let Ok(Some(s)) = state.store.get(model::RecordKind::Organization, org).await {
                    org_name = Some(s.record.label().to_string());
                }
            }
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
        org_name,
        unread,
        csrf,
        set_cookies,
    }
}

/// What the page frame (`templates/layout.html`) shows: language, title, who is signed in, and the
/// CSRF token of the sign-out form. Every page template has one as `f`, and reads its UI strings
/// through it, so a page cannot show a string outside the i18n data without it being visible here.
pub(crate) struct Frame {
    lang: Lang,
    pub title: String,
    pub user: Option<String>,
    /// The signed-in user's organization, shown before the user's name.
    pub org: Option<String>,
    /// The menu this viewer's role uses: (path, label key).
    pub nav: Vec<(&'static str, &'static str)>,
    /// Unread notifications (signed in).
    pub unread: i64,
    pub csrf: String,
}

impl Frame {
    /// The UI string `key`.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        t(key, self.lang)
    }
    /// The UI string of a code: `tk("level_", "nda")` reads `level_nda`.
    pub fn tk(&self, prefix: &str, code: &str) -> String {
        t(&format!("{prefix}{code}"), self.lang).to_string()
    }
    /// An amount kept in integer fen, in the page's words.
    pub fn fen(&self, amount: &i64) -> String {
        format::fen(*amount, self.lang)
    }
    /// A Unix time in China time.
    pub fn time(&self, unix: &i64) -> String {
        format::china_time(*unix)
    }
    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    /// `zh` or `en`.
    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
}

/// One `<option>` of a select.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// Options for `values`, labelled by the UI strings `{prefix}{value}`, `chosen` selected.
    fn coded(l: Lang, prefix: &str, values: &[&str], chosen: Option<&str>) -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: v.to_string(),
                label: t(&format!("{prefix}{v}"), l).to_string(),
                selected: chosen == Some(*v),
            })
            .collect()
    }
    /// An empty choice, then TRL 1–9.
    fn trl(chosen: Option<u8>) -> Vec<Choice> {
        std::iter::once(Choice {
            value: String::new(),
            label: "—".into(),
            selected: chosen.is_none(),
        })
        .chain((1..=9u8).map(|i| Choice {
            value: i.to_string(),
            label: format!("TRL {i}"),
            selected: chosen == Some(i),
        }))
        .collect()
    }
}

/// The menu of a viewer: what everyone reads, then the pages of the viewer's role. Each entry
/// leads somewhere the role may go, so no menu item ends in a refusal.
fn menu(v: &Viewer) -> Vec<(&'static str, &'static str)> {
    use crate::access::Role;
    let mut m = vec![
        ("/", "nav_home"),
        ("/search", "nav_search"),
        ("/match", "nav_match"),
        ("/demands", "nav_demands"),
    ];
    let role = v.user().map(|u| u.role);
    if matches!(
        role,
        Some(Role::Enterprise | Role::Institution | Role::PlatformOperator | Role::Admin)
    ) {
        m.push(("/demands/new", "nav_post"));
    }
    m.push(("/chains", "nav_chains"));
    m.push(("/challenges", "nav_challenges"));
    m.push(("/platforms", "nav_platforms"));
    if v.is_official() {
        m.push(("/tiers", "nav_tiers"));
    } else if role == Some(Role::Enterprise) {
        m.push(("/tiers/whatif", "nav_tiers_own"));
    }
    if v.is_official() || v.is_financier() || role == Some(Role::Enterprise) {
        m.push(("/credit", "nav_credit"));
    }
    if matches!(
        role,
        Some(
            Role::Enterprise
                | Role::Institution
                | Role::Broker
                | Role::PlatformOperator
                | Role::Admin
        )
    ) {
        m.push(("/engagements", "nav_engagements"));
    } else if role == Some(Role::Government) {
        m.push(("/contracts", "nav_contracts"));
        m.push(("/brokers", "nav_brokers"));
    }
    if v.is_operator() {
        m.push(("/admin/accounts", "nav_admin"));
    }
    m
}

impl Ctx {
    fn frame(&self, title: &str) -> Frame {
        Frame {
            lang: self.lang,
            title: title.to_string(),
            user: self.viewer.user().map(|u| u.display_name.clone()),
            org: self.org_name.clone(),
            nav: menu(&self.viewer),
            unread: self.unread,
            csrf: self.csrf.clone(),
        }
    }
}

/// Renders a page template with `status` and the context's cookies. A template that fails to
/// render is a server fault: 500, logged with the request id.
fn respond(c: &Ctx, status: StatusCode, page: &impl askama::Template) -> Response {
    let mut r = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            return crate::ApiError::internal(format!("page template: {e}")).into_response();
        }
    };
    for ck in &c.set_cookies {
        if let Ok(v) = HeaderValue::from_str(ck) {
            r.headers_mut().append(SET_COOKIE, v);
        }
    }
    r
}

/// A page of a heading and one line: notices, refusals, failures.
#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage {
    f: Frame,
    heading: String,
    message: Option<String>,
    error: bool,
    link: Option<(String, String)>,
    login: bool,
}

impl MessagePage {
    fn new(c: &Ctx, heading: &str, message: &str) -> MessagePage {
        MessagePage {
            f: c.frame(heading),
            heading: heading.to_string(),
            message: Some(message.to_string()),
            error: true,
            link: None,
            login: false,
        }
    }
    /// The sign-in form under `heading`, with why it is asked for.
    fn sign_in(c: &Ctx, heading: &str, why: &str) -> MessagePage {
        MessagePage {
            error: false,
            login: true,
            ..MessagePage::new(c, heading, why)
        }
    }
    fn link(mut self, href: &str, label: &str) -> MessagePage {
        self.link = Some((href.to_string(), label.to_string()));
        self
    }
    fn plain(mut self) -> MessagePage {
        self.error = false;
        self
    }
    fn respond(&self, c: &Ctx, status: StatusCode) -> Response {
        respond(c, status, self)
    }
}

fn not_found_page(c: &Ctx) -> Response {
    MessagePage::new(c, "404", t("not_found", c.lang))
        .plain()
        .respond(c, StatusCode::NOT_FOUND)
}

/// The sign-in form for a page that needs it, or a 403 page for a viewer without `allowed`.
fn gate(c: &Ctx, heading: &str, allowed: bool, refusal_key: &str) -> Option<Response> {
    let l = c.lang;
    if c.viewer.user().is_none() {
        return Some(
            MessagePage::sign_in(c, heading, t("need_login", l)).respond(c, StatusCode::OK),
        );
    }
    if !allowed {
        return Some(
            MessagePage::new(c, "403", t(refusal_key, l))
                .plain()
                .respond(c, StatusCode::FORBIDDEN),
        );
    }
    None
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .merge(platforms::routes())
        .merge(conversion::routes())
        .route("/", get(pages::home))
        .route("/search", get(pages::search_page))
        .route("/match", get(pages::match_page))
        .route("/demands", get(demands::demands_page))
        .route(
            "/demands/new",
            get(demand_form::new_demand_form).post(demand_form::new_demand_post),
        )
        .route(
            "/demands/{id}/edit",
            get(demand_form::edit_form).post(demand_form::edit_post),
        )
        .route(
            "/demands/{id}/close",
            axum::routing::post(demand_form::close_post),
        )
        .route("/demands/{id}", get(demands::demand_page))
        .route("/outcomes/{id}", get(records::outcome_page))
        .route("/organizations/{id}", get(records::organization_page))
        .route("/experts/{id}", get(records::expert_page))
        .route("/credit", get(credit::list_page))
        .route("/credit/{uscc}", get(credit::detail_page))
        .route(
            "/credit/{uscc}/score",
            axum::routing::post(credit::score_post),
        )
        .route("/tiers", get(funnel::funnel_page))
        .route("/tiers/list", get(funnel::list_page))
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
        .route("/challenges", get(challenges::list_page))
        .route(
            "/challenges/new",
            get(challenge_form::new_form).post(challenge_posts::create_post),
        )
        .route("/challenges/{id}", get(challenges::detail_page))
        .route(
            "/challenges/{id}/edit",
            get(challenge_form::edit_form).post(challenge_posts::edit_post),
        )
        .route(
            "/challenges/{id}/do",
            axum::routing::post(challenge_posts::act_post),
        )
        .route(
            "/challenges/{id}/evidence",
            axum::routing::post(challenge_posts::evidence_post)
                .layer(axum::extract::DefaultBodyLimit::max(11 * 1024 * 1024)),
        )
        .route(
            "/challenges/evidence/{id}",
            get(challenge_posts::evidence_get),
        )
        .route("/engagements", get(deals::board))
        .route(
            "/engagements/new",
            get(deal_form::open_form).post(deal_form::open_post),
        )
        .route("/engagements/stalled", get(desk_pages::stalled))
        .route("/engagements/{id}", get(deals::detail))
        .route(
            "/engagements/{id}/move",
            axum::routing::post(deal_posts::move_post),
        )
        .route(
            "/engagements/{id}/sign",
            axum::routing::post(deal_posts::sign_post),
        )
        .route(
            "/engagements/{id}/broker",
            axum::routing::post(deal_posts::broker_post),
        )
        .route("/inbox", get(desk_pages::inbox))
        .route("/inbox/read", axum::routing::post(desk_pages::inbox_read))
        .route(
            "/inbox/channels",
            axum::routing::post(desk_pages::inbox_channels),
        )
        .route("/contracts", get(desk_pages::contracts))
        .route("/brokers", get(broker_pages::brokers))
        .route(
            "/brokers/me",
            get(broker_pages::broker_me).post(broker_pages::broker_post),
        )
        .route("/brokers/{id}", get(broker_pages::broker_record))
        .route("/login", get(session::login_form).post(session::login_post))
        .route("/logout", axum::routing::post(session::logout_post))
        .route("/assets/app.css", get(|| async { asset("text/css", CSS) }))
        .route(
            "/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript", JS) }),
        )
        .route(
            "/assets/tiers.js",
            get(|| async { asset("text/javascript", TIERS_JS) }),
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
