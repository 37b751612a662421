//! The conversion pages: the PoC seed list (score parts, what would raise each, selection, sending a
//! seed to a PoC centre, XLSX export) with the centres' applications; an outcome's conversion path
//! drawn step by step with its bottleneck; and the IP fast-track filings with grant times. Each
//! form checks the CSRF token and calls the same library use case as the API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::pilot::applications::{PocApplicationFace, PocApplicationInput, PocDecisionInput};
use engine::pilot::filings::{FilingFace, FilingInput, FilingMoveInput, GrantTimes};
use engine::pilot::path::PathFace;
use engine::pilot::seeds::SeedFace;
use engine::EngineError;

use super::challenge_input::Fields;
use super::challenges::PageError;
use super::deal_posts::acting;
use super::deals::signed_actor;
use super::format::{china_time, fen, number, xlsx_download};
use super::platforms::refusal;
use super::{ctx, not_found_page, respond, t, Ctx, Frame, Lang};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

pub(super) fn routes() -> axum::Router<Arc<AppState>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/poc", get(seeds_page))
        .route("/poc/select", post(select_post))
        .route("/poc/send", post(send_post))
        .route("/poc/applications/{id}/decide", post(decide_post))
        .route("/outcomes/{id}/path", get(path_page))
        .route("/ip", get(filings_page).post(filing_post))
        .route("/ip/filings/{id}/move", post(filing_move_post))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Query {
    lang: Option<String>,
    format: Option<String>,
    done: Option<String>,
}

/// One seed as the page shows it.
struct SeedShow {
    s: SeedFace,
    /// (criterion words, points, max, what would raise it).
    parts: Vec<(String, String, u32, String)>,
    node: String,
}

#[derive(askama::Template)]
#[template(path = "poc.html")]
struct SeedsPage {
    f: Frame,
    seeds: Vec<SeedShow>,
    centres: Vec<(i64, String)>,
    applications: Vec<PocApplicationFace>,
    may_select: bool,
    done: bool,
    error: Option<PageError>,
    rules: String,
}

