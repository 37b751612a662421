//! The pilot-platform API: the resource library (capability search with typed parameter filters,
//! one entry, its staff's edits and equipment), a machine's calendar, bookings and their moves (409
//! with the taken period only), a platform's queue and its utilisation per month. Each handler turns
//! the viewer into an engine actor and calls one library use case; rights are the library's.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::pilot::booking::{
    BookingFace, BookingInput, BookingMoveInput, BookingResult, Slots, UtilisationFace,
};
use engine::pilot::{
    EquipmentFace, EquipmentInput, PlatformFace, PlatformHit, PlatformInput, PlatformQuery,
};

use crate::access::Viewer;
use crate::challenges::{actor, maybe_actor};
use crate::error::{ApiResult, ErrorBody, ErrorDetail};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// `GET /api/v1/platforms` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words, Chinese or English (at most 200 characters).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Typed capability filters separated by `;`: `最高温度>=300°C;容积>=0.5m3` (units convert:
    /// °C/K/°F, L/m³, MPa/bar/kPa …; see data/pilot/parameters.toml).
    #[param(max_length = 1000)]
    pub filter: Option<String>,
    /// Qualifications all required, separated by `,`: `CNAS,CMA`.
    #[param(max_length = 500)]
    pub qualification: Option<String>,
    /// The TRL span to cover: platforms taking work in at or below `trl_from` …
    #[param(minimum = 1, maximum = 9)]
    pub trl_from: Option<i64>,
    /// … and bringing it to at least `trl_to`.
    #[param(minimum = 1, maximum = 9)]
    pub trl_to: Option<i64>,
    /// `poc_centre`, `pilot_platform` or `pilot_base`.
    #[param(pattern = "^(poc_centre|pilot_platform|pilot_base)$")]
    pub kind: Option<String>,
    /// `local` (Chongqing), `alliance` (Chongqing and alliance members) or `all` (default).
    #[param(pattern = "^(local|alliance|all)$")]
    pub scope: Option<String>,
    /// One of the six MIIT fields.
    pub field: Option<String>,
    /// A 33618 cluster code.
    pub cluster: Option<String>,
    /// A service type.
    pub service: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl SearchParams {
    pub fn query(self) -> ApiResult<PlatformQuery> {
        let limit = match self.limit {
            None => None,
            Some(n @ 1..=200) => Some(n as usize),
            Some(_) => return Err(crate::ApiError::invalid("limit: give 1 to 200")),
        };
        let split = |s: Option<String>, sep: char| -> Vec<String> {
            s.unwrap_or_default()
                .split([sep, if sep == ';' { '；' } else { '，' }])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        let blank = |s: Option<String>| s.filter(|x| !x.trim().is_empty());
        Ok(PlatformQuery {
            q: self.q.unwrap_or_default(),
            filters: split(self.filter, ';'),
            qualifications: split(self.qualification, ','),
            trl_from: self.trl_from,
            trl_to: self.trl_to,
            kind: blank(self.kind),
            scope: blank(self.scope),
            field: blank(self.field),
            cluster: blank(self.cluster),
            service: blank(self.service),
            limit,
        })
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PlatformList {
    pub platforms: Vec<PlatformHit>,
}

/// Searches the pilot-platform and PoC-centre library by words and capabilities: Chongqing first,
/// then alliance members (marked), then the rest.
#[utoipa::path(get, path = "/api/v1/platforms", tag = "platforms", params(SearchParams),
    responses((status = 200, body = PlatformList), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<PlatformList>> {
    let a = maybe_actor(&viewer);
    let q = p.query()?;
    Ok(Json(PlatformList {
        platforms: state.library.search(a.as_ref(), &q).await?,
    }))
}

/// One entry with its equipment (contacts' private details for its staff and organizations that
/// booked it).
#[utoipa::path(get, path = "/api/v1/platforms/{id}", tag = "platforms",
    params(("id" = i64, Path, description = "Platform id")),
    responses((status = 200, body = PlatformFace), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PlatformFace>> {
    let a = maybe_actor(&viewer);
    Ok(Json(state.library.show(a.as_ref(), id).await?))
}

/// Edits an entry (its staff, the operators); `version` as read.
#[utoipa::path(put, path = "/api/v1/platforms/{id}", tag = "platforms",
    params(("id" = i64, Path, description = "Platform id")), request_body = PlatformInput,
    responses((status = 200, body = PlatformFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn edit(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PlatformInput>,
) -> ApiResult<Json<PlatformFace>> {
    let a = actor(&viewer)?;
    Ok(Json(state.library.edit(&a, id, &req).await?))
}

/// Adds a machine, or replaces the one of the same name (its staff, the operators).
#[utoipa::path(post, path = "/api/v1/platforms/{id}/equipment", tag = "platforms",
    params(("id" = i64, Path, description = "Platform id")), request_body = EquipmentInput,
    responses((status = 201, body = EquipmentFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn save_equipment(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<EquipmentInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let e = state.library.save_equipment(&a, id, &req).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// `GET /api/v1/equipment/{id}/slots` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotParams {
    /// First day, YYYY-MM-DD (Beijing); default today.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Days (1–31, default 7).
    #[param(minimum = 1, maximum = 31)]
    pub days: Option<i64>,
}

/// A machine's calendar: free periods within its opening hours and the periods taken (by whom only
/// for its staff and the holder).
#[utoipa::path(get, path = "/api/v1/equipment/{id}/slots", tag = "platforms",
    params(("id" = i64, Path, description = "Equipment id"), SlotParams),
    responses((status = 200, body = Slots), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn slots(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<SlotParams>,
) -> ApiResult<Json<Slots>> {
    let a = maybe_actor(&viewer);
    let from = p.from.unwrap_or_else(|| today(&state));
    Ok(Json(
        state
            .library
            .slots(a.as_ref(), id, &from, p.days.unwrap_or(7))
            .await?,
    ))
}

/// Today's date in Beijing on the store's clock.
pub fn today(state: &AppState) -> String {
    engine::pilot::booking::beijing(state.store.now_ts())[..10].to_string()
}

/// The period a refused booking would have overlapped (nothing else about it).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TakenPeriod {
    pub starts_at: i64,
    pub ends_at: i64,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub starts: String,
    pub ends: String,
}

/// A 409 for a period taken: the error and the period that overlaps.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TakenBody {
    pub error: ErrorDetail,
    pub period: TakenPeriod,
}

fn answer(r: BookingResult, created: bool) -> Response {
    match r {
        BookingResult::Done(b) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(b)).into_response()
        }
        BookingResult::Taken { starts_at, ends_at } => {
            let starts = engine::pilot::booking::beijing(starts_at);
            let ends = engine::pilot::booking::beijing(ends_at);
            let body = TakenBody {
                error: ErrorDetail {
                    code: "conflict".into(),
                    message: format!("the period overlaps one already taken ({starts} – {ends}); choose another period or join the queue with `wait`"),
                },
                period: TakenPeriod { starts_at, ends_at, starts, ends },
            };
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    }
}

/// Requests a period of a machine (confirmed at once where the machine takes open booking), joins
/// the queue behind a taken period (`wait`), or blocks one for maintenance (its staff). 409: the
/// period overlaps one taken — the answer names that period only.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "platforms", request_body = BookingInput,
    responses((status = 201, body = BookingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = TakenBody),
              (status = 429, body = ErrorBody)))]
pub async fn book(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(req): ApiJson<BookingInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let r = state.library.request(&a, &req).await?;
    state.deliveries_due();
    Ok(answer(r, true))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BookingList {
    pub bookings: Vec<BookingFace>,
}

/// The caller's organization's bookings, newest first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "platforms",
    responses((status = 200, body = BookingList), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> ApiResult<Json<BookingList>> {
    let a = actor(&viewer)?;
    Ok(Json(BookingList {
        bookings: state.library.my_bookings(&a, 200).await?,
    }))
}

/// One booking (its requester, the platform's staff, the operators; 404 for anyone else).
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "platforms",
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn show_booking(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BookingFace>> {
    let a = actor(&viewer)?;
    Ok(Json(state.library.show_booking(&a, id).await?))
}

/// Moves a booking: the platform confirms, declines (`note` says why) or proposes another period;
/// the requester accepts a proposal or cancels; maintenance blocks are released. 409: stale version,
/// a move the status does not allow, or a proposed period that is taken (with that period).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/transitions", tag = "platforms",
    params(("id" = i64, Path, description = "Booking id")), request_body = BookingMoveInput,
    responses((status = 200, body = BookingFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = TakenBody)))]
pub async fn transition(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<BookingMoveInput>,
) -> ApiResult<Response> {
    let a = actor(&viewer)?;
    let r = state.library.move_booking(&a, id, &req).await?;
    state.deliveries_due();
    Ok(answer(r, false))
}

/// `GET /api/v1/platforms/{id}/utilisation` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    /// YYYY-MM (default: this month, Beijing).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
}

/// A platform's month: booked hours / bookable hours per machine and in total, and its queue now
/// (its staff, the operators, government users).
#[utoipa::path(get, path = "/api/v1/platforms/{id}/utilisation", tag = "platforms",
    params(("id" = i64, Path, description = "Platform id"), MonthParams),
    responses((status = 200, body = UtilisationFace), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn utilisation(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<MonthParams>,
) -> ApiResult<Json<UtilisationFace>> {
    let a = actor(&viewer)?;
    let month = p.month.unwrap_or_else(|| today(&state)[..7].to_string());
    Ok(Json(state.library.utilisation(&a, id, &month).await?))
}

/// The platform's queue: requests to answer, proposals out, requests waiting behind a taken period,
/// oldest first (its staff, the operators).
#[utoipa::path(get, path = "/api/v1/platforms/{id}/queue", tag = "platforms",
    params(("id" = i64, Path, description = "Platform id")),
    responses((status = 200, body = BookingList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BookingList>> {
    let a = actor(&viewer)?;
    Ok(Json(BookingList {
        bookings: state.library.queue(&a, id).await?,
    }))
}
