//! The tier pages: the funnel per cluster and district for officials, and the what-if for one
//! enterprise — change last year's figures, see every scheme's result and the credit grade move,
//! with nothing saved (`engine::whatif`). Both are server-rendered forms (GET: no side effects, no
//! JavaScript); `templates/tiers.html` and `templates/whatif*.html` render them.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Datelike;
use rules::{Outcome, Profile};

use super::{ctx, respond, t, Ctx, Frame, Lang, MessagePage};
use crate::state::AppState;
use crate::tiers as api;
use crate::ApiQuery;

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

fn message_page(c: &Ctx, status: StatusCode, title: &str, message: &str) -> Response {
    MessagePage::new(c, title, message).respond(c, status)
}

/// A refusal to an anonymous viewer: what the page is for and where to sign in.
fn sign_in_first(c: &Ctx, title: &str, why_key: &str) -> Response {
    MessagePage::new(c, title, t(why_key, c.lang))
        .plain()
        .link("/login", t("nav_login", c.lang))
        .respond(c, StatusCode::UNAUTHORIZED)
}

pub(super) fn scheme_name(state: &AppState, code: &str, l: Lang) -> String {
    state
        .rulebook
        .schemes
        .iter()
        .find(|s| s.scheme == code)
        .map(|s| if l == Lang::Zh { &s.zh } else { &s.en }.clone())
        .unwrap_or_else(|| code.to_string())
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

/// The form's figures as changes to try, or the first field that is not a number.
fn changes(q: &WhatIfQuery) -> Result<engine::whatif::Changes, String> {
    let count = |v: &Option<String>, name: &str| -> Result<Option<u32>, String> {
        Ok(field(v, name, false)?.map(|x| x.round() as u32))
    };
    Ok(engine::whatif::Changes {
        revenue: field(&q.revenue, "revenue", true)?,
        rd_expense: field(&q.rd_expense, "rd_expense", true)?,
        high_tech_revenue: field(&q.high_tech_revenue, "high_tech_revenue", true)?,
        net_profit: field(&q.net_profit, "net_profit", true)?,
        employees: count(&q.employees, "employees")?,
        st_staff: count(&q.st_staff, "st_staff")?,
        rd_staff: count(&q.rd_staff, "rd_staff")?,
        ip_class1: count(&q.ip_class1, "ip_class1")?,
        ip_class2: count(&q.ip_class2, "ip_class2")?,
    })
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

/// A scheme result as a tag: its class and UI string.
struct ResultTag {
    class: &'static str,
    key: &'static str,
}

fn result_tag(o: Outcome) -> ResultTag {
    let (key, class) = match o {
        Outcome::Pass => ("tier_pass", "pass"),
        Outcome::Fail => ("tier_fail", "fail"),
        Outcome::Unknown => ("tier_unknown", "unknown"),
    };
    ResultTag { class, key }
}

fn credit_text(s: &credit::CreditScore, l: Lang) -> String {
    format!(
        "{:.1} · {} {} · {} {}",
        s.score,
        t("whatif_grade", l),
        s.grade.as_deref().unwrap_or("—"),
        t("whatif_line", l),
        if s.grade.is_some() {
            super::format::yuan(s.credit_line_yuan, l)
        } else {
            "—".into()
        }
    )
}

/// A form field: its name and the value it shows (as typed, else as stored).
struct Input {
    name: &'static str,
    value: String,
}

struct SchemeRow {
    scheme: String,
    name: String,
    moved: bool,
    before: ResultTag,
    before_score: String,
    after: ResultTag,
    after_score: String,
}

struct CreditShow {
    before: String,
    after: String,
    reasons: Vec<String>,
}

struct NextShow {
    name: String,
    result: ResultTag,
    missing: Vec<String>,
}

#[derive(Template)]
#[template(path = "whatif.html")]
struct WhatIfPage {
    f: Frame,
    name: String,
    uscc: String,
    as_of: String,
    last_year: i32,
    error: Option<String>,
    money: Vec<Input>,
    counts: Vec<Input>,
    changed: bool,
    rows: Vec<SchemeRow>,
    credit: Option<CreditShow>,
    next: Vec<NextShow>,
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
        return sign_in_first(&c, title, "whatif_signin");
    }
    let Some(uscc) = q.uscc.clone().filter(|u| !u.is_empty()) else {
        return whatif_choose(&state, &c).await;
    };
    // Missing and forbidden read the same, so existence is not revealed.
    let missing = format!("no profile for {uscc} that you may read");
    let pass = match state.policy.profile_pass(&c.viewer, &uscc).await {
        Ok(Some(p)) => p,
        Ok(None) => return message_page(&c, StatusCode::NOT_FOUND, title, &missing),
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            return message_page(&c, e.status, title, &e.message);
        }
    };
    let as_of = match api::parse_date(q.as_of.as_deref()) {
        Ok(d) => d,
        Err(e) => return message_page(&c, e.status, title, &e.message),
    };
    let (tried, mut error) = match changes(&q) {
        Ok(ch) => (ch, None),
        Err(e) => (engine::whatif::Changes::default(), Some(e)),
    };
    let cmp = match engine::whatif::compare(
        &state.store,
        &pass,
        &state.rulebook,
        &state.card,
        &tried,
        as_of,
    )
    .await
    {
        Ok(Some(cmp)) => cmp,
        Ok(None) => return message_page(&c, StatusCode::NOT_FOUND, title, &missing),
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            return message_page(&c, e.status, title, &e.message);
        }
    };
    error = error.or(cmp.refused.clone());
    // The stored profile, as the comparison read it (once).
    let profile = &cmp.stored;
    let last = as_of.year() - 1;
    let shown = |given: &Option<String>, stored: String| {
        given
            .as_deref()
            .filter(|s| !s.is_empty())
            .map_or(stored, str::to_string)
    };
    let cur = |f: fn(&rules::Financials) -> Option<f64>| last_year_value(profile, last, f);
    let page = WhatIfPage {
        f: c.frame(title),
        name: profile.name.clone(),
        uscc: profile.uscc.clone(),
        as_of: as_of.to_string(),
        last_year: last,
        money: [
            ("revenue", &q.revenue, cur(|f| f.revenue)),
            ("rd_expense", &q.rd_expense, cur(|f| f.rd_expense)),
            (
                "high_tech_revenue",
                &q.high_tech_revenue,
                cur(|f| f.high_tech_revenue),
            ),
            ("net_profit", &q.net_profit, cur(|f| f.net_profit)),
        ]
        .into_iter()
        .map(|(name, given, stored)| Input {
            name,
            value: shown(given, stored),
        })
        .collect(),
        counts: [
            ("employees", &q.employees, profile.employees),
            ("st_staff", &q.st_staff, profile.st_staff),
            ("rd_staff", &q.rd_staff, profile.rd_staff),
            ("ip_class1", &q.ip_class1, profile.ip.class1),
            ("ip_class2", &q.ip_class2, profile.ip.class2),
        ]
        .into_iter()
        .map(|(name, given, stored)| Input {
            name,
            value: shown(given, opt(stored)),
        })
        .collect(),
        changed: cmp.refused.is_none() && !tried.is_empty(),
        error,
        rows: cmp
            .before
            .schemes
            .iter()
            .zip(&cmp.after.schemes)
            .map(|(b, a)| SchemeRow {
                scheme: a.scheme.clone(),
                name: scheme_name(&state, &a.scheme, l),
                moved: b.result != a.result || b.score != a.score,
                before: result_tag(b.result),
                before_score: score_text(b),
                after: result_tag(a.result),
                after_score: score_text(a),
            })
            .collect(),
        credit: cmp.credit.as_ref().map(|(b, a)| CreditShow {
            before: credit_text(b, l),
            after: credit_text(a, l),
            reasons: a
                .reasons
                .iter()
                .map(|r| if l == Lang::Zh { &r.zh } else { &r.en }.clone())
                .collect(),
        }),
        next: cmp
            .after
            .next
            .iter()
            .map(|n| NextShow {
                name: scheme_name(&state, &n.scheme, l),
                result: result_tag(n.result),
                missing: if l == Lang::Zh {
                    n.missing_zh.clone()
                } else {
                    n.missing.clone()
                },
            })
            .collect(),
    };
    respond(&c, StatusCode::OK, &page)
}

