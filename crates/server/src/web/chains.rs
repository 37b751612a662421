//! The chain-map pages: the cluster overview, a cluster's graph with its gap table and key
//! technologies, and a node's drill-down with its fillers. The tables are server-rendered (they work
//! without JavaScript); the graph and the SVG/PNG export are drawn by `chains.js` with the vendored
//! ECharts.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chain::{Filler, GapStatus, NodeGap};

use super::{ctx, esc, not_found_page, page, t, Ctx, Lang};
use crate::chains::{self as api, ChainParams, FillerParams};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(serde::Deserialize, Default)]
pub(super) struct ChainQuery {
    lang: Option<String>,
    region: Option<String>,
    /// Set after a manual assignment was saved.
    saved: Option<String>,
}

/// The node page's manual-assignment form.
#[derive(serde::Deserialize)]
pub(super) struct OverrideForm {
    csrf: String,
    record_kind: String,
    record_id: String,
    action: String,
    #[serde(default)]
    note: String,
}

/// A failed chain page as a page (the message names the fix), not a JSON body.
fn error_page(c: &Ctx, e: crate::error::ApiError) -> Response {
    let body = format!(
        "<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/chains\">{}</a></p>",
        t("chain_title", c.lang),
        esc(&e.message),
        t("chain_title", c.lang)
    );
    (e.status, page(c, t("chain_title", c.lang), &body)).into_response()
}

fn may_override(c: &Ctx) -> bool {
    c.viewer.user().is_some_and(|u| {
        matches!(
            u.role,
            crate::access::Role::Admin | crate::access::Role::PlatformOperator
        )
    })
}

fn override_form(c: &Ctx, code: &str, error: Option<&str>) -> String {
    let l = c.lang;
    let kinds = ["outcome", "organization", "person", "demand"]
        .iter()
        .map(|k| {
            format!(
                "<option value=\"{k}\">{}</option>",
                t(&format!("chain_kind_{k}"), l)
            )
        })
        .collect::<String>();
    format!(
        "<h2>{}</h2>{}<form class=\"stack\" id=\"override-form\" method=\"post\" action=\"/chains/nodes/{}/override\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"ov-kind\">{}</label><select id=\"ov-kind\" name=\"record_kind\">{kinds}</select>\
         <label for=\"ov-id\">{}</label><input type=\"text\" id=\"ov-id\" name=\"record_id\" inputmode=\"numeric\" required>\
         <label for=\"ov-action\">{}</label><select id=\"ov-action\" name=\"action\">\
         <option value=\"add\">{}</option><option value=\"remove\">{}</option><option value=\"clear\">{}</option></select>\
         <label for=\"ov-note\">{}</label><input type=\"text\" id=\"ov-note\" name=\"note\">\
         <p><button type=\"submit\">{}</button></p></form>",
        t("chain_override", l),
        error
            .map(|e| format!("<p class=\"error\">{}</p>", esc(e)))
            .unwrap_or_default(),
        esc(code),
        esc(&c.csrf),
        t("chain_record_kind", l),
        t("chain_record_id", l),
        t("chain_action", l),
        t("chain_action_add", l),
        t("chain_action_remove", l),
        t("chain_action_clear", l),
        t("chain_note", l),
        t("chain_save", l),
    )
}

/// `POST /chains/nodes/{id}/override`: the form's manual assignment, through the API's checks.
pub(super) async fn override_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    axum::extract::Form(f): axum::extract::Form<OverrideForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    let fail = |c: &Ctx, status: axum::http::StatusCode, message: &str| {
        let body = override_form(c, &code, Some(message));
        (status, page(c, t("chain_override", l), &body)).into_response()
    };
    if f.csrf != c.csrf {
        return fail(&c, axum::http::StatusCode::FORBIDDEN, t("csrf_failed", l));
    }
    let Ok(record_id) = f.record_id.trim().parse::<i64>() else {
        return fail(
            &c,
            axum::http::StatusCode::BAD_REQUEST,
            &format!("record id '{}': give the record's number", f.record_id),
        );
    };
    let r = crate::chains::OverrideRequest {
        record_kind: f.record_kind,
        record_id,
        node: code.clone(),
        action: f.action,
        note: f.note,
    };
    match api::override_for(&state, &c.viewer, r).await {
        Ok(()) => {
            axum::response::Redirect::to(&format!("/chains/nodes/{code}?saved=1")).into_response()
        }
        Err(e) => fail(&c, e.status, &e.message),
    }
}

