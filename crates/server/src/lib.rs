//! The web platform: the REST API under `/api/v1` (documented by the OpenAPI document it serves at
//! `/api/v1/openapi.json`), sign-in and roles, confidentiality on every path, `/healthz`, `/metrics`,
//! and the background embedding that turns hybrid matching on once the registry's vectors exist.

pub mod access;
pub mod api;
pub mod auth;
pub mod caps;
pub mod chains;
pub mod challenge_extras;
pub mod challenges;
pub mod claims;
pub mod conversion;
pub mod cpu;
pub mod credit;
pub mod deliver;
pub mod embed;
pub mod engagements;
pub mod error;
pub mod metrics;
pub mod nda;
pub mod openapi;
pub mod platforms;
pub mod search_api;
pub mod state;
pub mod tiers;
pub mod web;

use crate::error::Code;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequest, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use access::{Role, Viewer};
pub use error::{ApiError, ApiResult};
pub use state::{AppState, ServerConfig};

/// A JSON body whose rejections (malformed JSON, wrong types, wrong content type, too large) are
/// answered in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::new(
                Code::InvalidJson,
                format!("the JSON does not fit: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::invalid(format!(
                "malformed JSON: {}",
                e.body_text()
            ))),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                Code::TooLarge,
                "the request body is too large",
            )),
            Err(e) => Err(ApiError::invalid(e.body_text())),
        }
    }
}

/// A path parameter whose rejection is answered in the API's error shape.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::invalid(format!("bad path parameter: {}", e.body_text())))
    }
}

/// Query parameters whose rejection is answered in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))
    }
}

/// The whole application: API, health, metrics, with security headers, a body limit and metrics on
/// every route.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route(
            "/auth/me/contact",
            axum::routing::put(engagements::put_contact),
        )
        .route("/search", get(search_api::search))
        .route("/match", post(api::match_need))
        .route("/status", get(api::status))
        .route(
            "/outcomes",
            get(api::list_outcomes).post(api::create_outcome),
        )
        .route("/outcomes/{id}", get(api::get_outcome))
        .route("/outcomes/{id}/adopters", get(api::outcome_adopters))
        .route("/demands", get(api::list_demands).post(api::create_demand))
        .route(
            "/demands/{id}",
            get(api::get_demand).put(api::update_demand),
        )
        .route("/demands/{id}/matches", get(api::demand_matches))
        .route("/organizations", get(api::list_organizations))
        .route("/organizations/{id}", get(api::get_organization))
        .route("/experts", get(api::list_experts))
        .route("/experts/{id}", get(api::get_expert))
        .route("/chains", get(chains::list_chains))
        .route("/chains/overrides", post(chains::put_override))
        .route("/chains/{cluster}/gaps", get(chains::cluster_gaps))
        .route("/chains/nodes/{id}/fillers", get(chains::node_fillers))
        .route("/tiers/evaluate", post(tiers::evaluate))
        .route("/tiers/funnel", get(tiers::funnel))
        .route("/tiers/funnel/members", get(tiers::funnel_members))
        .route("/profiles", post(tiers::put_profiles))
        .route("/profiles/{uscc}", get(tiers::get_profile))
        .route(
            "/profiles/{uscc}/assessor",
            axum::routing::put(tiers::put_assessor),
        )
        .route("/claims", get(claims::list_claims).post(claims::file_claim))
        .route("/claims/{id}/decision", post(claims::decide_claim))
        .route("/credit/score", post(credit::score))
        .route("/credit/evaluations", get(credit::evaluations))
        .route("/credit/evaluations/{id}", get(credit::evaluation))
        .route("/credit/simulate", post(credit::simulate))
        .route(
            "/engagements",
            get(engagements::list).post(engagements::open),
        )
        .route("/engagements/stalled", get(engagements::stalled))
        .route("/engagements/outcomes", get(engagements::losses))
        .route("/engagements/{id}", get(engagements::show))
        .route(
            "/engagements/{id}/transitions",
            post(engagements::transition),
        )
        .route("/engagements/{id}/nda", post(engagements::sign_nda))
        .route("/engagements/{id}/broker", post(engagements::assign_broker))
        .route(
            "/engagements/{id}/brokers",
            get(engagements::propose_brokers),
        )
        .route("/demands/{id}/nda-signatures", get(nda::signatures))
        .route(
            "/demands/{id}/nda-text",
            axum::routing::put(nda::put_nda_text),
        )
        .route("/nda-signatures/{id}/revoke", post(nda::revoke_signature))
        .route("/inbox", get(engagements::inbox))
        .route("/inbox/read", post(engagements::mark_read))
        .route("/contracts", get(engagements::contracts))
        .route("/brokers/me", axum::routing::put(engagements::put_broker))
        .route(
            "/brokers/{id}/performance",
            get(engagements::broker_performance),
        )
        .route(
            "/organizations/me/webhook",
            axum::routing::put(engagements::put_webhook),
        )
        .route(
            "/challenges",
            get(challenges::list).post(challenges::create),
        )
        .route(
            "/challenges/{id}",
            get(challenges::show).put(challenges::edit),
        )
        .route("/challenges/{id}/transitions", post(challenges::transition))
        .route("/challenges/{id}/applications", post(challenges::apply))
        .route(
            "/challenges/{id}/reviewers",
            post(challenges::assign_reviewer),
        )
        .route(
            "/challenges/{id}/reviewers/{user}",
            axum::routing::delete(challenges::remove_reviewer),
        )
        .route("/challenges/{id}/recusal", post(challenges::recuse))
        .route("/challenges/{id}/objections", post(challenges::object))
        .route(
            "/challenges/{id}/objections/{objection}/resolution",
            post(challenges::resolve),
        )
        .route(
            "/challenges/{id}/milestones",
            post(challenges::set_milestones),
        )
        .route(
            "/challenges/{id}/milestones/{milestone}/report",
            post(challenges::report),
        )
        .route(
            "/challenges/{id}/milestones/{milestone}/decision",
            post(challenges::decide),
        )
        .route("/challenges/{id}/market", post(challenges::market))
        .route(
            "/challenges/{id}/evidence",
            post(challenge_extras::add_evidence).layer(axum::extract::DefaultBodyLimit::max(
                state.board.settings.evidence_max_bytes + 1024,
            )),
        )
        .route(
            "/challenges/{id}/candidates",
            get(challenge_extras::candidates),
        )
        .route(
            "/challenges/{id}/invitations",
            post(challenge_extras::invite),
        )
        .route(
            "/scenarios",
            get(challenges::list_scenarios).post(challenges::create_scenario),
        )
        .route("/scenarios/{id}", get(challenges::show_scenario))
        .route(
            "/applications/{id}",
            axum::routing::put(challenges::edit_application),
        )
        .route("/applications/{id}/withdraw", post(challenges::withdraw))
        .route("/applications/{id}/confirm", post(challenges::confirm))
        .route("/applications/{id}/scores", post(challenges::score))
        .route("/evidence/{id}", get(challenge_extras::evidence))
        .route("/platforms", get(platforms::search))
        .route("/platforms/{id}", get(platforms::show).put(platforms::edit))
        .route("/platforms/{id}/equipment", post(platforms::save_equipment))
        .route("/platforms/{id}/utilisation", get(platforms::utilisation))
        .route("/platforms/{id}/queue", get(platforms::queue))
        .route("/equipment/{id}/slots", get(platforms::slots))
        .route("/bookings", get(platforms::mine).post(platforms::book))
        .route("/bookings/{id}", get(platforms::show_booking))
        .route("/bookings/{id}/transitions", post(platforms::transition))
        .route("/poc/seeds", get(conversion::seeds))
        .route("/poc/seeds/{outcome}/selection", post(conversion::select))
        .route(
            "/poc/applications",
            get(conversion::applications).post(conversion::send),
        )
        .route("/poc/applications/{id}/decision", post(conversion::decide))
        .route(
            "/ip/filings",
            get(conversion::filings).post(conversion::add_filing),
        )
        .route("/ip/filings/{id}", get(conversion::filing))
        .route(
            "/ip/filings/{id}/transitions",
            post(conversion::move_filing),
        )
        .route("/ip/grant-times", get(conversion::grant_times))
        .route("/outcomes/{id}/path", get(conversion::path))
        .route("/openapi.json", get(openapi::document));
    let api = if state.config.test_clock {
        api.route("/test/clock", post(challenge_extras::test_clock))
    } else {
        api
    };
    Router::new()
        .nest("/api/v1", api)
        .merge(web::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such path; the API is documented at /api/v1/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        "this path does not take that method; see /api/v1/openapi.json",
    )
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.outbox_head().await {
        Ok(_) => axum::Json(Health {
            status: "ok",
            store: state.store.backend_name(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Health {
                    status: "unavailable",
                    store: state.store.backend_name(),
                }),
            )
                .into_response()
        }
    }
}