/// The USCC of the viewer's own organization, when it has one.
pub(super) async fn own_uscc(state: &AppState, c: &Ctx) -> Option<String> {
    let org = c.viewer.user()?.organization_id?;
    match state.store.get(model::RecordKind::Organization, org).await {
        Ok(Some(s)) => match s.record {
            model::Record::Organization(o) => o.uscc.map(|u| u.to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "whatif_choose.html")]
struct ChoosePage {
    f: Frame,
    /// (USCC, name) of each profile the viewer may try.
    choices: Vec<(String, String)>,
}

/// The enterprises the viewer may try: every stored profile for officials, their own otherwise.
async fn whatif_choose(state: &AppState, c: &Ctx) -> Response {
    let l = c.lang;
    let title = t("whatif_title", l);
    let mut choices = vec![];
    match state.policy.every_profile_pass(&c.viewer) {
        // Officials choose among every stored profile.
        Some(every) => match engine::tiers::profiles(&state.store, &every).await {
            Ok(all) => choices.extend(all.into_iter().map(|p| (p.uscc, p.name))),
            Err(e) => {
                let e = crate::error::ApiError::from(e);
                return message_page(c, e.status, title, &e.message);
            }
        },
        // Others try their own organization's profile, if one is stored.
        None => {
            if let Some(uscc) = own_uscc(state, c).await {
                if let Ok((_, p)) = api::readable_profile(state, &c.viewer, &uscc).await {
                    choices.push((p.uscc, p.name));
                }
            }
        }
    }
    let page = ChoosePage {
        f: c.frame(title),
        choices,
    };
    respond(c, StatusCode::OK, &page)
}
