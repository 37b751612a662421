//! Signing in and out.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{ctx, respond, t, Ctx, Frame, LangParam, MessagePage};
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
