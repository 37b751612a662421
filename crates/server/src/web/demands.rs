//! The needs pages: the list (filters by owner, level, status, district, stage and cluster, pages
//! of 30 with a true count) and one need (what it asks, who posted it, its matches, and what its
//! owner can do with it: export). Reads go through the same pass-filtered use cases as the API.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use model::Demand;

use super::format::{query, xlsx_download};
use super::labels;
use super::pages::{record_href, AnswerShow};
use super::{ctx, not_found_page, respond, t, Choice, Ctx, Frame, Lang};
use crate::api::{self, RecordView};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// Needs on one page of the list, and the deepest page (filters narrow a longer list).
const PAGE: usize = 30;
const MAX_PAGE: usize = 300;

/// A need in a list (`templates/parts/demand_list.html`).
pub(super) struct DemandRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) level: String,
    pub(crate) status: String,
    pub(crate) status_label: String,
    pub(crate) owner: String,
    pub(crate) facts: String,
    pub(crate) problem: String,
}

fn typed(v: &RecordView) -> Option<Demand> {
    serde_json::from_value(v.record.clone()).ok()
}

pub(super) fn demand_rows(state: &AppState, items: &[RecordView], l: Lang) -> Vec<DemandRow> {
    items
        .iter()
        .filter_map(|v| typed(v).map(|d| (v.id, d)))
        .map(|(id, d)| {
            let mut facts = vec![];
            if let Some(t) = d.trl_needed {
                facts.push(format!("TRL {}", t.get()));
            }
            facts.extend(d.clusters.iter().map(|c| labels::cluster(state, c, l)));
            if let Some(r) = &d.region {
                facts.push(labels::region(r, l));
            }
            if let Some(date) = d.deadline {
                facts.push(format!("{} {date}", t("deadline", l)));
            }
            DemandRow {
                id,
                title: d.title.clone(),
                level: d.confidentiality.as_str().to_string(),
                status: d.status.as_str().to_string(),
                status_label: labels::code("status_", d.status.as_str(), l),
                owner: d.owner.clone(),
                facts: facts.join(" · "),
                problem: d.problem.chars().take(120).collect(),
            }
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    page: Option<usize>,
    lang: Option<String>,
    mine: Option<String>,
    level: Option<String>,
    status: Option<String>,
    district: Option<String>,
    trl: Option<String>,
    cluster: Option<String>,
}

#[derive(Template)]
#[template(path = "demands.html")]
struct DemandsPage {
    f: Frame,
    total: i64,
    from: usize,
    to: usize,
    demands: Vec<DemandRow>,
    next: Option<String>,
    first: Option<String>,
    prev: Option<String>,
    mine_allowed: bool,
    mine: bool,
    levels: Vec<Choice>,
    statuses: Vec<Choice>,
    districts: Vec<Choice>,
    trls: Vec<Choice>,
    clusters: Vec<Choice>,
    filtered: bool,
    /// Public summaries of open NDA-only needs (signed-in viewers, first page, unfiltered).
    teasers: Vec<(i64, String)>,
}

/// The choices of a select: an empty "all" first, then `(value, label)` pairs.
fn choices(all_label: &str, pairs: Vec<(String, String)>, chosen: Option<&str>) -> Vec<Choice> {
    std::iter::once(Choice {
        value: String::new(),
        label: all_label.to_string(),
        selected: chosen.is_none(),
    })
    .chain(pairs.into_iter().map(|(value, label)| Choice {
        selected: chosen == Some(value.as_str()),
        value,
        label,
    }))
    .collect()
}

/// TRL bands a list filters on: research, proof and pilot, industrialisation.
const TRL_BANDS: [(&str, u8, u8); 3] = [("1-3", 1, 3), ("4-6", 4, 6), ("7-9", 7, 9)];

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|x| !x.is_empty())
}

/// The viewer's organization as a demand owner (name, USCC).
async fn own_org(state: &AppState, c: &Ctx) -> Option<(String, Option<String>)> {
    let id = c.viewer.user()?.organization_id?;
    match state.store.get(model::RecordKind::Organization, id).await {
        Ok(Some(s)) => match s.record {
            model::Record::Organization(o) => Some((o.name, o.uscc.map(|u| u.to_string()))),
            _ => None,
        },
        _ => None,
    }
}

