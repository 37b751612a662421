//! The tier funnel officials read: each ladder drawn as a funnel chart (ECharts, from data in the
//! page), the whole in a table of words, clusters and districts by name with a number per cell
//! that opens the enterprises behind it, dropdown filters, and XLSX export of the table and of
//! any list. Enterprises go to their own standing (the what-if) instead.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::tiers::{Funnel, FunnelRow, TierCounts, CELLS};

use super::format::{query, xlsx_download};
use super::tiers::scheme_name;
use super::{ctx, labels, respond, t, Choice, Ctx, Frame, Lang, MessagePage};
use crate::state::AppState;
use crate::tiers::{self as api, FunnelParams, MembersParams};
use crate::ApiQuery;

#[derive(serde::Deserialize, Default)]
pub(super) struct FunnelQuery {
    lang: Option<String>,
    as_of: Option<String>,
    cluster: Option<String>,
    district: Option<String>,
    format: Option<String>,
}

/// A number of the funnel with the link to the enterprises behind it.
struct Cell {
    n: usize,
    href: String,
}

/// One scheme's row of the whole: every cell in words.
struct SchemeRow {
    name: String,
    cells: Vec<Cell>,
}

/// A cluster's or district's row: per scheme, held and "could apply" (qualify, not held).
struct GroupRow {
    name: String,
    enterprises: usize,
    cells: Vec<(Cell, Cell)>,
}

#[derive(Template)]
#[template(path = "tiers.html")]
struct FunnelPage {
    f: Frame,
    as_of: String,
    clusters: Vec<Choice>,
    districts: Vec<Choice>,
    enterprises: usize,
    schemes: Vec<String>,
    cell_keys: Vec<String>,
    whole: Vec<SchemeRow>,
    by_cluster: Vec<GroupRow>,
    by_district: Vec<GroupRow>,
    chart_json: String,
    export_href: String,
    refused: usize,
}

/// Where a cell's enterprises are listed.
fn members_href(base: &[(&str, &str)], scheme: &str, cell: &str) -> String {
    let mut pairs = base.to_vec();
    pairs.push(("scheme", scheme));
    pairs.push(("cell", cell));
    format!("/tiers/list?{}", query(&pairs))
}

fn count(c: &TierCounts, cell: &str) -> usize {
    match cell {
        "held" => c.held,
        "qualify" => c.qualify,
        "qualify_not_held" => c.qualify_not_held,
        "unknown" => c.unknown,
        "pending_assessor" => c.pending_assessor,
        "fail" => c.fail,
        _ => c.next_step,
    }
}

fn sum(a: &mut TierCounts, b: &TierCounts) {
    a.held += b.held;
    a.qualify += b.qualify;
    a.qualify_not_held += b.qualify_not_held;
    a.unknown += b.unknown;
    a.pending_assessor += b.pending_assessor;
    a.fail += b.fail;
    a.next_step += b.next_step;
}

/// The district rows: Chongqing's districts by name, then everything outside the city as one row
/// (an enterprise registered in 成都市 is not a district of this funnel).
fn district_rows(f: &Funnel, l: Lang) -> Vec<(String, Option<String>, FunnelRow)> {
    let inside: Vec<(String, String)> = labels::chongqing_districts(Lang::Zh);
    let mut out = vec![];
    let mut elsewhere = FunnelRow {
        group: String::new(),
        ..Default::default()
    };
    for r in &f.by_district {
        match inside.iter().find(|(_, zh)| zh == &r.group) {
            Some(_) => {
                let name = model::Region::lookup(&r.group)
                    .map(|x| labels::region(&x, l))
                    .unwrap_or_else(|| r.group.clone());
                out.push((name, Some(r.group.clone()), r.clone()));
            }
            None => {
                elsewhere.enterprises += r.enterprises;
                for (k, v) in &r.schemes {
                    sum(elsewhere.schemes.entry(k.clone()).or_default(), v);
                }
            }
        }
    }
    if elsewhere.enterprises > 0 {
        out.push((t("tiers_outside_city", l).to_string(), None, elsewhere));
    }
    out
}

