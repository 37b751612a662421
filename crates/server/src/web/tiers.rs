//! The tier pages: the funnel per cluster and district for officials, and the what-if for one
//! enterprise — change last year's figures, see every scheme's result and the credit grade move,
//! with nothing saved. Both are server-rendered forms (GET: no side effects, no JavaScript).

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use rules::{EnterpriseEvaluation, Outcome, Profile};

use super::{ctx, esc, page, t, Ctx, Lang};
use crate::state::AppState;
use crate::tiers::{self as api, FunnelParams};
use crate::ApiQuery;

#[derive(serde::Deserialize, Default)]
pub(super) struct FunnelQuery {
    lang: Option<String>,
    as_of: Option<String>,
    cluster: Option<String>,
    district: Option<String>,
}

/// The what-if's inputs: the enterprise and last year's figures to try (empty: as stored).
#[derive(serde::Deserialize, Default)]
pub(super) struct WhatIfQuery {
    lang: Option<String>,
    uscc: Option<String>,
    as_of: Option<String>,
    revenue: Option<String>,
    rd_expense: Option<String>,
    high_tech_revenue: Option<String>,
    net_profit: Option<String>,
    employees: Option<String>,
    st_staff: Option<String>,
    rd_staff: Option<String>,
    ip_class1: Option<String>,
    ip_class2: Option<String>,
}

fn message_page(c: &Ctx, status: axum::http::StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p class=\"error\">{}</p>",
        esc(title),
        esc(message)
    );
    (status, page(c, title, &body)).into_response()
}

fn result_label(o: Outcome, l: Lang) -> String {
    let (key, class) = match o {
        Outcome::Pass => ("tier_pass", "pass"),
        Outcome::Fail => ("tier_fail", "fail"),
        Outcome::Unknown => ("tier_unknown", "unknown"),
    };
    format!("<span class=\"tag {class}\">{}</span>", t(key, l))
}

fn scheme_name(state: &AppState, code: &str, l: Lang) -> String {
    state
        .rulebook
        .schemes
        .iter()
        .find(|s| s.scheme == code)
        .map(|s| {
            if l == Lang::Zh {
                s.zh.clone()
            } else {
                s.en.clone()
            }
        })
        .unwrap_or_else(|| code.to_string())
}

pub(super) async fn funnel_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let title = t("tiers_title", l);
    let params = FunnelParams {
        as_of: q.as_of.clone().filter(|s| !s.is_empty()),
        cluster: q.cluster.clone(),
        district: q.district.clone(),
    };
    let f = match api::funnel_for(&state, &c.viewer, &params).await {
        Ok(f) => f,
        Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED => {
            let body = format!(
                "<h1>{}</h1><p>{}</p><p><a href=\"/login\">{}</a></p>",
                esc(title),
                t("tiers_signin", l),
                t("nav_login", l)
            );
            return (e.status, page(&c, title, &body)).into_response();
        }
        Err(e) if e.status == axum::http::StatusCode::FORBIDDEN => {
            return message_page(&c, e.status, title, t("tiers_forbidden", l));
        }
        Err(e) => return message_page(&c, e.status, title, &e.message),
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"lead\">{}</p>\
         <form class=\"inline\" method=\"get\" action=\"/tiers\" id=\"funnel-form\">\
         <label>{} <input type=\"date\" name=\"as_of\" value=\"{}\"></label>\
         <label>{} <input type=\"text\" name=\"cluster\" value=\"{}\" placeholder=\"ICV-NEV\"></label>\
         <label>{} <input type=\"text\" name=\"district\" value=\"{}\" placeholder=\"渝北区\"></label>\
         <button type=\"submit\">{}</button> <a href=\"/tiers/whatif\">{}</a></form>\
         <p class=\"lead\">{}</p>",
        esc(title),
        t("tiers_lead", l),
        t("tiers_as_of", l),
        f.as_of,
        t("tiers_cluster", l),
        esc(q.cluster.as_deref().unwrap_or("")),
        t("tiers_district", l),
        esc(q.district.as_deref().unwrap_or("")),
        t("tiers_filter", l),
        t("whatif_title", l),
        t("tiers_legend", l),
    );
    let head: String = f
        .schemes
        .iter()
        .map(|s| format!("<th>{}</th>", esc(&scheme_name(&state, s, l))))
        .collect();
    for (caption, rows) in [
        (t("tiers_total", l), std::slice::from_ref(&f.total)),
        (t("tiers_by_cluster", l), f.by_cluster.as_slice()),
        (t("tiers_by_district", l), f.by_district.as_slice()),
    ] {
        let _ = write!(
            h,
            "<h2>{}</h2><table class=\"grid funnel\"><thead><tr><th>{}</th><th>{}</th>{head}</tr></thead><tbody>",
            caption,
            t("tiers_group", l),
            t("tiers_enterprises", l)
        );
        for r in rows {
            let group = if r.group == "all" {
                t("tiers_all", l).to_string()
            } else {
                r.group.clone()
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td>",
                esc(&group),
                r.enterprises
            );
            for s in &f.schemes {
                let k = r.schemes.get(s).cloned().unwrap_or_default();
                let _ = write!(
                    h,
                    "<td class=\"n\">{} / <b>{}</b> ({}) / {} ({}) / {} ({})</td>",
                    k.held,
                    k.qualify,
                    k.qualify_not_held,
                    k.unknown,
                    k.pending_assessor,
                    k.fail,
                    k.next_step
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>");
    }
    if !f.refused.is_empty() {
        let _ = write!(
            h,
            "<p class=\"error\">{}: {}</p>",
            t("tiers_refused", l),
            esc(&f.refused.join(", "))
        );
    }
    page(&c, title, &h)
}

/// Parses an optional number field; `wan` fields are given in 万元.
fn field(v: &Option<String>, name: &str, wan: bool) -> Result<Option<f64>, String> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .replace([',', '，'], "")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(|x| Some(if wan { x * 1e4 } else { x }))
            .ok_or_else(|| format!("{name}: '{s}' is not a non-negative number")),
    }
}