async fn metrics_text(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&state.config.metrics_token, sent) {
        (Some(want), Some(got)) if !want.is_empty() && auth::token_hash(want) == auth::token_hash(got) => {}
        (None, _) => {
            return ApiError::not_found(
                "metrics are off: set metrics_token in the server settings (or SHUANGLIAN_METRICS_TOKEN) and send it as a bearer token",
            )
            .into_response()
        }
        _ => return ApiError::unauthorized("send the metrics token as `Authorization: Bearer …`").into_response(),
    }
    let mut out = String::new();
    state.metrics.render(&mut out);
    {
        let engines = state.engines.read().await;
        metrics::gauge(
            &mut out,
            "shuanglian_vector_index_items",
            "Items in the vector index.",
            engines.vectors.as_ref().map_or(0, |v| v.len()) as f64,
        );
        metrics::gauge(
            &mut out,
            "shuanglian_lexical_index_items",
            "Items in the lexical index.",
            engines.lexical.len() as f64,
        );
    }
    let e = &state.embedding;
    metrics::gauge(
        &mut out,
        "shuanglian_embedding_done",
        "Records seen by the background embedding.",
        e.done.load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    metrics::gauge(
        &mut out,
        "shuanglian_embedding_total",
        "Records the background embedding has to see.",
        e.total.load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        out,
    )
        .into_response()
}

/// Counts and times every request by its route template (not its raw path, which would let a client
/// grow the series without bound).
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // A fixed set of methods: a client may send any token as a method, which must not add series.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "OTHER",
    }
    .to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    // One id per request: on every log line of the request (a span), in the `X-Request-Id` header,
    // and in the message of a 500, so a user's report finds the logged cause.
    let id = error::new_request_id();
    let span = tracing::info_span!("request", id = %id, %method, %route);
    let mut response = error::REQUEST_ID
        .scope(
            id.clone(),
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.observe(&method, &route, status, took);
    span.in_scope(|| {
        tracing::info!(status, ms = took.as_secs_f64() * 1000.0, "request");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn security_headers(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    for (k, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(state: Arc<AppState>, addr: SocketAddr) -> std::io::Result<()> {
    serve_listener(state, tokio::net::TcpListener::bind(addr).await?).await
}

/// As [`serve`], on a listener already bound (port 0 in tests).
pub async fn serve_listener(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "serving");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