pub(super) async fn demands_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let own = own_org(&state, &c).await;
    let mine = q.mine.is_some() && own.is_some();
    let level = some(&q.level).and_then(|s| s.parse::<model::Confidentiality>().ok());
    let status = some(&q.status).filter(|s| s.parse::<model::DemandStatus>().is_ok());
    let district = some(&q.district).and_then(model::Region::lookup);
    let band = some(&q.trl).and_then(|b| TRL_BANDS.iter().find(|(k, _, _)| *k == b));
    let cluster = some(&q.cluster).filter(|c| state.chains.taxonomy.cluster(c).is_some());
    let narrow = store::DemandNarrowing {
        owner: if mine { own.clone() } else { None },
        status: status.map(str::to_string),
        regions: district
            .as_ref()
            .map(|r| {
                r.with_descendants()
                    .iter()
                    .map(|x| x.key().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        trl: band.map(|(_, lo, hi)| (*lo, *hi)),
        cluster: cluster.map(str::to_string),
    };
    // Newest first (a need just posted is on the first page), by page number.
    let page_no = q.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let offset = ((page_no - 1) * PAGE) as i64;
    let (items, _, total) = match api::visible_demands_where(
        &state, &c.viewer, level, narrow, offset, PAGE, true,
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let filters = [
        ("mine", if mine { "1" } else { "" }),
        ("level", level.map_or("", |x| x.as_str())),
        ("status", status.unwrap_or("")),
        ("district", some(&q.district).unwrap_or("")),
        ("trl", band.map_or("", |b| b.0)),
        ("cluster", cluster.unwrap_or("")),
    ];
    let base = query(&filters);
    let with = |extra: &str| {
        let joined = [base.as_str(), extra]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("&");
        format!("/demands?{joined}")
    };
    let from = (page_no - 1) * PAGE + 1;
    let signed_in = c.viewer.user().is_some();
    let level_codes: Vec<&str> = if signed_in {
        vec!["public", "registered", "nda"]
    } else {
        vec!["public"]
    };
    let teasers = if c.viewer.user().is_some() && page_no <= 1 && base.is_empty() {
        state
            .store
            .teasers(10)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|x| (x.id, x.summary))
            .collect()
    } else {
        vec![]
    };
    let page = DemandsPage {
        teasers,
        f: c.frame(t("demands_title", l)),
        total,
        from: if items.is_empty() { 0 } else { from },
        to: from + items.len() - usize::from(!items.is_empty()),
        demands: demand_rows(&state, &items, l),
        next: (offset as usize + items.len() < total.max(0) as usize && page_no < MAX_PAGE)
            .then(|| with(&format!("page={}", page_no + 1))),
        first: (page_no > 2).then(|| with("")),
        prev: (page_no > 1).then(|| with(&format!("page={}", page_no - 1))),
        mine_allowed: own.is_some(),
        mine,
        levels: choices(
            t("all_levels", l),
            level_codes
                .iter()
                .map(|c| (c.to_string(), labels::code("level_", c, l)))
                .collect(),
            level.map(|x| x.as_str()),
        ),
        statuses: choices(
            t("all_statuses", l),
            model::DemandStatus::ALL
                .iter()
                .map(|s| {
                    (
                        s.as_str().to_string(),
                        labels::code("status_", s.as_str(), l),
                    )
                })
                .collect(),
            status,
        ),
        districts: choices(
            t("all_districts", l),
            labels::chongqing_districts(l),
            some(&q.district),
        ),
        trls: choices(
            t("all_stages", l),
            TRL_BANDS
                .iter()
                .map(|(k, _, _)| (k.to_string(), labels::code("trl_band_", k, l)))
                .collect(),
            band.map(|b| b.0),
        ),
        clusters: choices(
            t("all_clusters", l),
            state
                .chains
                .taxonomy
                .clusters
                .iter()
                .map(|c| {
                    let name = if l == Lang::Zh { &c.zh } else { &c.en };
                    (c.code.clone(), name.clone())
                })
                .collect(),
            cluster,
        ),
        filtered: !base.is_empty(),
    };
    respond(&c, StatusCode::OK, &page)
}

struct DemandShow {
    id: i64,
    title: String,
    level: String,
    status: String,
    status_label: String,
    owner: String,
    owner_href: Option<String>,
    problem: String,
    metrics: Vec<String>,
    trl: Option<String>,
    budget: Option<String>,
    deadline: Option<String>,
    cooperation: String,
    clusters: Vec<(String, String)>,
    region: Option<String>,
    posted: String,
}

#[derive(Template)]
#[template(path = "demand.html")]
struct DemandPage {
    f: Frame,
    d: DemandShow,
    owner_view: bool,
    saved: bool,
    answer: Option<AnswerShow>,
    error: Option<String>,
    /// 发起对接 on this need (a signed-in organization other than its owner).
    engage: Option<String>,
}

/// A budget range in the page's words.
fn budget(d: &Demand, l: Lang) -> Option<String> {
    let y = |f: model::Fen| super::format::yuan((f.0 / 100).max(0) as u64, l);
    match (d.budget.min, d.budget.max) {
        (None, None) => None,
        (Some(a), Some(b)) if a == b => Some(y(a)),
        (Some(a), Some(b)) => Some(format!("{} – {}", y(a), y(b))),
        (Some(a), None) => Some(format!("≥ {}", y(a))),
        (None, Some(b)) => Some(format!("≤ {}", y(b))),
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DemandQuery {
    lang: Option<String>,
    format: Option<String>,
    saved: Option<String>,
}

pub(super) async fn demand_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DemandQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let pass = state.policy.demand_pass(&c.viewer);
    let d = match c.viewer.demand(&state.store, &pass, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return teaser_page(&state, &c, id).await,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let dm = d.demand().clone();
    let owner_href = match state
        .store
        .find_organization(&dm.owner, dm.owner_uscc.as_ref().map(|u| u.as_str()))
        .await
    {
        Ok(Some(o)) => Some(record_href(model::RecordKind::Organization, o.id)),
        _ => None,
    };
    let owner_view = api::owns_demand(&state, &c.viewer, &dm)
        .await
        .unwrap_or(false);
    let answer = api::matches_of(&state, &d, &pass, None, 10).await;
    if q.format.as_deref() == Some("xlsx") && owner_view {
        return export(&c, &dm, answer.ok().map(|a| AnswerShow::new(&state, a, l)));
    }
    let show = DemandShow {
        id,
        title: dm.title.clone(),
        level: dm.confidentiality.as_str().to_string(),
        status: dm.status.as_str().to_string(),
        status_label: labels::code("status_", dm.status.as_str(), l),
        owner: dm.owner.clone(),
        owner_href,
        problem: dm.problem.clone(),
        metrics: dm.target_metrics.clone(),
        trl: dm.trl_needed.map(|x| labels::trl(x.get(), l)),
        budget: budget(&dm, l),
        deadline: dm.deadline.map(|x| x.to_string()),
        cooperation: labels::codes("cm_", dm.cooperation.iter().map(|m| m.as_str()), l),
        clusters: dm
            .clusters
            .iter()
            .map(|x| (format!("/chains/{x}"), labels::cluster(&state, x, l)))
            .collect(),
        region: dm.region.as_ref().map(|r| labels::region(r, l)),
        posted: super::format::china_time(d.stored().created_at.timestamp()),
    };
    let has_org = c.viewer.user().is_some_and(|u| u.organization_id.is_some());
    let mut page = DemandPage {
        f: c.frame(&dm.title),
        d: show,
        owner_view,
        saved: q.saved.is_some(),
        answer: None,
        error: None,
        engage: (has_org && !owner_view && dm.status == model::DemandStatus::Open)
            .then(|| format!("/engagements/new?demand={id}")),
    };
    match answer {
        Ok(a) if owner_view && dm.status == model::DemandStatus::Open => {
            page.answer =
                Some(AnswerShow::new(&state, a, l).engage_links(|k, item| {
                    format!("/engagements/new?demand={id}&kind={k}&id={item}")
                }))
        }
        Ok(a) => page.answer = Some(AnswerShow::new(&state, a, l)),
        Err(e) => page.error = Some(e.message),
    }
    respond(&c, StatusCode::OK, &page)
}

/// The need and its matches as a spreadsheet, for its owner.
fn export(c: &Ctx, d: &Demand, answer: Option<AnswerShow>) -> Response {
    let l = c.lang;
    let headers = super::labels::words(
        &[
            "export_rank",
            "export_match",
            "export_kind",
            "export_strength",
            "export_why",
            "export_link",
        ],
        l,
    );
    let mut rows = vec![vec![
        String::new(),
        d.title.clone(),
        t("kind_demand", l).to_string(),
        String::new(),
        d.problem.clone(),
        String::new(),
    ]];
    if let Some(a) = answer {
        rows.extend(a.export_rows());
    }
    let stamp = chrono::Utc::now().format("%Y%m%d");
    xlsx_download(
        &format!("need-{stamp}.xlsx"),
        t("export_sheet_need", l),
        &headers,
        &rows,
    )
}

/// What a signed-in user reads of an NDA-only need with a public summary: the summary and its
/// filters, the way to ask for the full text (an engagement, then the NDA). Anyone else, and any
/// need without a summary, gets the same "not found" as a missing id.
#[derive(Template)]
#[template(path = "demand_teaser.html")]
struct TeaserPage {
    f: Frame,
    id: i64,
    summary: String,
    status: String,
    status_label: String,
    trl: Option<String>,
    deadline: Option<String>,
    clusters: Vec<(String, String)>,
    region: Option<String>,
    engage: bool,
}

async fn teaser_page(state: &AppState, c: &Ctx, id: i64) -> Response {
    let l = c.lang;
    let Some(user) = c.viewer.user() else {
        return not_found_page(c);
    };
    let t_ = match state.store.teaser(id).await {
        Ok(Some(t_)) => t_,
        Ok(None) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let page = TeaserPage {
        f: c.frame(&t_.summary),
        id,
        status_label: labels::code("status_", &t_.status, l),
        trl: t_
            .trl_needed
            .and_then(|x| u8::try_from(x).ok())
            .map(|x| labels::trl(x, l)),
        deadline: t_.deadline.clone(),
        clusters: t_
            .cluster_codes()
            .into_iter()
            .map(|x| (format!("/chains/{x}"), labels::cluster(state, x, l)))
            .collect(),
        region: t_
            .region_code
            .as_deref()
            .and_then(model::Region::lookup)
            .map(|r| labels::region(&r, l)),
        engage: user.organization_id.is_some() && t_.status == "open",
        status: t_.status.clone(),
        summary: t_.summary,
    };
    respond(c, StatusCode::OK, &page)
}