/// The profile with the tried figures applied to last year (the year before `as_of`).
fn apply(p: &Profile, q: &WhatIfQuery, last_year: i32) -> Result<(Profile, bool), String> {
    let mut out = p.clone();
    let mut changed = false;
    let money = [
        ("revenue", &q.revenue),
        ("rd_expense", &q.rd_expense),
        ("high_tech_revenue", &q.high_tech_revenue),
        ("net_profit", &q.net_profit),
    ];
    let mut values = vec![];
    for (name, v) in money {
        values.push((name, field(v, name, true)?));
    }
    if values.iter().any(|(_, v)| v.is_some()) {
        let idx = match out.financials.iter().position(|f| f.year == last_year) {
            Some(i) => i,
            None => {
                out.financials.push(rules::Financials {
                    year: last_year,
                    ..Default::default()
                });
                out.financials.len() - 1
            }
        };
        let fy = &mut out.financials[idx];
        for (name, v) in values {
            let Some(v) = v else { continue };
            changed = true;
            match name {
                "revenue" => fy.revenue = Some(v),
                "rd_expense" => {
                    // Domestic R&D follows total R&D in the same proportion as stored.
                    let share = match (fy.rd_expense, fy.rd_expense_domestic) {
                        (Some(t), Some(d)) if t > 0.0 => d / t,
                        _ => 1.0,
                    };
                    fy.rd_expense = Some(v);
                    fy.rd_expense_domestic = Some(v * share);
                }
                "high_tech_revenue" => fy.high_tech_revenue = Some(v),
                _ => fy.net_profit = Some(v),
            }
        }
    }
    let count = |v: &Option<String>, name: &str| -> Result<Option<u32>, String> {
        Ok(field(v, name, false)?.map(|x| x.round() as u32))
    };
    for (name, v, slot) in [
        ("employees", &q.employees, &mut out.employees),
        ("st_staff", &q.st_staff, &mut out.st_staff),
        ("rd_staff", &q.rd_staff, &mut out.rd_staff),
        ("ip_class1", &q.ip_class1, &mut out.ip.class1),
        ("ip_class2", &q.ip_class2, &mut out.ip.class2),
    ] {
        if let Some(n) = count(v, name)? {
            *slot = Some(n);
            changed = true;
        }
    }
    if let Some(problem) = out.check().first() {
        return Err(problem.clone());
    }
    Ok((out, changed))
}

fn last_year_value(p: &Profile, year: i32, f: fn(&rules::Financials) -> Option<f64>) -> String {
    p.financials
        .iter()
        .find(|x| x.year == year)
        .and_then(f)
        .map(|v| format!("{}", (v / 1e4 * 100.0).round() / 100.0))
        .unwrap_or_default()
}

