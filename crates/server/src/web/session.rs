//! Signing in and out, and posting a demand from the web form.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{ctx, respond, t, Choice, Ctx, Frame, LangParam, MessagePage};
use crate::api;
use crate::auth;
use crate::state::AppState;
use crate::ApiQuery;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    error: Option<String>,
}

fn login(c: &Ctx, status: StatusCode, error: Option<&str>) -> Response {
    let page = LoginPage {
        f: c.frame(t("login_title", c.lang)),
        error: error.map(str::to_string),
    };
    respond(c, status, &page)
}

pub(super) async fn login_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    login(&c, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub(super) async fn login_post(
    State(state): State<Arc<AppState>>,
    auth::Peer(peer): auth::Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if f.csrf != c.csrf {
        return login(&c, StatusCode::FORBIDDEN, Some(t("csrf_failed", l)));
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
            login(&c, e.status, Some(msg))
        }
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        return MessagePage::new(&c, "403", t("csrf_failed", c.lang))
            .respond(&c, StatusCode::FORBIDDEN);
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

/// The demand form, holding what was typed when it comes back with an error.
#[derive(Template)]
#[template(path = "demand_form.html")]
struct DemandFormPage {
    f: Frame,
    error: Option<String>,
    title: String,
    problem: String,
    metrics: String,
    levels: Vec<Choice>,
    trls: Vec<Choice>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DemandForm {
    csrf: String,
    title: String,
    problem: String,
    #[serde(default)]
    metrics: String,
    confidentiality: String,
    #[serde(default)]
    trl: String,
}

fn demand_form(c: &Ctx, status: StatusCode, typed: &DemandForm, error: Option<&str>) -> Response {
    let l = c.lang;
    // A new need starts at the most protective level; the poster opens it up on purpose.
    let level = Some(typed.confidentiality.as_str())
        .filter(|s| !s.is_empty())
        .or(Some("nda"));
    let page = DemandFormPage {
        f: c.frame(t("post_title", l)),
        error: error.map(str::to_string),
        title: typed.title.clone(),
        problem: typed.problem.clone(),
        metrics: typed.metrics.clone(),
        levels: Choice::coded(l, "level_", &["nda", "registered", "public"], level),
        trls: Choice::trl(typed.trl.trim().parse().ok()),
    };
    respond(c, status, &page)
}

pub(super) async fn new_demand_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    match c.viewer.user() {
        None => MessagePage::sign_in(&c, t("post_title", l), t("need_login", l))
            .respond(&c, StatusCode::OK),
        Some(u) if u.organization_id.is_none() => {
            MessagePage::new(&c, t("post_title", l), t("need_org", l)).respond(&c, StatusCode::OK)
        }
        Some(_) => demand_form(&c, StatusCode::OK, &DemandForm::default(), None),
    }
}

pub(super) async fn new_demand_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<DemandForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        return demand_form(
            &c,
            StatusCode::FORBIDDEN,
            &f,
            Some(t("csrf_failed", c.lang)),
        );
    }
    let trl_needed = if f.trl.trim().is_empty() {
        None
    } else {
        f.trl.trim().parse().ok()
    };
    let n = api::NewDemand {
        title: f.title.clone(),
        problem: f.problem.clone(),
        confidentiality: f.confidentiality.clone(),
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
        Err(e) => demand_form(&c, e.status, &f, Some(&e.message)),
    }
}
