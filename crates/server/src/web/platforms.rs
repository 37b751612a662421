//! The pilot-platform pages: the resource library's search (words and typed capability filters,
//! Chongqing first, alliance members marked), one platform with its services, fees, contacts and
//! equipment, and one machine's calendar with the booking form. Pages read through the same library
//! use cases as the API, so a page cannot show what the API hides (who booked, private contacts).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::pilot::booking::Slots;
use engine::pilot::{EquipmentFace, PlatformFace, PlatformHit, PlatformQuery};
use engine::EngineError;

use super::challenges::PageError;
use super::format::{fen, number};
use super::{ctx, labels, not_found_page, respond, t, Choice, Ctx, Frame, Lang};
use crate::challenges::maybe_actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

pub(super) fn routes() -> axum::Router<Arc<AppState>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/platforms", get(search_page))
        .route("/platforms/{id}", get(detail_page))
        .route(
            "/platforms/{id}/edit",
            get(super::platform_form::edit_page).post(super::platform_form::edit_post),
        )
        .route(
            "/platforms/{id}/equipment",
            post(super::platform_form::equipment_post),
        )
        .route(
            "/platforms/{id}/utilisation",
            get(super::bookings::utilisation_page),
        )
        .route("/equipment/{id}", get(equipment_page))
        .route(
            "/bookings",
            get(super::bookings::list_page).post(super::bookings::book_post),
        )
        .route("/bookings/{id}", get(super::bookings::detail_page))
        .route("/bookings/{id}/move", post(super::bookings::move_post))
}

/// The words of an engine refusal on a platform page: its class in the page's language, and the
/// engine's detail (field and fix, in English) folded under 技术细节.
pub(super) fn refusal(e: &EngineError, l: Lang) -> Option<(StatusCode, PageError)> {
    let (status, key) = match e {
        EngineError::Conflict(_) => (StatusCode::CONFLICT, "pl_error_conflict"),
        EngineError::Forbidden(_) => (StatusCode::FORBIDDEN, "pl_error_forbidden"),
        EngineError::Input(_) => (StatusCode::BAD_REQUEST, "pl_error_input"),
        EngineError::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, "pl_error_limited"),
        _ => return None,
    };
    Some((
        status,
        PageError {
            lead: t(key, l).to_string(),
            detail: Some(e.to_string()),
        },
    ))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct SearchQuery {
    lang: Option<String>,
    q: Option<String>,
    filter: Option<String>,
    qualification: Option<String>,
    trl_from: Option<String>,
    trl_to: Option<String>,
    kind: Option<String>,
    scope: Option<String>,
}

/// A hit as the page shows it.
pub(super) struct HitShow {
    pub h: PlatformHit,
    pub region: String,
    pub cluster: String,
}

#[derive(askama::Template)]
#[template(path = "platforms.html")]
struct SearchPage {
    f: Frame,
    q: String,
    filter: String,
    qualification: String,
    trl_from: Vec<Choice>,
    trl_to: Vec<Choice>,
    kinds: Vec<Choice>,
    scopes: Vec<Choice>,
    hits: Vec<HitShow>,
    error: Option<PageError>,
    examples: String,
    mine: Option<i64>,
    /// Signed in as a user of an organization: a link to its bookings.
    has_org: bool,
    /// Reads the PoC seed list (officials, operators, PoC centres' staff).
    may_poc: bool,
}

fn region_name(code: Option<&str>, l: Lang) -> String {
    code.and_then(model::Region::lookup)
        .map(|r| labels::region(&r, l))
        .unwrap_or_default()
}