fn status_chip(s: GapStatus, bottleneck: bool, l: Lang) -> String {
    let (label, class) = match s {
        GapStatus::Strong => (t("chain_strong", l), "st-strong"),
        GapStatus::Weak => (t("chain_weak", l), "st-weak"),
        GapStatus::Missing => (t("chain_missing", l), "st-missing"),
    };
    let mut h = format!("<span class=\"chip {class}\">{}</span>", esc(label));
    if bottleneck {
        let _ = write!(
            h,
            " <span class=\"chip st-bottleneck\">{}</span>",
            esc(t("chain_bottleneck", l))
        );
    }
    h
}

fn region_form(action: &str, region: &str, l: Lang) -> String {
    format!(
        "<form class=\"inline region\" method=\"get\" action=\"{}\"><label for=\"region\">{}</label>\
         <input type=\"text\" id=\"region\" name=\"region\" value=\"{}\"><button type=\"submit\">{}</button></form>",
        esc(action),
        t("chain_region", l),
        esc(region),
        t("chain_apply", l)
    )
}

/// Reasons in the page's language, escaped.
fn reasons_in(reasons: &[chain::Reason], l: Lang) -> Vec<String> {
    reasons
        .iter()
        .map(|r| {
            esc(match l {
                Lang::Zh => &r.zh,
                Lang::En => &r.en,
            })
        })
        .collect()
}

fn name(zh: &str, en: &str, l: Lang) -> String {
    match l {
        Lang::Zh => esc(zh),
        Lang::En => esc(en),
    }
}

fn thresholds(c: &Ctx, g: &chain::ClusterGaps) -> String {
    let th = &g.thresholds;
    let l = c.lang;
    format!(
        "<p class=\"why\" id=\"thresholds\">{}: {} ≥ {} · {} ≥ {} (TRL ≥ {}) · {} · {} ≥ {}, {} ≥ {}, {} ≤ {} — data/chains/gaps.toml</p>",
        t("chain_thresholds", l),
        t("chain_local_enterprises", l),
        th.status.strong_min_enterprises,
        t("chain_local_supply", l),
        th.status.strong_min_supply,
        th.status.supply_min_trl,
        t("chain_missing_rule", l),
        t("chain_importance", l),
        th.bottleneck.min_importance,
        t("chain_open_needs", l),
        th.bottleneck.min_open_needs,
        t("chain_mature_local", l),
        th.bottleneck.max_local_mature_outcomes,
    )
}

/// `/chains`: every cluster by tier, with its status counts for the region.
pub(super) async fn overview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = ChainParams {
        region: q.region.clone(),
        as_of: None,
    };
    let v = match api::chains_for(&state, &c.viewer, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    let mut b = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p>{}",
        t("chain_title", l),
        t("chain_lead", l),
        region_form("/chains", &v.region_name, l)
    );
    let _ = write!(
        b,
        "<p class=\"why\">{} {} · {} {}</p>",
        t("chain_taxonomy", l),
        esc(&v.version),
        t("chain_effective", l),
        esc(&v.effective_from)
    );
    // The city-wide key-technology map first: what to attack before anything else.
    let _ = write!(
        b,
        "<h2>{}</h2><ol id=\"city-key-tech\">",
        t("chain_key_tech_city", l)
    );
    for k in &v.key_technologies {
        let n = &k.node;
        let why = reasons_in(&n.reasons, l);
        let _ = write!(
            b,
            "<li><a href=\"/chains/nodes/{}\">{}</a> <span class=\"code\">{}</span> {} <span class=\"score\">{} {:.1}</span><div class=\"why\">{}</div></li>",
            esc(&n.node),
            name(&n.zh, &n.en, l),
            esc(&k.cluster),
            status_chip(n.status, n.bottleneck, l),
            t("chain_priority", l),
            n.priority,
            why.join("；")
        );
    }
    b.push_str("</ol>");
    let mut tiers = v.tiers.clone();
    tiers.sort_by_key(|t| t.rank);
    for tier in &tiers {
        // A cluster is shown under the best-ranked tier it belongs to.
        let rank_of = |code: &str| {
            v.tiers
                .iter()
                .find(|t| t.code == code)
                .map(|t| t.rank)
                .unwrap_or(u32::MAX)
        };
        let here: Vec<&api::ClusterSummary> = v
            .clusters
            .iter()
            .filter(|c| {
                c.memberships
                    .iter()
                    .min_by_key(|m| rank_of(&m.tier))
                    .is_some_and(|m| m.tier == tier.code)
            })
            .collect();
        if here.is_empty() {
            continue;
        }
        let _ = write!(
            b,
            "<h2>{}</h2><table class=\"grid clusters\"><thead><tr><th>{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            name(&tier.zh, &tier.en, l),
            t("chain_cluster", l),
            t("chain_listing", l),
            t("chain_nodes", l),
            t("chain_strong", l),
            t("chain_weak", l),
            t("chain_missing", l),
            t("chain_bottleneck", l),
            t("chain_key_tech", l),
        );
        for s in here {
            let listing: Vec<String> = s
                .memberships
                .iter()
                .map(|m| {
                    let status = match m.status {
                        chain::Status::Confirmed => t("chain_confirmed", l),
                        chain::Status::Unconfirmed => t("chain_unconfirmed", l),
                    };
                    let tier = v
                        .tiers
                        .iter()
                        .find(|t| t.code == m.tier)
                        .map(|t| name(&t.zh, &t.en, l))
                        .unwrap_or_else(|| esc(&m.tier));
                    format!(
                        "<span title=\"{}\">{tier} · {status} · {}</span>",
                        esc(&m.source),
                        esc(&m.effective_from)
                    )
                })
                .collect();
            let keys: Vec<String> = s
                .key_technologies
                .iter()
                .filter_map(|k| state.chains.taxonomy.node(k))
                .map(|n| {
                    format!(
                        "<a href=\"/chains/nodes/{}\">{}</a>",
                        esc(&n.code),
                        name(&n.zh, &n.en, l)
                    )
                })
                .collect();
            let _ = write!(
                b,
                "<tr data-cluster=\"{}\"><td><a href=\"/chains/{}\">{}</a> <span class=\"code\">{}</span></td>\
                 <td class=\"listing\">{}</td><td>{}</td><td class=\"n st-strong\">{}</td><td class=\"n st-weak\">{}</td>\
                 <td class=\"n st-missing\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&s.code),
                esc(&s.code),
                name(&s.zh, &s.en, l),
                esc(&s.code),
                listing.join("<br>"),
                s.nodes,
                s.strong,
                s.weak,
                s.missing,
                s.bottlenecks,
                keys.join("、")
            );
        }
        b.push_str("</tbody></table>");
    }
    page(&c, t("chain_title", l), &b)
}

