//! Sign-in: argon2id password hashes, bearer tokens (also set as an HttpOnly cookie) known to the store
//! only by their SHA-256, sessions that expire and can be revoked, a limit on failed attempts per
//! account and address, and a double-submit CSRF check for cookie-authenticated writes.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::access::{Role, SessionUser, Viewer};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use crate::ApiJson;

pub const SESSION_COOKIE: &str = "sl_session";
pub const CSRF_COOKIE: &str = "sl_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub use engine::accounts::{hash_password, random_password, verify_password};

/// A new random secret, 32 bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a session: derived from the session's secret token, so it is bound to that
/// session (a CSRF cookie planted by another site or left from another session does not pass) and
/// needs no storage.
pub fn csrf_for(session_token: &str) -> String {
    token_hash(&format!("csrf|{session_token}"))
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The limit on failed sign-ins, per account and per address, counted in the store (see
/// `store::limits`): shared by every instance, kept across restarts, raised before the password is
/// checked so concurrent guesses are each counted.
pub struct LoginLimiter;

impl LoginLimiter {
    /// Password checks allowed per key in one window.
    pub const MAX_FAILURES: usize = 5;
    pub const WINDOW: Duration = Duration::from_secs(300);
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Resolves a token to its session user (with the grants of the user's organization).
pub async fn session_user(
    state: &AppState,
    token: &str,
    via_cookie: bool,
) -> ApiResult<Option<SessionUser>> {
    let hash = token_hash(token);
    let Some(u) = state.store.session_user(&hash, now()).await? else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&u.role) else {
        return Err(ApiError::internal(format!(
            "user {} has an unknown role {}",
            u.id, u.role
        )));
    };
    let (granted_by, nda_demands) = match u.organization_id {
        Some(org) => (
            state.store.grants_to(org).await?,
            state.store.nda_demands_of(org).await?,
        ),
        None => (vec![], vec![]),
    };
    Ok(Some(SessionUser {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        organization_id: u.organization_id,
        granted_by,
        nda_demands,
        token_hash: hash,
        via_cookie,
    }))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = ApiError;

    /// A bearer token wins over the cookie. A token that names no live session is an error (401), not
    /// an anonymous request, so a client learns its session has ended. Cookie-authenticated writes
    /// must repeat the CSRF cookie in the `X-CSRF-Token` header.
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Viewer> {
        let (token, via_cookie) = match bearer(&parts.headers) {
            Some(t) => (t, false),
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => return Ok(Viewer::anonymous()),
            },
        };
        let Some(user) = session_user(state, &token, via_cookie).await? else {
            return Err(ApiError::unauthorized(
                "the session has expired or was revoked; sign in again",
            ));
        };
        if via_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf_for(&token).as_str()) {
                return Err(ApiError::forbidden(
                    "missing or wrong X-CSRF-Token header (it must repeat the sl_csrf cookie set at sign-in)",
                ));
            }
        }
        Ok(Viewer::signed_in(user))
    }
}

/// `POST /api/v1/auth/login` body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A signed-in user as the API shows them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
}

