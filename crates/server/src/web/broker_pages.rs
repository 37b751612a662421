//! Brokers' pages: every broker's record for officials and operators (grading the city's
//! 金牌陪跑人), and a broker's own desk (the fields, keywords and districts it serves, its record).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::engagements::BrokerPerformance;

use super::deals::signed_actor;
use super::format::{fen, percent};
use super::{ctx, gate, labels, not_found_page, respond, t, Choice, Frame, Lang, MessagePage};
use crate::access::Role;
use crate::engagements::actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(serde::Deserialize, Default)]
pub(super) struct LangOnly {
    lang: Option<String>,
}

/// A broker's record in words.
struct PerfShow {
    user_id: i64,
    name: String,
    handled: usize,
    open: usize,
    introduced: String,
    contracted: String,
    value: String,
    stage_days: Vec<(String, String, usize)>,
}

fn perf_show(p: &BrokerPerformance, l: Lang) -> PerfShow {
    PerfShow {
        user_id: p.user_id,
        name: p.name.clone(),
        handled: p.handled,
        open: p.open,
        introduced: format!("{} ({})", p.introduced, percent(p.introduced_rate)),
        contracted: format!("{} ({})", p.contracted, percent(p.contracted_rate)),
        value: fen(p.contract_value_fen, l),
        stage_days: p
            .stage_days
            .iter()
            .map(|s| {
                (
                    labels::code("stage_", &s.stage, l),
                    super::format::number(s.median_days, 1),
                    s.count,
                )
            })
            .collect(),
    }
}

#[derive(askama::Template)]
#[template(path = "brokers.html")]
struct BrokersPage {
    f: Frame,
    rows: Vec<PerfShow>,
}

/// Every broker's record, for officials and operators (grading the city's 金牌陪跑人).
pub(super) async fn brokers(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangOnly>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("nav_brokers", l);
    let a = match signed_actor(&c, heading, c.viewer.is_official(), "officials_only").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let users = match state.store.users_with_role("broker").await {
        Ok(u) => u,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let mut rows = vec![];
    for u in users {
        if let Ok(p) = state.desk.broker_performance(&a, u.id).await {
            rows.push(perf_show(&p, l));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.handled));
    respond(
        &c,
        StatusCode::OK,
        &BrokersPage {
            f: c.frame(heading),
            rows,
        },
    )
}

#[derive(askama::Template)]
#[template(path = "broker.html")]
struct BrokerPage {
    f: Frame,
    name: String,
    perf: PerfShow,
    clusters: Vec<Choice>,
    keywords: String,
    regions: String,
    bio: String,
    own: bool,
    saved: bool,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct BrokerQuery {
    lang: Option<String>,
    saved: Option<String>,
}

/// A broker's workbench (their own) or record (officials).
pub(super) async fn broker_me(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<BrokerQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let is_broker = c.viewer.user().is_some_and(|u| u.role == Role::Broker);
    if let Some(r) = gate(&c, t("nav_broker", c.lang), is_broker, "brokers_only") {
        return r;
    }
    let Some(uid) = c.viewer.user_id() else {
        return not_found_page(&c);
    };
    broker_page(&state, &c, uid, q.saved.is_some(), None, StatusCode::OK).await
}

pub(super) async fn broker_record(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BrokerQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    if let Some(r) = gate(&c, t("nav_brokers", c.lang), true, "forbidden") {
        return r;
    }
    broker_page(&state, &c, id, false, None, StatusCode::OK).await
}

async fn broker_page(
    state: &AppState,
    c: &super::Ctx,
    id: i64,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let Ok(a) = actor(&c.viewer) else {
        return not_found_page(c);
    };
    let perf = match state.desk.broker_performance(&a, id).await {
        Ok(p) => p,
        Err(_) => return not_found_page(c),
    };
    let own = a.user_id == id;
    let profile = state.store.broker(id).await.ok().flatten();
    let chosen: Vec<String> = profile
        .as_ref()
        .map(|p| p.clusters.clone())
        .unwrap_or_default();
    let clusters = state
        .chains
        .taxonomy
        .clusters
        .iter()
        .map(|k| Choice {
            value: k.code.clone(),
            label: labels::cluster(state, &k.code, l),
            selected: chosen.contains(&k.code),
        })
        .collect();
    let page = BrokerPage {
        f: c.frame(t("nav_broker", l)),
        name: perf.name.clone(),
        perf: perf_show(&perf, l),
        clusters,
        keywords: profile
            .as_ref()
            .map(|p| p.keywords.join("，"))
            .unwrap_or_default(),
        regions: profile
            .as_ref()
            .map(|p| {
                p.regions
                    .iter()
                    .map(|r| model::Region::lookup(r).map_or(r.clone(), |x| labels::region(&x, l)))
                    .collect::<Vec<_>>()
                    .join("，")
            })
            .unwrap_or_default(),
        bio: profile.map(|p| p.bio).unwrap_or_default(),
        own,
        saved,
        error,
    };
    respond(c, status, &page)
}

pub(super) struct BrokerForm {
    csrf: String,
    clusters: Vec<String>,
    keywords: String,
    regions: String,
    bio: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

pub(super) async fn broker_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum_extra_form: axum::body::Bytes,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    // Checkbox lists repeat a name; serde_urlencoded cannot gather them into a Vec, so parse here.
    let mut f = BrokerForm {
        csrf: String::new(),
        clusters: vec![],
        keywords: String::new(),
        regions: String::new(),
        bio: String::new(),
    };
    for (k, v) in form_urlencoded::parse(&axum_extra_form) {
        match k.as_ref() {
            "csrf" => f.csrf = v.into_owned(),
            "clusters" => f.clusters.push(v.into_owned()),
            "keywords" => f.keywords = v.into_owned(),
            "regions" => f.regions = v.into_owned(),
            "bio" => f.bio = v.into_owned(),
            _ => {}
        }
    }
    if f.csrf != c.csrf {
        return MessagePage::new(&c, "403", t("csrf_failed", c.lang))
            .respond(&c, StatusCode::FORBIDDEN);
    }
    let Some(u) = c.viewer.user().filter(|u| u.role == Role::Broker) else {
        return MessagePage::new(&c, "403", t("brokers_only", c.lang))
            .respond(&c, StatusCode::FORBIDDEN);
    };
    let profile = crate::engagements::BrokerProfile {
        clusters: f.clusters,
        keywords: split_list(&f.keywords),
        regions: split_list(&f.regions),
        bio: f.bio,
    };
    let row = match crate::engagements::broker_row(&state, u.id, profile) {
        Ok(r) => r,
        Err(e) => {
            let id = u.id;
            return broker_page(
                &state,
                &c,
                id,
                false,
                Some(e.message),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    match state.store.put_broker(&row).await {
        Ok(()) => Redirect::to("/brokers/me?saved=1").into_response(),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}