fn node_row(n: &NodeGap, l: Lang) -> String {
    let reasons = reasons_in(&n.reasons, l);
    format!(
        "<tr id=\"node-{code}\" data-node=\"{code}\" data-status=\"{status}\" data-bottleneck=\"{bn}\">\
         <td>{chip}</td><td class=\"{indent}\"><a href=\"/chains/nodes/{code}\">{name}</a> <span class=\"code\">{code}</span></td>\
         <td>{stage}</td><td class=\"n\">{imp}</td><td class=\"n\">{le}/{e}</td><td class=\"n\">{sup}</td><td class=\"n\">{needs}</td>\
         <td class=\"why\">{reasons}</td><td><button type=\"button\" class=\"link show-fillers\" data-node=\"{code}\">{show}</button></td></tr>",
        code = esc(&n.node),
        status = n.status.as_str(),
        bn = n.bottleneck,
        chip = status_chip(n.status, n.bottleneck, l),
        indent = if n.parent.is_some() { "child" } else { "" },
        name = name(&n.zh, &n.en, l),
        stage = match l {
            Lang::Zh => n.stage.label_zh(),
            Lang::En => n.stage.as_str(),
        },
        imp = n.importance,
        le = n.counts.local_enterprises,
        e = n.counts.enterprises,
        sup = n.counts.local_supply,
        needs = n.counts.open_needs,
        reasons = reasons.join("；"),
        show = t("chain_fillers", l),
    )
}