fn group_row(f: &Funnel, name: String, r: &FunnelRow, base: &[(&str, &str)]) -> GroupRow {
    GroupRow {
        name,
        enterprises: r.enterprises,
        cells: f
            .schemes
            .iter()
            .map(|s| {
                let c = r.schemes.get(s).cloned().unwrap_or_default();
                (
                    Cell {
                        n: c.held,
                        href: members_href(base, s, "held"),
                    },
                    Cell {
                        n: c.qualify_not_held,
                        href: members_href(base, s, "qualify_not_held"),
                    },
                )
            })
            .collect(),
    }
}

/// The chart's data: per ladder, its steps with held and qualifying counts (JSON for tiers.js, in
/// an attribute the template escapes).
fn chart_json(state: &AppState, f: &Funnel, l: Lang) -> String {
    let ladders: Vec<serde_json::Value> = state
        .rulebook
        .ladders
        .iter()
        .map(|ladder| {
            let steps: Vec<serde_json::Value> = ladder
                .steps
                .iter()
                .map(|s| {
                    let c = f.total.schemes.get(s).cloned().unwrap_or_default();
                    serde_json::json!({
                        "name": scheme_name(state, s, l),
                        "held": c.held,
                        "qualify": c.qualify,
                    })
                })
                .collect();
            serde_json::json!({
                "name": if l == Lang::Zh { &ladder.zh } else { &ladder.en },
                "steps": steps,
            })
        })
        .collect();
    serde_json::json!({
        "ladders": ladders,
        "held": t("tiers_cell_held", l),
        "qualify": t("tiers_cell_qualify", l),
    })
    .to_string()
}

pub(super) async fn funnel_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let title = t("tiers_title", l);
    // An enterprise's tier page is its own standing.
    if c.viewer.user().is_some()
        && !c.viewer.is_official()
        && super::tiers::own_uscc(&state, &c).await.is_some()
    {
        return Redirect::to("/tiers/whatif").into_response();
    }
    let cluster = q.cluster.clone().filter(|s| !s.is_empty());
    let district = q.district.clone().filter(|s| !s.is_empty());
    let params = FunnelParams {
        as_of: q.as_of.clone().filter(|s| !s.is_empty()),
        cluster: cluster.clone(),
        district: district.clone(),
    };
    let f = match api::funnel_for(&state, &c.viewer, &params).await {
        Ok(f) => f,
        Err(e) => return refusal(&c, title, e),
    };
    let as_of = f.as_of.to_string();
    let base: Vec<(&str, &str)> = vec![
        ("as_of", as_of.as_str()),
        ("cluster", cluster.as_deref().unwrap_or("")),
        ("district", district.as_deref().unwrap_or("")),
    ];
    if q.format.as_deref() == Some("xlsx") {
        return export(&state, &c, &f);
    }
    let whole = f
        .schemes
        .iter()
        .map(|s| {
            let counts = f.total.schemes.get(s).cloned().unwrap_or_default();
            SchemeRow {
                name: scheme_name(&state, s, l),
                cells: CELLS
                    .iter()
                    .map(|cell| Cell {
                        n: count(&counts, cell),
                        href: members_href(&base, s, cell),
                    })
                    .collect(),
            }
        })
        .collect();
    let by_cluster = f
        .by_cluster
        .iter()
        .map(|r| {
            let name = if r.group == "—" {
                t("tiers_no_cluster", l).to_string()
            } else {
                labels::cluster(&state, &r.group, l)
            };
            let mut b = base.clone();
            b[1] = ("cluster", r.group.as_str());
            group_row(&f, name, r, &b)
        })
        .collect();
    let by_district = district_rows(&f, l)
        .into_iter()
        .map(|(name, key, r)| {
            let mut b = base.clone();
            if let Some(k) = &key {
                b[2] = ("district", k.as_str());
                group_row(&f, name, &r, &b)
            } else {
                // The outside-the-city row has no single district to list.
                let mut g = group_row(&f, name, &r, &b);
                for (a, z) in g.cells.iter_mut() {
                    a.href.clear();
                    z.href.clear();
                }
                g
            }
        })
        .collect();
    let page = FunnelPage {
        f: c.frame(title),
        clusters: std::iter::once(Choice {
            value: String::new(),
            label: t("all_clusters", l).to_string(),
            selected: cluster.is_none(),
        })
        .chain(state.chains.taxonomy.clusters.iter().map(|x| Choice {
            selected: cluster.as_deref() == Some(x.code.as_str()),
            value: x.code.clone(),
            label: if l == Lang::Zh {
                x.zh.clone()
            } else {
                x.en.clone()
            },
        }))
        .collect(),
        districts: std::iter::once(Choice {
            value: String::new(),
            label: t("all_districts", l).to_string(),
            selected: district.is_none(),
        })
        .chain(
            labels::chongqing_districts(Lang::Zh)
                .into_iter()
                .map(|(_, zh)| Choice {
                    selected: district.as_deref() == Some(zh.as_str()),
                    label: model::Region::lookup(&zh)
                        .map(|r| labels::region(&r, l))
                        .unwrap_or_else(|| zh.clone()),
                    value: zh,
                }),
        )
        .collect(),
        enterprises: f.total.enterprises,
        schemes: f
            .schemes
            .iter()
            .map(|s| scheme_name(&state, s, l))
            .collect(),
        cell_keys: CELLS.iter().map(|c| format!("tiers_cell_{c}")).collect(),
        whole,
        by_cluster,
        by_district,
        chart_json: chart_json(&state, &f, l),
        export_href: format!("/tiers?{}&format=xlsx", query(&base)),
        refused: f.refused.len(),
        as_of,
    };
    respond(&c, StatusCode::OK, &page)
}