impl From<&SessionUser> for UserView {
    fn from(u: &SessionUser) -> UserView {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            organization_id: u.organization_id,
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`; also set as the `sl_session` cookie.
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Repeat in `X-CSRF-Token` on cookie-authenticated writes (also the `sl_csrf` cookie).
    pub csrf_token: String,
    pub user: UserView,
}

/// A session just opened.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: i64,
    pub user: SessionUser,
}

/// The client's address as the server knows it: the TCP peer, or — when `trust_forwarded_for` is set
/// because a reverse proxy fronts the server — the right-most `X-Forwarded-For` entry, the one the
/// proxy itself added (entries to its left are whatever the client sent).
pub fn client_addr(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> String {
    if state.config.trust_forwarded_for {
        if let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
        {
            return last.chars().take(64).collect();
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
}

/// The TCP peer of a request, when the server was started with connection info.
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Checks the password (with the failure limit) and opens a session.
pub async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    username: &str,
    password: &str,
) -> ApiResult<NewSession> {
    let username = username.trim().to_string();
    if username.is_empty() || username.len() > 100 || password.len() > 1000 {
        return Err(ApiError::invalid(
            "give a username (at most 100 characters) and a password",
        ));
    }
    let addr = client_addr(state, headers, peer);
    let keys = [format!("user:{username}"), format!("addr:{addr}")];
    let window = LoginLimiter::WINDOW.as_secs() as i64;
    let started = now();
    // Count this attempt first: of many concurrent guesses only the first MAX_FAILURES are checked.
    let counts = state
        .store
        .reserve_login_attempt(&keys, started, window)
        .await?;
    if let Some(wait) = counts
        .iter()
        .filter(|c| c.failures > LoginLimiter::MAX_FAILURES as i64)
        .map(|c| (c.window_start + window - started).max(1))
        .max()
    {
        return Err(ApiError::new(
            Code::RateLimited,
            format!("too many failed sign-ins; try again in {wait} s"),
        )
        .retry_after(wait as u64));
    }
    let user = state.store.user_by_name(&username).await?;
    // Verify against a fixed hash when the user is unknown, so timing does not reveal which names exist.
    // argon2 is deliberately slow: it runs on the blocking pool, not on the threads serving requests.
    let (hash, real) = match &user {
        Some(u) if u.disabled == 0 => (u.password_hash.clone(), true),
        _ => (state.dummy_hash.clone(), false),
    };
    let password_owned = password.to_string();
    let verified = state
        .cpu
        .run(move || verify_password(&password_owned, &hash))
        .await?;
    let ok = real && verified;
    let Some(user) = user.filter(|_| ok) else {
        // The reserved attempt stays counted as a failure.
        tracing::info!(username = %username, "sign-in failed");
        return Err(ApiError::unauthorized("wrong username or password"));
    };
    // The right password: give the reservation back (other accounts' failures from this address
    // stay counted) and start this account afresh.
    state.store.release_login_attempt(&keys).await?;
    state.store.clear_login_limit(&keys[0]).await?;
    let token = random_token();
    let csrf = csrf_for(&token);
    let now = now();
    let expires_at = now + state.config.session_ttl_secs;
    state
        .store
        .create_session(&token_hash(&token), user.id, now, expires_at)
        .await?;
    let session = session_user(state, &token, false)
        .await?
        .ok_or_else(|| ApiError::internal("a session just made is not found"))?;
    tracing::info!(user = %user.username, "signed in");
    Ok(NewSession {
        token,
        csrf,
        expires_at,
        user: session,
    })
}

/// The `Set-Cookie` values of a new session: the HttpOnly session cookie and the CSRF cookie.
pub fn session_cookies(state: &AppState, token: &str, csrf: &str) -> Vec<String> {
    let max_age = state.config.session_ttl_secs;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    vec![
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"),
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}"),
    ]
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let s = sign_in(&state, &headers, peer, &req.username, &req.password).await?;
    let body = LoginResponse {
        token: s.token.clone(),
        expires_at: s.expires_at,
        csrf_token: s.csrf.clone(),
        user: UserView::from(&s.user),
    };
    let mut r = axum::Json(body).into_response();
    for c in session_cookies(&state, &s.token, &s.csrf) {
        r.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_str(&c).map_err(ApiError::internal)?,
        );
    }
    Ok(r)
}

/// Ends the current session (the token stops working at once).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<Arc<AppState>>, viewer: Viewer) -> ApiResult<Response> {
    let Some(u) = viewer.user() else {
        return Err(ApiError::unauthorized("not signed in"));
    };
    state.store.revoke_session(&u.token_hash).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    for c in [
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        format!("{CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0"),
    ] {
        r.headers_mut().append(
            SET_COOKIE,
            HeaderValue::from_str(&c).map_err(ApiError::internal)?,
        );
    }
    Ok(r)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(viewer: Viewer) -> ApiResult<axum::Json<UserView>> {
    match viewer.user() {
        Some(u) => Ok(axum::Json(UserView::from(u))),
        None => Err(ApiError::unauthorized("not signed in")),
    }
}
