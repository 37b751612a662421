//! The accounts page for platform operators and admins: users of organizations (create, disable,
//! enable, reset a password) and grants of NDA access, through the same engine use cases as
//! `shuanglian user` / `shuanglian grant`. Rendered from an askama template (escaped automatically).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{ctx, respond, t, Ctx, Frame, Lang, LangParam};
use crate::state::AppState;
use crate::ApiQuery;

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    f: Frame,
    users: Vec<engine::accounts::Account>,
    grants: Vec<engine::accounts::GrantView>,
    roles: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// Admins and platform operators manage accounts; anyone else is asked to sign in or refused.
fn gate(c: &Ctx) -> Option<Response> {
    super::gate(
        c,
        t("acc_title", c.lang),
        c.viewer.is_operator(),
        "acc_operators_only",
    )
}

fn actor(c: &Ctx) -> String {
    format!(
        "web:{}",
        c.viewer.user().map_or("", |u| u.username.as_str())
    )
}

/// The error's message for a person: input errors as written, anything else as a generic failure.
fn message(e: engine::EngineError, l: Lang) -> String {
    match e {
        engine::EngineError::Input(m) | engine::EngineError::NotFound(m) => m,
        other => {
            tracing::error!(error = %other, "account change failed");
            t("import_failed", l).to_string()
        }
    }
}

/// The page context of a form post from someone allowed here with the right CSRF token, or the
/// answer to give instead.
async fn checked(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Ctx, Response> {
    let c = ctx(state, headers, None).await;
    if let Some(r) = gate(&c) {
        return Err(r);
    }
    if csrf != c.csrf {
        let l = c.lang;
        return Err(render(state, &c, None, Some(t("csrf_failed", l).into())).await);
    }
    Ok(c)
}

async fn render(
    state: &AppState,
    c: &Ctx,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let l = c.lang;
    let (users, grants) = match (
        engine::accounts::list_users(&state.store).await,
        engine::accounts::grants(&state.store).await,
    ) {
        (Ok(u), Ok(g)) => (u, g),
        (Err(e), _) | (_, Err(e)) => return crate::ApiError::from(e).into_response(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AccountsPage {
        f: c.frame(t("acc_title", l)),
        users,
        grants,
        roles: engine::accounts::ROLES
            .iter()
            .map(|r| (r.to_string(), t(&format!("role_{r}"), l).to_string()))
            .collect(),
        notice,
        error,
    };
    respond(c, status, &page)
}

pub(super) async fn accounts_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    if let Some(r) = gate(&c) {
        return r;
    }
    render(&state, &c, None, None).await
}

#[derive(serde::Deserialize)]
pub(super) struct NewUserForm {
    csrf: String,
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn add_user(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<NewUserForm>,
) -> Response {
    let c = match checked(&state, &headers, &f.csrf).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = c.lang;
    // Only an admin makes admins.
    if f.role == "admin" && !c.viewer.is_admin() {
        return render(&state, &c, None, Some(t("admin_only", l).into())).await;
    }
    let account = engine::accounts::NewAccount {
        username: &f.username,
        display_name: &f.display_name,
        role: &f.role,
        organization: Some(f.organization.as_str()).filter(|o| !o.trim().is_empty()),
        password: Some(f.password.as_str()).filter(|p| !p.is_empty()),
    };
    match engine::accounts::add_user(&state.store, &account, false, &actor(&c)).await {
        Ok((_, made)) => {
            let mut notice = format!("{}: {}", t("acc_created", l), f.username.trim());
            if let Some(p) = made {
                notice.push_str(&format!(" — {}: {p}", t("acc_new_password", l)));
            }
            render(&state, &c, Some(notice), None).await
        }
        Err(e) => render(&state, &c, None, Some(message(e, l))).await,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct UserActionForm {
    csrf: String,
    username: String,
    action: String,
}

pub(super) async fn user_action(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<UserActionForm>,
) -> Response {
    let c = match checked(&state, &headers, &f.csrf).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = c.lang;
    // An operator does not act on admins' accounts.
    if !c.viewer.is_admin() {
        if let Ok(Some(u)) = state.store.user_by_name(f.username.trim()).await {
            if u.role == "admin" {
                return render(&state, &c, None, Some(t("admin_only", l).into())).await;
            }
        }
    }
    let who = actor(&c);
    let done = match f.action.as_str() {
        "disable" | "enable" => {
            let disable = f.action == "disable";
            engine::accounts::set_disabled(&state.store, &f.username, disable, &who)
                .await
                .map(|()| {
                    t(
                        if disable {
                            "acc_done_disable"
                        } else {
                            "acc_done_enable"
                        },
                        l,
                    )
                    .to_string()
                })
        }
        "reset" => engine::accounts::reset_password(&state.store, &f.username, None, &who)
            .await
            .map(|made| {
                format!(
                    "{}: {} — {}: {}",
                    t("acc_done_reset", l),
                    f.username,
                    t("acc_new_password", l),
                    made.unwrap_or_default()
                )
            }),
        other => Err(engine::EngineError::Input(format!("action '{other}'"))),
    };
    match done {
        Ok(notice) => render(&state, &c, Some(notice), None).await,
        Err(e) => render(&state, &c, None, Some(message(e, l))).await,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct GrantForm {
    csrf: String,
    owner: String,
    grantee: String,
    action: String,
}

pub(super) async fn grant_action(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<GrantForm>,
) -> Response {
    let c = match checked(&state, &headers, &f.csrf).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = c.lang;
    let who = actor(&c);
    let done = match f.action.as_str() {
        "grant" => engine::accounts::grant(&state.store, &f.owner, &f.grantee, &who)
            .await
            .map(|()| t("acc_done_grant", l).to_string()),
        "revoke" => engine::accounts::revoke(&state.store, &f.owner, &f.grantee, &who)
            .await
            .map(|was| {
                t(
                    if was {
                        "acc_done_revoke"
                    } else {
                        "acc_nothing"
                    },
                    l,
                )
                .to_string()
            }),
        other => Err(engine::EngineError::Input(format!("action '{other}'"))),
    };
    match done {
        Ok(notice) => render(&state, &c, Some(notice), None).await,
        Err(e) => render(&state, &c, None, Some(message(e, l))).await,
    }
}