fn refusal(c: &Ctx, title: &str, e: crate::ApiError) -> Response {
    let l = c.lang;
    match e.status {
        StatusCode::UNAUTHORIZED => MessagePage::new(c, title, t("tiers_signin", l))
            .plain()
            .link("/login", t("nav_login", l))
            .respond(c, StatusCode::UNAUTHORIZED),
        StatusCode::FORBIDDEN => {
            MessagePage::new(c, title, t("tiers_forbidden", l)).respond(c, StatusCode::FORBIDDEN)
        }
        s => MessagePage::new(c, title, &e.message).respond(c, s),
    }
}

/// The funnel as a spreadsheet: one row per group and scheme, every cell a column.
fn export(state: &AppState, c: &Ctx, f: &Funnel) -> Response {
    let l = c.lang;
    let mut headers = vec![
        t("tiers_group_kind", l).to_string(),
        t("tiers_group", l).to_string(),
        t("tiers_enterprises", l).to_string(),
        t("whatif_scheme", l).to_string(),
    ];
    headers.extend(
        CELLS
            .iter()
            .map(|x| t(&format!("tiers_cell_{x}"), l).to_string()),
    );
    let mut rows = vec![];
    let mut push = |kind: &str, name: String, r: &FunnelRow| {
        for s in &f.schemes {
            let counts = r.schemes.get(s).cloned().unwrap_or_default();
            let mut row = vec![
                kind.to_string(),
                name.clone(),
                r.enterprises.to_string(),
                scheme_name(state, s, l),
            ];
            row.extend(CELLS.iter().map(|x| count(&counts, x).to_string()));
            rows.push(row);
        }
    };
    push(t("tiers_all", l), t("tiers_all", l).to_string(), &f.total);
    for r in &f.by_cluster {
        push(
            t("tiers_cluster", l),
            labels::cluster(state, &r.group, l),
            r,
        );
    }
    for (name, _, r) in district_rows(f, l) {
        push(t("tiers_district", l), name, &r);
    }
    xlsx_download(
        &format!("tier-funnel-{}.xlsx", f.as_of),
        t("tiers_title", l),
        &headers,
        &rows,
    )
}