pub(super) async fn search_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let a = maybe_actor(&c.viewer);
    let trl = |s: &Option<String>| {
        s.as_deref()
            .and_then(|x| x.parse::<u8>().ok())
            .filter(|x| (1..=9).contains(x))
    };
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    let scope = q.scope.clone().filter(|k| !k.is_empty());
    let query = PlatformQuery {
        q: q.q.clone().unwrap_or_default(),
        filters: q
            .filter
            .clone()
            .unwrap_or_default()
            .split([';', '；'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        qualifications: q
            .qualification
            .clone()
            .unwrap_or_default()
            .split([',', '，', ';', '；', ' '])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        trl_from: trl(&q.trl_from).map(i64::from),
        trl_to: trl(&q.trl_to).map(i64::from),
        kind: kind.clone(),
        scope: scope.clone(),
        limit: Some(100),
        ..Default::default()
    };
    let (hits, error, status) = match state.library.search(a.as_ref(), &query).await {
        Ok(h) => (h, None, StatusCode::OK),
        Err(e) => match refusal(&e, l) {
            Some((s, why)) => (vec![], Some(why), s),
            None => return crate::ApiError::from(e).into_response(),
        },
    };
    let mine = match &a {
        Some(a) => state.library.mine(a).await.ok().flatten().map(|p| p.id),
        None => None,
    };
    let mut kinds = vec![Choice {
        value: String::new(),
        label: t("pl_all_kinds", l).into(),
        selected: kind.is_none(),
    }];
    kinds.extend(Choice::coded(
        l,
        "pl_type_",
        &["poc_centre", "pilot_platform", "pilot_base"],
        kind.as_deref(),
    ));
    let scopes = Choice::coded(
        l,
        "pl_scope_",
        &["all", "alliance", "local"],
        Some(scope.as_deref().unwrap_or("all")),
    );
    let examples = state
        .library
        .units
        .parameters
        .iter()
        .take(8)
        .map(|p| {
            if l == Lang::Zh {
                p.zh.clone()
            } else {
                p.en.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(labels::sep(l));
    let page = SearchPage {
        f: c.frame(t("pl_title", l)),
        q: query.q.clone(),
        filter: q.filter.unwrap_or_default(),
        qualification: q.qualification.unwrap_or_default(),
        trl_from: Choice::trl(trl(&q.trl_from)),
        trl_to: Choice::trl(trl(&q.trl_to)),
        kinds,
        scopes,
        hits: hits
            .into_iter()
            .map(|h| HitShow {
                region: region_name(h.region_code.as_deref(), l),
                cluster: if h.cluster.is_empty() {
                    String::new()
                } else {
                    labels::cluster(&state, &h.cluster, l)
                },
                h,
            })
            .collect(),
        error,
        examples,
        mine,
        has_org: a.as_ref().is_some_and(|a| a.org.is_some()),
        may_poc: match &a {
            Some(a) => state.library.may_screen(a).await.unwrap_or(false),
            None => false,
        },
    };
    respond(&c, status, &page)
}

/// A machine's parameters and hours as the page shows them.
pub(super) struct EquipmentShow {
    pub e: EquipmentFace,
    pub params: String,
    pub hours: String,
}

pub(super) fn equipment_show(e: EquipmentFace, l: Lang) -> EquipmentShow {
    let params = e
        .parameters
        .iter()
        .map(|p| format!("{} {} {}", p.name, number(p.value, 3), p.unit))
        .collect::<Vec<_>>()
        .join(labels::sep(l));
    let hours = pilot::Hours::parse(&e.hours)
        .map(|h| h.words(l == Lang::Zh))
        .unwrap_or_else(|_| e.hours.clone());
    EquipmentShow { e, params, hours }
}

#[derive(askama::Template)]
#[template(path = "platform.html")]
struct DetailPage {
    f: Frame,
    p: PlatformFace,
    region: String,
    cluster: String,
    nodes: Vec<String>,
    equipment: Vec<EquipmentShow>,
    fees: Vec<(String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct LangOnly {
    lang: Option<String>,
}

pub(super) async fn detail_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangOnly>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let a = maybe_actor(&c.viewer);
    let p = match state.library.show(a.as_ref(), id).await {
        Ok(p) => p,
        Err(EngineError::NotFound(_)) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let fees = p
        .detail
        .fees
        .iter()
        .map(|x| {
            (
                x.item.clone(),
                labels::code("pl_fee_", &x.unit, l),
                fen(x.fen, l),
                x.sme_fen.map(|s| fen(s, l)).unwrap_or_default(),
            )
        })
        .collect();
    let page = DetailPage {
        f: c.frame(&p.name),
        region: region_name(p.region_code.as_deref(), l),
        cluster: if p.cluster.is_empty() {
            String::new()
        } else {
            labels::cluster(&state, &p.cluster, l)
        },
        nodes: p
            .detail
            .chain_nodes
            .iter()
            .map(|n| labels::node(&state, n, l))
            .collect(),
        equipment: p
            .equipment
            .clone()
            .into_iter()
            .map(|e| equipment_show(e, l))
            .collect(),
        fees,
        p,
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize, Default)]
pub(super) struct CalendarQuery {
    lang: Option<String>,
    from: Option<String>,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "equipment.html")]
pub(super) struct EquipmentPage {
    pub f: Frame,
    pub e: EquipmentShow,
    pub platform: PlatformFace,
    pub slots: Slots,
    pub prev: String,
    pub next: String,
    pub may_book: bool,
    pub staff: bool,
    pub signed_in: bool,
    pub error: Option<PageError>,
    pub taken: Option<(String, String)>,
    pub done: bool,
    /// The form as typed (after a refusal).
    pub form: (String, String, String),
}

/// The equipment page: with an error or a refused period after a booking attempt.
pub(super) async fn render_equipment(
    state: &AppState,
    c: &Ctx,
    id: i64,
    from: Option<String>,
    outcome: (Option<PageError>, Option<(String, String)>, bool),
    form: (String, String, String),
    status: StatusCode,
) -> Response {
    let a = maybe_actor(&c.viewer);
    let today = crate::platforms::today(state);
    let from = from
        .filter(|f| chrono::NaiveDate::parse_from_str(f, "%Y-%m-%d").is_ok())
        .unwrap_or(today);
    let slots = match state.library.slots(a.as_ref(), id, &from, 7).await {
        Ok(s) => s,
        Err(EngineError::NotFound(_)) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let platform = match state.library.show(a.as_ref(), slots.platform_id).await {
        Ok(p) => p,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let Some(e) = platform.equipment.iter().find(|e| e.id == id).cloned() else {
        return not_found_page(c);
    };
    let day = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d").unwrap_or_default();
    let shift = |d: i64| (day + chrono::Duration::days(d)).to_string();
    let staff = platform.staff;
    let signed_in = a.is_some();
    let may_book = a
        .as_ref()
        .is_some_and(|a| a.org.is_some() && !a.official && a.org != Some(platform.org_id));
    let page = EquipmentPage {
        f: c.frame(&e.name),
        e: equipment_show(e, c.lang),
        platform,
        slots,
        prev: shift(-7),
        next: shift(7),
        may_book,
        staff,
        signed_in,
        error: outcome.0,
        taken: outcome.1,
        done: outcome.2,
        form,
    };
    respond(c, status, &page)
}

pub(super) async fn equipment_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_equipment(
        &state,
        &c,
        id,
        q.from,
        (None, None, q.done.is_some()),
        Default::default(),
        StatusCode::OK,
    )
    .await
}