/// `/chains/{cluster}`: the graph, the key-technology map and the gap table.
pub(super) async fn cluster_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = ChainParams {
        region: q.region.clone(),
        as_of: None,
    };
    let v = match api::gaps_for(&state, &c.viewer, &code, &p).await {
        Ok(v) => v,
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => return not_found_page(&c),
        Err(e) => return error_page(&c, e),
    };
    let g = &v.gaps;
    let title = name(&g.zh, &g.en, l);
    let mut b = format!(
        "<p class=\"crumbs\"><a href=\"/chains\">{}</a> ›</p><h1>{title} <span class=\"code\">{}</span></h1>",
        t("chain_title", l),
        esc(&g.cluster)
    );
    for m in &v.memberships {
        let status = match m.status {
            chain::Status::Confirmed => t("chain_confirmed", l),
            chain::Status::Unconfirmed => t("chain_unconfirmed", l),
        };
        let tier = state
            .chains
            .taxonomy
            .tier(&m.tier)
            .map(|t| name(&t.zh, &t.en, l))
            .unwrap_or_else(|| esc(&m.tier));
        let _ = write!(
            b,
            "<p class=\"why\">{tier} · {status} · {}{} · {}</p>",
            esc(&m.effective_from),
            m.effective_to
                .as_deref()
                .map(|e| format!("–{}", esc(e)))
                .unwrap_or_default(),
            esc(&m.source)
        );
    }
    b.push_str(&region_form(
        &format!("/chains/{}", g.cluster),
        &v.region_name,
        l,
    ));
    b.push_str(&thresholds(&c, g));
    let count = |s: GapStatus| g.nodes.iter().filter(|n| n.status == s).count();
    let _ = write!(
        b,
        "<p class=\"legend\"><span class=\"chip st-strong\">{} {}</span> <span class=\"chip st-weak\">{} {}</span> \
         <span class=\"chip st-missing\">{} {}</span> <span class=\"chip st-bottleneck\">{} {}</span></p>",
        t("chain_strong", l),
        count(GapStatus::Strong),
        t("chain_weak", l),
        count(GapStatus::Weak),
        t("chain_missing", l),
        count(GapStatus::Missing),
        t("chain_bottleneck", l),
        g.nodes.iter().filter(|n| n.bottleneck).count()
    );
    let _ = write!(
        b,
        "<div class=\"graph-tools\"><button type=\"button\" id=\"export-svg\">{}</button> \
         <button type=\"button\" id=\"export-png\">{}</button></div>\
         <div id=\"chain-graph\" data-cluster=\"{}\" data-region=\"{}\" data-lang=\"{}\" role=\"img\" aria-label=\"{}\"></div>\
         <aside id=\"node-panel\" hidden></aside>",
        t("chain_export_svg", l),
        t("chain_export_png", l),
        esc(&g.cluster),
        esc(&g.region),
        if l == Lang::Zh { "zh" } else { "en" },
        t("chain_graph", l)
    );
    let _ = write!(b, "<h2>{}</h2><ol id=\"key-tech\">", t("chain_key_tech", l));
    for code in &g.key_technologies {
        if let Some(n) = g.nodes.iter().find(|n| &n.node == code) {
            let why = reasons_in(&n.reasons, l);
            let _ = write!(
                b,
                "<li><a href=\"/chains/nodes/{}\">{}</a> {} <span class=\"score\">{} {:.1} = {} {} × …</span><div class=\"why\">{}</div></li>",
                esc(&n.node),
                name(&n.zh, &n.en, l),
                status_chip(n.status, n.bottleneck, l),
                t("chain_priority", l),
                n.priority,
                t("chain_importance", l),
                n.importance,
                why.join("；")
            );
        }
    }
    b.push_str("</ol>");
    let _ = write!(
        b,
        "<h2>{}</h2><div class=\"scroll\"><table class=\"grid nodes\" id=\"gap-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        t("chain_nodes", l),
        t("chain_status", l),
        t("chain_node", l),
        t("chain_stage", l),
        t("chain_importance", l),
        t("chain_local_enterprises", l),
        t("chain_local_supply", l),
        t("chain_open_needs", l),
        t("chain_reasons", l),
    );
    for n in &g.nodes {
        b.push_str(&node_row(n, l));
    }
    b.push_str("</tbody></table></div><script src=\"/assets/vendor/echarts.min.js\"></script><script src=\"/assets/chains.js\"></script>");
    page(&c, &format!("{} · {}", g.zh, t("chain_title", l)), &b)
}

fn filler_list(list: &[Filler], l: Lang, id: &str) -> String {
    if list.is_empty() {
        return format!(
            "<p class=\"why\" id=\"{id}\">{}</p>",
            t("chain_none_found", l)
        );
    }
    let mut h = format!("<ol class=\"hits\" id=\"{id}\">");
    for f in list {
        let href = match f.record_kind.as_str() {
            "outcome" => format!("/outcomes/{}", f.id),
            "person" => format!("/experts/{}", f.id),
            _ => format!("/organizations/{}", f.id),
        };
        let reasons = match l {
            Lang::Zh => &f.reasons_zh,
            Lang::En => &f.reasons_en,
        };
        let _ = write!(
            h,
            "<li data-locality=\"{:?}\"><div class=\"hit-head\"><a class=\"title\" href=\"{href}\">{}</a>\
             <span class=\"tag\">{}</span><span class=\"tag loc\">{}</span><span class=\"score\">{:.2}</span></div>\
             <div class=\"why\">{}</div></li>",
            f.locality,
            esc(&f.name),
            esc(&f.sub_kind),
            esc(match l {
                Lang::Zh => f.locality.label_zh(),
                Lang::En => match f.locality {
                    chain::Locality::Local => "local",
                    chain::Locality::Chengyu => "Chengdu–Chongqing",
                    chain::Locality::Elsewhere => "elsewhere",
                },
            }),
            f.score,
            reasons.iter().map(|r| esc(r)).collect::<Vec<_>>().join("；")
        );
    }
    h.push_str("</ol>");
    h
}