struct MemberShow {
    name: String,
    uscc: String,
    district: String,
    clusters: String,
    cells: String,
    whatif: String,
    credit: String,
}

#[derive(Template)]
#[template(path = "tiers_list.html")]
struct ListPage {
    f: Frame,
    heading: String,
    back: String,
    members: Vec<MemberShow>,
    export_href: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    lang: Option<String>,
    as_of: Option<String>,
    cluster: Option<String>,
    district: Option<String>,
    scheme: Option<String>,
    cell: Option<String>,
    format: Option<String>,
}

/// The enterprises behind one number of the funnel.
pub(super) async fn list_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let title = t("tiers_title", l);
    let p = MembersParams {
        as_of: q.as_of.clone().filter(|s| !s.is_empty()),
        cluster: q.cluster.clone().filter(|s| !s.is_empty()),
        district: q.district.clone().filter(|s| !s.is_empty()),
        scheme: q.scheme.clone().unwrap_or_default(),
        cell: q.cell.clone().unwrap_or_default(),
    };
    let members = match api::members_for(&state, &c.viewer, &p).await {
        Ok(m) => m,
        Err(e) => return refusal(&c, title, e),
    };
    let mut within = vec![];
    if let Some(cl) = &p.cluster {
        within.push(labels::cluster(&state, cl, l));
    }
    if let Some(d) = &p.district {
        within.push(
            model::Region::lookup(d)
                .map(|r| labels::region(&r, l))
                .unwrap_or_else(|| d.clone()),
        );
    }
    let heading = format!(
        "{} · {}{}",
        scheme_name(&state, &p.scheme, l),
        t(&format!("tiers_cell_{}", p.cell), l),
        if within.is_empty() {
            String::new()
        } else {
            format!("（{}）", within.join(labels::sep(l)))
        }
    );
    let shown: Vec<MemberShow> = members
        .iter()
        .map(|m| MemberShow {
            name: m.name.clone(),
            uscc: m.uscc.clone(),
            district: m
                .district
                .as_deref()
                .and_then(model::Region::lookup)
                .map(|r| labels::region(&r, l))
                .unwrap_or_default(),
            clusters: m
                .clusters
                .iter()
                .map(|x| labels::cluster(&state, x, l))
                .collect::<Vec<_>>()
                .join(labels::sep(l)),
            cells: m
                .cells
                .iter()
                .map(|x| t(&format!("tiers_cell_{x}"), l).to_string())
                .collect::<Vec<_>>()
                .join(labels::sep(l)),
            whatif: format!("/tiers/whatif?uscc={}", m.uscc),
            credit: format!("/credit/{}", m.uscc),
        })
        .collect();
    if q.format.as_deref() == Some("xlsx") {
        let headers = super::labels::words(
            &[
                "credit_col_name",
                "credit_col_uscc",
                "tiers_district",
                "tiers_cluster",
                "tiers_cells",
            ],
            l,
        );
        let rows: Vec<Vec<String>> = shown
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.uscc.clone(),
                    m.district.clone(),
                    m.clusters.clone(),
                    m.cells.clone(),
                ]
            })
            .collect();
        return xlsx_download(
            &format!("tier-{}-{}.xlsx", p.scheme, p.cell),
            t("tiers_title", l),
            &headers,
            &rows,
        );
    }
    let pairs: Vec<(&str, &str)> = vec![
        ("as_of", p.as_of.as_deref().unwrap_or("")),
        ("cluster", p.cluster.as_deref().unwrap_or("")),
        ("district", p.district.as_deref().unwrap_or("")),
    ];
    let back = format!("/tiers?{}", query(&pairs));
    let mut all = pairs.clone();
    all.push(("scheme", p.scheme.as_str()));
    all.push(("cell", p.cell.as_str()));
    let page = ListPage {
        f: c.frame(&heading),
        heading,
        back,
        members: shown,
        export_href: format!("/tiers/list?{}&format=xlsx", query(&all)),
    };
    respond(&c, StatusCode::OK, &page)
}