fn opt(v: Option<u32>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn score_text(r: &rules::SchemeResult) -> String {
    match (r.score, r.score_range) {
        (Some(s), _) => format!("{s}"),
        (None, Some((lo, hi))) => format!("{lo}–{hi}"),
        _ => "—".into(),
    }
}

fn comparison(
    state: &AppState,
    before: &EnterpriseEvaluation,
    after: &EnterpriseEvaluation,
    l: Lang,
) -> String {
    let mut h = format!(
        "<table class=\"grid\" id=\"whatif-results\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t("whatif_scheme", l),
        t("whatif_before", l),
        t("whatif_after", l)
    );
    for (b, a) in before.schemes.iter().zip(&after.schemes) {
        let moved = if b.result != a.result || b.score != a.score {
            " class=\"moved\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{moved} data-scheme=\"{}\"><td>{}</td><td>{} {}</td><td>{} {}</td></tr>",
            esc(&a.scheme),
            esc(&scheme_name(state, &a.scheme, l)),
            result_label(b.result, l),
            score_text(b),
            result_label(a.result, l),
            score_text(a)
        );
    }
    h.push_str("</tbody></table>");
    h
}

fn credit_text(s: &credit::CreditScore, l: Lang) -> String {
    format!(
        "{:.1} · {} {} · {} {}",
        s.score,
        t("whatif_grade", l),
        s.grade.as_deref().unwrap_or("—"),
        t("whatif_line", l),
        if s.credit_line_yuan > 0 {
            format!("¥{}万", s.credit_line_yuan / 10_000)
        } else {
            "—".into()
        }
    )
}

pub(super) async fn whatif_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<WhatIfQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let title = t("whatif_title", l);
    if c.viewer.user().is_none() {
        let body = format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/login\">{}</a></p>",
            esc(title),
            t("whatif_signin", l),
            t("nav_login", l)
        );
        return (axum::http::StatusCode::UNAUTHORIZED, page(&c, title, &body)).into_response();
    }
    let Some(uscc) = q.uscc.clone().filter(|u| !u.is_empty()) else {
        return whatif_choose(&state, &c).await;
    };
    let profile = match api::readable_profile(&state, &c.viewer, &uscc).await {
        Ok(p) => p,
        Err(e) => return message_page(&c, e.status, title, &e.message),
    };
    let as_of = match api::parse_date(q.as_of.as_deref()) {
        Ok(d) => d,
        Err(e) => return message_page(&c, e.status, title, &e.message),
    };
    let last = as_of.year() - 1;
    let (tried, changed, error) = match apply(&profile, &q, last) {
        Ok((p, ch)) => (p, ch, None),
        Err(e) => (profile.clone(), false, Some(e)),
    };
    // The enterprise's stored assessor judgments apply to both columns.
    let assessed = match engine::tiers::assessor_inputs(&state.store, &profile.uscc).await {
        Ok(i) => i,
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            return message_page(&c, e.status, title, &e.message);
        }
    };
    let run = |p: &Profile| state.rulebook.evaluate(p, &[], as_of, &assessed);
    let (before, after) = match (run(&profile), run(&tried)) {
        (Ok(b), Ok(a)) => (b, a),
        (Err(e), _) | (_, Err(e)) => {
            return message_page(
                &c,
                axum::http::StatusCode::BAD_REQUEST,
                title,
                &e.to_string(),
            )
        }
    };
    let credit_before =
        engine::credit::score(&state.rulebook, &state.card, &profile, as_of, &assessed);
    let credit_after =
        engine::credit::score(&state.rulebook, &state.card, &tried, as_of, &assessed);
    let mut h = String::new();
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"lead\">{} — {} ({})</p><p class=\"lead\">{}</p>",
        esc(title),
        esc(&profile.name),
        esc(&profile.uscc),
        as_of,
        t("whatif_lead", l)
    );
    if let Some(e) = &error {
        let _ = write!(h, "<p class=\"error\" id=\"whatif-error\">{}</p>", esc(e));
    }
    let cur = |f: fn(&rules::Financials) -> Option<f64>| last_year_value(&profile, last, f);
    let val = |given: &Option<String>, stored: String| {
        esc(given
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&stored))
    };
    let _ = write!(
        h,
        "<form class=\"whatif\" method=\"get\" action=\"/tiers/whatif\" id=\"whatif-form\">\
         <input type=\"hidden\" name=\"uscc\" value=\"{}\">\
         <label>{} <input type=\"date\" name=\"as_of\" value=\"{as_of}\"></label>",
        esc(&profile.uscc),
        t("tiers_as_of", l),
    );
    let money = [
        ("revenue", &q.revenue, cur(|f| f.revenue)),
        ("rd_expense", &q.rd_expense, cur(|f| f.rd_expense)),
        (
            "high_tech_revenue",
            &q.high_tech_revenue,
            cur(|f| f.high_tech_revenue),
        ),
        ("net_profit", &q.net_profit, cur(|f| f.net_profit)),
    ];
    for (name, given, stored) in money {
        let _ = write!(
            h,
            "<label>{} {last} ({}) <input type=\"text\" inputmode=\"decimal\" name=\"{name}\" value=\"{}\"></label>",
            t(&format!("whatif_{name}"), l),
            t("wan_yuan", l),
            val(given, stored)
        );
    }
    let counts = [
        ("employees", &q.employees, opt(profile.employees)),
        ("st_staff", &q.st_staff, opt(profile.st_staff)),
        ("rd_staff", &q.rd_staff, opt(profile.rd_staff)),
        ("ip_class1", &q.ip_class1, opt(profile.ip.class1)),
        ("ip_class2", &q.ip_class2, opt(profile.ip.class2)),
    ];
    for (name, given, stored) in counts {
        let _ = write!(
            h,
            "<label>{} <input type=\"text\" inputmode=\"numeric\" name=\"{name}\" value=\"{}\"></label>",
            t(&format!("whatif_{name}"), l),
            val(given, stored)
        );
    }
    let _ = write!(
        h,
        "<p><button type=\"submit\">{}</button> <a href=\"/tiers/whatif?uscc={}\">{}</a></p></form>",
        t("whatif_run", l),
        esc(&profile.uscc),
        t("whatif_reset", l)
    );
    if changed {
        let _ = write!(
            h,
            "<p class=\"lead\" id=\"whatif-changed\">{}</p>",
            t("whatif_changed", l)
        );
    }
    h.push_str(&comparison(&state, &before, &after, l));
    if let (Ok((b, _)), Ok((a, _))) = (&credit_before, &credit_after) {
        let _ = write!(
            h,
            "<h2>{}</h2><p id=\"whatif-credit\">{}: {} → <b>{}</b></p><ul>",
            t("whatif_credit", l),
            t("whatif_before", l),
            credit_text(b, l),
            credit_text(a, l)
        );
        for r in &a.reasons {
            let _ = write!(
                h,
                "<li>{}</li>",
                esc(if l == Lang::Zh { &r.zh } else { &r.en })
            );
        }
        h.push_str("</ul>");
    }
    let _ = write!(h, "<h2>{}</h2>", t("whatif_next", l));
    if after.next.is_empty() {
        let _ = write!(h, "<p>{}</p>", t("whatif_top", l));
    }
    for n in &after.next {
        let _ = write!(
            h,
            "<h3>{} {}</h3><ul>",
            esc(&scheme_name(&state, &n.scheme, l)),
            result_label(n.result, l)
        );
        let missing = if l == Lang::Zh {
            &n.missing_zh
        } else {
            &n.missing
        };
        for m in missing {
            let _ = write!(h, "<li>{}</li>", esc(m));
        }
        h.push_str("</ul>");
    }
    page(&c, title, &h)
}

/// The enterprises the viewer may try: every stored profile for officials, their own otherwise.
async fn whatif_choose(state: &AppState, c: &Ctx) -> Response {
    let l = c.lang;
    let title = t("whatif_title", l);
    let all = match engine::tiers::profiles(&state.store).await {
        Ok(p) => p,
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            return message_page(c, e.status, title, &e.message);
        }
    };
    let mut h = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p><ul id=\"whatif-choices\">",
        esc(title),
        t("whatif_lead", l)
    );
    let mut n = 0;
    for p in &all {
        if matches!(
            api::may_read_profile(state, &c.viewer, &p.uscc).await,
            Ok(true)
        ) {
            n += 1;
            let _ = write!(
                h,
                "<li><a href=\"/tiers/whatif?uscc={}\">{}</a> {}</li>",
                esc(&p.uscc),
                esc(&p.name),
                esc(&p.uscc)
            );
        }
    }
    h.push_str("</ul>");
    if n == 0 {
        let _ = write!(h, "<p>{}</p>", t("whatif_no_profiles", l));
    }
    page(c, title, &h)
}