/// `/chains/nodes/{id}`: a node's definition, gap, who is on it and who could fill it.
pub(super) async fn node_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = FillerParams {
        region: q.region.clone(),
        as_of: None,
        limit: Some(8),
    };
    let v = match api::fillers_for(&state, &c.viewer, &code, &p).await {
        Ok(v) => v,
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => return not_found_page(&c),
        Err(e) => return error_page(&c, e),
    };
    let n = &v.node;
    let g = &v.result.gap;
    let mut b = format!(
        "<p class=\"crumbs\"><a href=\"/chains\">{}</a> › <a href=\"/chains/{}\">{}</a> ›</p>\
         <h1>{} <span class=\"code\">{}</span> {}</h1>",
        t("chain_title", l),
        esc(&v.cluster),
        esc(&v.cluster_zh),
        name(&n.zh, &n.en, l),
        esc(&n.code),
        status_chip(g.status, g.bottleneck, l)
    );
    b.push_str(&region_form(
        &format!("/chains/nodes/{}", n.code),
        &v.region_name,
        l,
    ));
    let provenance = match n.provenance {
        chain::Provenance::Official => format!("{}: {}", t("chain_official", l), esc(&n.source)),
        chain::Provenance::Draft => format!("{}: {}", t("chain_draft", l), esc(&n.source)),
    };
    let _ = write!(
        b,
        "<table class=\"kv\"><tr><th>{}</th><td>{} · {} {}</td></tr><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>IPC</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>{}</th><td>{}/{} · {} {} · {} {} · {}/{}/{}/{} (TRL 1–3/4–6/7–9/?)</td></tr></table>",
        t("chain_stage", l),
        match l {
            Lang::Zh => n.stage.label_zh(),
            Lang::En => n.stage.as_str(),
        },
        t("chain_importance", l),
        n.importance,
        t("chain_keywords", l),
        esc(&format!("{} · {}", n.keywords_zh.join("、"), n.keywords_en.join(", "))),
        esc(&n.ipc.join(", ")),
        t("chain_industry_codes", l),
        esc(&n.industry_codes.join(", ")),
        t("chain_provenance", l),
        provenance,
        t("chain_counts", l),
        g.counts.local_enterprises,
        g.counts.enterprises,
        t("chain_local_supply", l),
        g.counts.local_supply,
        t("chain_open_needs", l),
        g.counts.open_needs,
        g.counts.local_outcomes.research,
        g.counts.local_outcomes.development,
        g.counts.local_outcomes.deployment,
        g.counts.local_outcomes.unknown,
    );
    b.push_str("<ul class=\"why\" id=\"node-reasons\">");
    for r in &g.reasons {
        let _ = write!(
            b,
            "<li>{}</li>",
            esc(match l {
                Lang::Zh => &r.zh,
                Lang::En => &r.en,
            })
        );
    }
    b.push_str("</ul>");
    let f = &v.result.fillers;
    let sections = [
        ("chain_fill_outcomes", &f.outcomes, "fill-outcomes"),
        ("chain_fill_experts", &f.experts, "fill-experts"),
        ("chain_fill_labs", &f.labs, "fill-labs"),
        ("chain_fill_platforms", &f.pilot_platforms, "fill-platforms"),
        ("chain_on_link", &v.result.enterprises, "on-link"),
    ];
    let _ = write!(
        b,
        "<h2>{}</h2><p class=\"why\">{}</p>",
        t("chain_fillers", l),
        t("chain_fill_order", l)
    );
    for (key, list, id) in sections {
        let _ = write!(b, "<h3>{}</h3>{}", t(key, l), filler_list(list, l, id));
    }
    if !v.result.notes.is_empty() {
        let _ = write!(
            b,
            "<p class=\"notes\">{}</p>",
            esc(&v.result.notes.join(" · "))
        );
    }
    if may_override(&c) {
        if q.saved.is_some() {
            let _ = write!(
                b,
                "<p class=\"ok\" id=\"override-saved\">{}</p>",
                t("chain_saved", l)
            );
        }
        b.push_str(&override_form(&c, &n.code, None));
    }
    page(&c, &format!("{} · {}", n.zh, t("chain_title", l)), &b)
}