fn seed_show(state: &AppState, s: SeedFace, l: Lang) -> SeedShow {
    let parts = s
        .parts
        .iter()
        .map(|p| {
            (
                t(&format!("poc_c_{}", p.criterion), l).to_string(),
                number(p.points, 1),
                p.max,
                p.raise
                    .as_deref()
                    .map(|r| t(&format!("poc_raise_{r}"), l).to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let node = s
        .node
        .as_deref()
        .map(|n| super::labels::node(state, n, l))
        .unwrap_or_default();
    SeedShow { s, parts, node }
}

async fn render_seeds(
    state: &AppState,
    c: &Ctx,
    q: &Query,
    error: Option<PageError>,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let heading = t("poc_title", l);
    let a = match signed_actor(c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let shown = if q.format.as_deref() == Some("xlsx") {
        1_000
    } else {
        60
    };
    let seeds = match crate::conversion::screen(state, &a, None, shown).await {
        Ok(s) => s,
        Err(e @ EngineError::Forbidden(_)) => {
            return super::MessagePage::new(
                c,
                "403",
                &refusal(&e, l).map(|x| x.1.lead).unwrap_or_default(),
            )
            .plain()
            .respond(c, StatusCode::FORBIDDEN)
        }
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    if q.format.as_deref() == Some("xlsx") {
        let headers: Vec<String> = [
            "poc_outcome",
            "poc_owners",
            "TRL",
            "poc_score",
            "poc_c_ip",
            "poc_c_market",
            "poc_c_chain",
            "poc_c_team",
            "poc_selected",
        ]
        .iter()
        .map(|k| t(k, l).to_string())
        .collect();
        let rows: Vec<Vec<String>> = seeds
            .iter()
            .map(|s| {
                let mut r = vec![
                    s.title.clone(),
                    s.owners.join("；"),
                    s.trl.to_string(),
                    number(s.score, 1),
                ];
                r.extend(s.parts.iter().map(|p| number(p.points, 1)));
                r.push(if s.selected { t("yes", l) } else { t("no", l) }.to_string());
                r
            })
            .collect();
        let stamp = chrono::Utc::now().format("%Y%m%d");
        return xlsx_download(&format!("poc-seeds-{stamp}.xlsx"), heading, &headers, &rows);
    }
    let centres = state
        .store
        .platforms(engine::pilot::MAX_PLATFORMS)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind == "poc_centre")
        .map(|p| (p.id, p.org_name))
        .collect();
    let applications = state.library.applications(&a).await.unwrap_or_default();
    let page = SeedsPage {
        f: c.frame(heading),
        seeds: seeds.into_iter().map(|s| seed_show(state, s, l)).collect(),
        centres,
        applications,
        may_select: a.official || a.operator,
        done: q.done.is_some(),
        error,
        rules: state.library.poc.version.clone(),
    };
    respond(c, status, &page)
}

pub(super) async fn seeds_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<Query>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_seeds(&state, &c, &q, None, StatusCode::OK).await
}

async fn refused_seeds(state: &AppState, c: &Ctx, e: EngineError) -> Response {
    if matches!(e, EngineError::NotFound(_)) {
        return not_found_page(c);
    }
    match refusal(&e, c.lang) {
        Some((s, why)) => render_seeds(state, c, &Query::default(), Some(why), s).await,
        None => crate::ApiError::from(e).into_response(),
    }
}

pub(super) async fn select_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(outcome) = f.int("outcome_id") else {
        return not_found_page(&c);
    };
    match state
        .library
        .select_seed(&a, outcome, f.get("selected") != "0", &f.get("note"), "{}")
        .await
    {
        Ok(()) => Redirect::to("/poc?done=1").into_response(),
        Err(e) => refused_seeds(&state, &c, e).await,
    }
}

pub(super) async fn send_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (Some(outcome_id), Some(platform_id)) = (f.int("outcome_id"), f.int("platform_id")) else {
        return not_found_page(&c);
    };
    match state
        .library
        .send_to_centre(
            &a,
            &PocApplicationInput {
                outcome_id,
                platform_id,
                note: f.get("note"),
            },
        )
        .await
    {
        Ok(_) => {
            state.deliveries_due();
            Redirect::to("/poc?done=1").into_response()
        }
        Err(e) => refused_seeds(&state, &c, e).await,
    }
}

pub(super) async fn decide_post(
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
    let req = PocDecisionInput {
        to: f.get("to"),
        answer: f.get("answer"),
        version: f.int("version").unwrap_or(-1),
    };
    match state.library.decide_application(&a, id, &req).await {
        Ok(_) => {
            state.deliveries_due();
            Redirect::to("/poc?done=1").into_response()
        }
        Err(e) => refused_seeds(&state, &c, e).await,
    }
}

/// One step as the path page draws it.
struct StepShow {
    step: String,
    status: String,
    title: String,
    words: Vec<(String, bool)>,
    href: Option<String>,
    choice: Option<String>,
    bottleneck: bool,
}

#[derive(askama::Template)]
#[template(path = "path.html")]
struct PathPage {
    f: Frame,
    p: PathFace,
    steps: Vec<StepShow>,
    bottleneck: Option<String>,
    alternatives: Vec<(i64, String, String, String)>,
}

/// A reason's words with its values put in, as segments: (text, is a value). Values are record
/// data (names of platforms, machines, enterprises) and money, which pages mark as such.
fn reason_words(reason: &str, values: &[String], l: Lang) -> Vec<(String, bool)> {
    let key = format!("path_r_{reason}");
    let text = t(&key, l);
    let mut out = vec![];
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let index: Option<usize> = rest[open + 1..open + close].parse().ok();
        out.push((rest[..open].to_string(), false));
        if let Some(v) = index.and_then(|i| values.get(i).map(|v| (i, v))) {
            let (i, v) = v;
            let shown = if reason.starts_with("financing") && i > 0 {
                v.parse::<i64>()
                    .map(|x| fen(x, l))
                    .unwrap_or_else(|_| v.clone())
            } else {
                v.clone()
            };
            out.push((shown, true));
        }
        rest = &rest[open + close + 1..];
    }
    out.push((rest.to_string(), false));
    out
}

pub(super) async fn path_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Query>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = match crate::conversion::plan(&state, &c.viewer, id).await {
        Ok(p) => p,
        Err(EngineError::NotFound(_)) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let steps = p
        .steps
        .iter()
        .map(|s| StepShow {
            step: s.step.clone(),
            status: s.status.clone(),
            title: t(&format!("path_step_{}", s.step), l).to_string(),
            words: reason_words(&s.reason, &s.values, l),
            href: match (s.step.as_str(), s.choice_id, s.equipment_id) {
                ("pilot", _, Some(e)) => Some(format!("/equipment/{e}")),
                ("poc", Some(p), _) => Some(format!("/platforms/{p}")),
                ("adopter", Some(o), _) => Some(format!("/organizations/{o}")),
                _ => None,
            },
            choice: s.choice.clone(),
            bottleneck: p.bottleneck.as_deref() == Some(s.step.as_str()),
        })
        .collect();
    let bottleneck = p
        .bottleneck
        .as_ref()
        .map(|b| t(&format!("path_step_{b}"), l).to_string());
    let alternatives = p
        .alternatives
        .iter()
        .map(|(e, platform, machine, at)| {
            (
                *e,
                platform.clone(),
                machine.clone(),
                at.map(|x| china_time(x)[..10].to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let page = PathPage {
        f: c.frame(&format!("{} · {}", t("path_title", l), p.title)),
        steps,
        bottleneck,
        alternatives,
        p,
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "ip.html")]
struct FilingsPage {
    f: Frame,
    filings: Vec<FilingFace>,
    times: Vec<(String, GrantTimes, String, String)>,
    centre: String,
    unconfirmed: bool,
    may_add: bool,
    done: bool,
    error: Option<PageError>,
}

async fn render_filings(
    state: &AppState,
    c: &Ctx,
    done: bool,
    error: Option<PageError>,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let heading = t("ip_title", l);
    let a = match signed_actor(c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let filings = match state.library.filings(&a).await {
        Ok(f) => f,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let industry = |code: &str| {
        state
            .library
            .fast_track
            .industries
            .iter()
            .find(|i| i.code == code)
            .map(|i| {
                if l == Lang::Zh {
                    i.zh.clone()
                } else {
                    i.en.clone()
                }
            })
            .unwrap_or_else(|| t("ip_other_fields", l).to_string())
    };
    let times = state
        .library
        .grant_times(&a)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| {
            let d = |x: Option<f64>| x.map(|v| number(v, 0)).unwrap_or_else(|| "—".into());
            (
                industry(&g.industry),
                g.clone(),
                d(g.median_days_fast),
                d(g.median_days_ordinary),
            )
        })
        .collect();
    let page = FilingsPage {
        f: c.frame(heading),
        filings,
        times,
        centre: state.library.fast_track.centre.clone(),
        unconfirmed: state.library.fast_track.status == "unconfirmed",
        may_add: a.org.is_some() || a.operator,
        done,
        error,
    };
    respond(c, status, &page)
}

pub(super) async fn filings_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<Query>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_filings(&state, &c, q.done.is_some(), None, StatusCode::OK).await
}

async fn refused_filings(state: &AppState, c: &Ctx, e: EngineError) -> Response {
    if matches!(e, EngineError::NotFound(_)) {
        return not_found_page(c);
    }
    match refusal(&e, c.lang) {
        Some((s, why)) => render_filings(state, c, false, Some(why), s).await,
        None => crate::ApiError::from(e).into_response(),
    }
}

pub(super) async fn filing_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = FilingInput {
        application_no: f.get("application_no"),
        kind: f.opt("kind"),
        ipc: f
            .get("ipc")
            .split([';', '；', ',', '，'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        title: f.get("title"),
        outcome_id: f.int("outcome_id"),
        filed_on: f.get("filed_on"),
        claims: f.int("claims").unwrap_or(0),
        applicant_org_id: None,
    };
    match state.library.add_filing(&a, &req).await {
        Ok(_) => Redirect::to("/ip?done=1").into_response(),
        Err(e) => refused_filings(&state, &c, e).await,
    }
}

pub(super) async fn filing_move_post(
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
    let req = FilingMoveInput {
        to: f.get("to"),
        on_date: f.get("on_date"),
        version: f.int("version").unwrap_or(-1),
    };
    match state.library.move_filing(&a, id, &req).await {
        Ok(_) => Redirect::to("/ip?done=1").into_response(),
        Err(e) => refused_filings(&state, &c, e).await,
    }
}
