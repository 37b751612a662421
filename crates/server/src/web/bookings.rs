//! Booking pages: the organization's bookings and, for a platform's staff, its queue; one booking
//! with the moves the reader may make (confirm, decline with a reason, propose another period,
//! accept, cancel); a platform's utilisation per month; and the forms behind them. Each form checks
//! the CSRF token and calls the same library use case as the API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::pilot::booking::{
    BookingFace, BookingInput, BookingMoveInput, BookingResult, UtilisationFace,
};
use engine::EngineError;

use super::challenge_input::Fields;
use super::challenges::PageError;
use super::deal_posts::acting;
use super::deals::signed_actor;
use super::format::{fen, number, percent};
use super::platforms::{refusal, render_equipment};
use super::{ctx, not_found_page, respond, t, Ctx, Frame};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(serde::Deserialize, Default)]
pub(super) struct PageQuery {
    lang: Option<String>,
    month: Option<String>,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "bookings.html")]
struct ListPage {
    f: Frame,
    mine: Vec<BookingFace>,
    queue: Vec<BookingFace>,
    platform: Option<(i64, String)>,
}

pub(super) async fn list_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let heading = t("bk_title", c.lang);
    let a = match signed_actor(&c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mine = match state.library.my_bookings(&a, 200).await {
        Ok(m) => m,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let (queue, platform) = match state.library.mine(&a).await {
        Ok(Some(p)) => (
            state.library.queue(&a, p.id).await.unwrap_or_default(),
            Some((p.id, p.org_name)),
        ),
        _ => (vec![], None),
    };
    let page = ListPage {
        f: c.frame(heading),
        mine,
        queue,
        platform,
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "booking.html")]
struct DetailPage {
    f: Frame,
    b: BookingFace,
    done: bool,
    error: Option<PageError>,
    taken: Option<(String, String)>,
    is_requester: bool,
    fee: String,
    hold: String,
}

async fn render_booking(
    state: &AppState,
    c: &Ctx,
    id: i64,
    outcome: (Option<PageError>, Option<(String, String)>, bool),
    status: StatusCode,
) -> Response {
    let heading = t("bk_title", c.lang);
    let a = match signed_actor(c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match state.library.show_booking(&a, id).await {
        Ok(b) => b,
        Err(EngineError::NotFound(_)) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let is_requester = b.requester.is_some()
        && state
            .store
            .booking(id)
            .await
            .ok()
            .flatten()
            .is_some_and(|r| r.requester_org.is_some() && r.requester_org == a.org);
    let page = DetailPage {
        f: c.frame(&b.equipment),
        fee: b.fee_fen.map(|x| fen(x, c.lang)).unwrap_or_default(),
        hold: b
            .hold_until
            .filter(|_| matches!(b.status.as_str(), "requested" | "proposed"))
            .map(super::format::china_time)
            .unwrap_or_default(),
        b,
        done: outcome.2,
        error: outcome.0,
        taken: outcome.1,
        is_requester,
    };
    respond(c, status, &page)
}

pub(super) async fn detail_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_booking(
        &state,
        &c,
        id,
        (None, None, q.done.is_some()),
        StatusCode::OK,
    )
    .await
}

/// `2027-03-01T08:00` from a `datetime-local` field (seconds dropped).
fn local_time(s: &str) -> String {
    s.trim().chars().take(16).collect()
}

pub(super) async fn book_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(equipment) = f.int("equipment_id") else {
        return not_found_page(&c);
    };
    let form = (
        local_time(&f.get("starts_at")),
        local_time(&f.get("ends_at")),
        f.get("purpose"),
    );
    let req = BookingInput {
        equipment_id: equipment,
        starts_at: form.0.clone(),
        ends_at: form.1.clone(),
        purpose: form.2.clone(),
        engagement_id: None,
        challenge_id: None,
        wait: f.get("wait") == "1",
        maintenance: f.get("maintenance") == "1",
    };
    let from = Some(form.0.chars().take(10).collect::<String>());
    match state.library.request(&a, &req).await {
        Ok(BookingResult::Done(b)) => {
            state.deliveries_due();
            Redirect::to(&format!("/bookings/{}?done=1", b.id)).into_response()
        }
        Ok(BookingResult::Taken { starts_at, ends_at }) => {
            let p = (
                engine::pilot::booking::beijing(starts_at),
                engine::pilot::booking::beijing(ends_at),
            );
            render_equipment(
                &state,
                &c,
                equipment,
                from,
                (None, Some(p), false),
                form,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(EngineError::NotFound(_)) => not_found_page(&c),
        Err(e) => match refusal(&e, c.lang) {
            Some((status, why)) => {
                render_equipment(
                    &state,
                    &c,
                    equipment,
                    from,
                    (Some(why), None, false),
                    form,
                    status,
                )
                .await
            }
            None => crate::ApiError::from(e).into_response(),
        },
    }
}

pub(super) async fn move_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = BookingMoveInput {
        to: f.get("to"),
        note: f.get("note"),
        starts_at: f.opt("starts_at").map(|s| local_time(&s)),
        ends_at: f.opt("ends_at").map(|s| local_time(&s)),
        version: f.int("version").unwrap_or(-1),
    };
    match state.library.move_booking(&a, id, &req).await {
        Ok(BookingResult::Done(_)) => {
            state.deliveries_due();
            Redirect::to(&format!("/bookings/{id}?done=1")).into_response()
        }
        Ok(BookingResult::Taken { starts_at, ends_at }) => {
            let p = (
                engine::pilot::booking::beijing(starts_at),
                engine::pilot::booking::beijing(ends_at),
            );
            render_booking(&state, &c, id, (None, Some(p), false), StatusCode::CONFLICT).await
        }
        Err(EngineError::NotFound(_)) => not_found_page(&c),
        Err(e) => match refusal(&e, c.lang) {
            Some((status, why)) => {
                render_booking(&state, &c, id, (Some(why), None, false), status).await
            }
            None => crate::ApiError::from(e).into_response(),
        },
    }
}

/// One machine's month as the page shows it.
struct UseShow {
    name: String,
    id: i64,
    bookable: String,
    booked: String,
    maintenance: String,
    share: String,
    /// 0, 10, … 100: the bar's class.
    width: i64,
}

#[derive(askama::Template)]
#[template(path = "utilisation.html")]
struct UtilisationPage {
    f: Frame,
    platform: (i64, String),
    u: UtilisationFace,
    rows: Vec<UseShow>,
    total: String,
    prev: String,
    next: String,
}

fn shift_month(m: &str, by: i32) -> String {
    let (y, mo) = m.split_once('-').unwrap_or(("2026", "1"));
    let (y, mo): (i32, i32) = (y.parse().unwrap_or(2026), mo.parse().unwrap_or(1));
    let k = y * 12 + (mo - 1) + by;
    format!("{}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1)
}

pub(super) async fn utilisation_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("pl_utilisation", l);
    let a = match signed_actor(&c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let month = q
        .month
        .filter(|m| pilot::calendar::month(m).is_ok())
        .unwrap_or_else(|| crate::platforms::today(&state)[..7].to_string());
    let u = match state.library.utilisation(&a, id, &month).await {
        Ok(u) => u,
        Err(EngineError::NotFound(_)) => return not_found_page(&c),
        Err(e @ EngineError::Forbidden(_)) => {
            return super::MessagePage::new(
                &c,
                "403",
                &refusal(&e, l).map(|x| x.1.lead).unwrap_or_default(),
            )
            .plain()
            .respond(&c, StatusCode::FORBIDDEN)
        }
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let name = match state.store.platform(id).await {
        Ok(Some(p)) => p.org_name,
        _ => return not_found_page(&c),
    };
    let rows = u
        .equipment
        .iter()
        .map(|e| UseShow {
            name: e.name.clone(),
            id: e.equipment_id,
            bookable: number(e.bookable_hours, 1),
            booked: number(e.booked_hours, 1),
            maintenance: number(e.maintenance_hours, 1),
            share: e.share.map(percent).unwrap_or_else(|| "—".into()),
            // The bar's width in tens of percent (the stylesheet's `w0` … `w100`: no inline styles
            // under the content security policy).
            width: e
                .share
                .map_or(0, |s| ((s * 10.0).round().clamp(0.0, 10.0) as i64) * 10),
        })
        .collect();
    let page = UtilisationPage {
        f: c.frame(&format!("{heading} · {name}")),
        platform: (id, name),
        total: u.share.map(percent).unwrap_or_else(|| "—".into()),
        rows,
        prev: shift_month(&month, -1),
        next: shift_month(&month, 1),
        u,
    };
    respond(&c, StatusCode::OK, &page)
}
