//! The lender's pages: the list of profiled enterprises with their newest grade (find, filter,
//! export), and one enterprise's credit view — grade, loan ceiling, the reasons in plain words, the
//! inputs each factor read, the tiers counted, and every evaluation of record. Financiers and
//! officials see every enterprise; an enterprise sees its own. A financier never reads the profile
//! itself: only what the scorecard took from it.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use credit::CreditScore;

use super::format::{china_time, csv_download, number, percent, query, xlsx_download, yuan};
use super::{ctx, gate, not_found_page, respond, t, Choice, Ctx, Frame, Lang, MessagePage};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// Rows on one page of the list.
const PAGE_ROWS: usize = 50;

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    lang: Option<String>,
    q: Option<String>,
    grade: Option<String>,
    page: Option<usize>,
    format: Option<String>,
}

struct RosterShow {
    href: String,
    name: String,
    uscc: String,
    grade: String,
    score: String,
    line: String,
    tiers: String,
    evaluated: String,
}

#[derive(Template)]
#[template(path = "credit_list.html")]
struct ListPage {
    f: Frame,
    q: String,
    grades: Vec<Choice>,
    rows: Vec<RosterShow>,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    export_query: String,
}

/// Names of the schemes a score counted as tiers held.
fn tier_names(state: &AppState, codes: &[String], l: Lang) -> String {
    codes
        .iter()
        .map(|c| super::tiers::scheme_name(state, c, l))
        .collect::<Vec<_>>()
        .join("、")
}

/// The loan ceiling of a graded score; a dash without a grade (no ceiling, not a ceiling of 0).
fn line(s: &CreditScore, l: Lang) -> String {
    match s.grade {
        Some(_) => yuan(s.credit_line_yuan, l),
        None => "—".to_string(),
    }
}

fn grade_label(s: &CreditScore, l: Lang) -> String {
    match &s.grade {
        Some(g) => format!("{g} {}", t("credit_grade_suffix", l))
            .trim()
            .to_string(),
        None => t("credit_no_grade", l).to_string(),
    }
}

/// The grade filter's code of an entry: a grade letter, `none` (scored, no grade) or `unscored`.
fn grade_code(e: &engine::credit::RosterEntry) -> String {
    match &e.latest {
        Some(l) => l.score.grade.clone().unwrap_or_else(|| "none".into()),
        None => "unscored".into(),
    }
}

fn roster_row(state: &AppState, e: &engine::credit::RosterEntry, l: Lang) -> RosterShow {
    let (grade, score, line, tiers, evaluated) = match &e.latest {
        Some(x) => (
            grade_label(&x.score, l),
            number(x.score.score, 1),
            line(&x.score, l),
            tier_names(state, &x.score.tiers, l),
            china_time(x.created_at),
        ),
        None => (
            t("credit_unscored", l).to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    RosterShow {
        href: format!("/credit/{}", e.uscc),
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        grade,
        score,
        line,
        tiers,
        evaluated,
    }
}

/// The list of enterprises for lenders and officials; an enterprise user goes to its own view.
pub(super) async fn list_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let title = t("credit_title", l);
    if c.viewer.user().is_some() && state.policy.credit_list_pass(&c.viewer).is_none() {
        if let Some(uscc) = super::tiers::own_uscc(&state, &c).await {
            return Redirect::to(&format!("/credit/{uscc}")).into_response();
        }
    }
    let pass = state.policy.credit_list_pass(&c.viewer);
    if let Some(r) = gate(&c, title, pass.is_some(), "credit_forbidden") {
        return r;
    }
    let pass = pass.expect("gate passed");
    let roster = match engine::credit::roster(&state.store, &pass).await {
        Ok(r) => r,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let needle = q.q.clone().unwrap_or_default();
    let needle = needle.trim().to_lowercase();
    let grade = q.grade.clone().filter(|g| !g.is_empty());
    let chosen: Vec<&engine::credit::RosterEntry> = roster
        .iter()
        .filter(|e| {
            needle.is_empty()
                || e.name.to_lowercase().contains(&needle)
                || e.uscc.to_lowercase().contains(&needle)
        })
        .filter(|e| grade.as_deref().is_none_or(|g| grade_code(e) == g))
        .collect();
    let export_query = query(&[
        ("q", q.q.as_deref().unwrap_or("")),
        ("grade", grade.as_deref().unwrap_or("")),
    ]);
    if let Some(fmt) = q.format.as_deref() {
        return export(&state, &c, &chosen, fmt);
    }
    let total = chosen.len();
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let link = |p: usize| format!("/credit?{export_query}&page={p}");
    let grades: Vec<&str> = vec!["", "A", "B", "C", "D", "E", "none", "unscored"];
    let list = ListPage {
        f: c.frame(title),
        q: q.q.clone().unwrap_or_default(),
        grades: Choice::coded(l, "credit_filter_", &grades, grade.as_deref().or(Some(""))),
        rows: chosen
            .iter()
            .skip((page - 1) * PAGE_ROWS)
            .take(PAGE_ROWS)
            .map(|e| roster_row(&state, e, l))
            .collect(),
        total,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        export_query,
    };
    respond(&c, StatusCode::OK, &list)
}

/// The filtered list as a spreadsheet, in the page's language.
fn export(state: &AppState, c: &Ctx, rows: &[&engine::credit::RosterEntry], fmt: &str) -> Response {
    let l = c.lang;
    let headers = super::labels::words(
        &[
            "credit_col_name",
            "credit_col_uscc",
            "credit_col_grade",
            "credit_col_score",
            "credit_col_line",
            "credit_col_tiers",
            "credit_col_evaluated",
        ],
        l,
    );
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|e| {
            let r = roster_row(state, e, l);
            vec![
                r.name,
                r.uscc,
                r.grade,
                r.score,
                r.line,
                r.tiers,
                r.evaluated,
            ]
        })
        .collect();
    let stamp = chrono::Utc::now().format("%Y%m%d");
    match fmt {
        "csv" => csv_download(&format!("credit-{stamp}.csv"), &headers, &body),
        _ => xlsx_download(
            &format!("credit-{stamp}.xlsx"),
            t("credit_sheet", l),
            &headers,
            &body,
        ),
    }
}

struct FactorShow {
    name: String,
    value: String,
    points: String,
    max: String,
    unknown: bool,
}

struct ScoreShow {
    grade: String,
    graded: bool,
    score: String,
    stage: String,
    line: String,
    tiers: String,
    as_of: String,
    reasons: Vec<String>,
    factors: Vec<FactorShow>,
    problems: Vec<String>,
}

struct HistoryShow {
    when: String,
    as_of: String,
    grade: String,
    score: String,
    line: String,
    by: String,
}

#[derive(Template)]
#[template(path = "credit_detail.html")]
struct DetailPage {
    f: Frame,
    name: String,
    uscc: String,
    latest: Option<ScoreShow>,
    history: Vec<HistoryShow>,
    show_by: bool,
    may_score: bool,
    whatif: Option<String>,
    back: bool,
    notice: Option<String>,
}

/// A factor's input as a person reads it, by the card's unit (a tier level by the tiers at it).
fn factor_value(state: &AppState, unit: &str, value: Option<f64>, l: Lang) -> String {
    match (unit, value) {
        (_, None) => t("credit_value_missing", l).to_string(),
        ("ratio", Some(v)) => percent(v),
        ("years", Some(v)) => format!("{} {}", number(v, 1), t("unit_years", l)),
        ("level", Some(v)) => {
            let at: Vec<String> = state
                .card
                .tiers
                .levels
                .iter()
                .filter(|(_, lv)| f64::from(**lv) == v)
                .map(|(code, _)| super::tiers::scheme_name(state, code, l))
                .collect();
            if at.is_empty() {
                number(v, 0)
            } else {
                format!("{}（{}）", number(v, 0), at.join("、"))
            }
        }
        (_, Some(v)) => number(v, 2),
    }
}

fn score_show(state: &AppState, s: &CreditScore, l: Lang) -> ScoreShow {
    let card = &state.card;
    let zh = l == Lang::Zh;
    ScoreShow {
        grade: grade_label(s, l),
        graded: s.grade.is_some(),
        score: number(s.score, 1),
        stage: card
            .stages
            .iter()
            .find(|x| x.id == s.stage)
            .map(|x| if zh { x.zh.clone() } else { x.en.clone() })
            .unwrap_or_else(|| s.stage.clone()),
        line: line(s, l),
        tiers: tier_names(state, &s.tiers, l),
        as_of: s.as_of.to_string(),
        reasons: s
            .reasons
            .iter()
            .map(|r| if zh { r.zh.clone() } else { r.en.clone() })
            .collect(),
        factors: s
            .factors
            .iter()
            .map(|fr| {
                let def = card.factors.iter().find(|d| d.code == fr.code);
                FactorShow {
                    name: def
                        .map(|d| if zh { d.zh.clone() } else { d.en.clone() })
                        .unwrap_or_else(|| fr.code.clone()),
                    value: factor_value(state, def.map_or("", |d| d.unit.as_str()), fr.value, l),
                    points: number(fr.points, 1),
                    max: number(fr.max_points, 1),
                    unknown: fr.unknown,
                }
            })
            .collect(),
        problems: s.profile_problems.clone(),
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DetailQuery {
    lang: Option<String>,
    scored: Option<String>,
}

/// One enterprise's credit view, for whoever holds a credit pass to it.
pub(super) async fn detail_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(uscc): ApiPath<String>,
    ApiQuery(q): ApiQuery<DetailQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    if let Some(r) = gate(&c, t("credit_title", l), true, "credit_forbidden") {
        return r;
    }
    // No pass and no profile answer alike: a lender learns nothing of who is profiled here.
    let pass = match state.policy.credit_pass(&c.viewer, &uscc).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let entry = match engine::credit::roster(&state.store, &pass).await {
        Ok(mut r) if !r.is_empty() => r.remove(0),
        Ok(_) => return not_found_page(&c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let stored = match engine::credit::evaluations(&state.store, &pass).await {
        Ok(s) => s,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let mut history = vec![];
    for s in &stored {
        let typed = match engine::credit::typed(s) {
            Ok(x) => x,
            Err(e) => return crate::ApiError::from(e).into_response(),
        };
        history.push(HistoryShow {
            when: china_time(s.created_at),
            as_of: typed.as_of.to_string(),
            grade: grade_label(&typed, l),
            score: number(typed.score, 1),
            line: line(&typed, l),
            by: s.created_by.clone(),
        });
    }
    let may_profile = matches!(
        state.policy.profile_pass(&c.viewer, &uscc).await,
        Ok(Some(_))
    );
    let page = DetailPage {
        f: c.frame(&entry.name),
        name: entry.name.clone(),
        uscc: entry.uscc.clone(),
        latest: entry
            .latest
            .as_ref()
            .map(|x| score_show(&state, &x.score, l)),
        history,
        show_by: c.viewer.is_official(),
        may_score: true,
        whatif: may_profile.then(|| format!("/tiers/whatif?uscc={}", entry.uscc)),
        back: state.policy.credit_list_pass(&c.viewer).is_some(),
        notice: q.scored.map(|_| t("credit_scored", l).to_string()),
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct ScoreForm {
    csrf: String,
}

/// Scores the stored profile today and stores the evaluation; back to the view.
pub(super) async fn score_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(uscc): ApiPath<String>,
    Form(form): Form<ScoreForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if let Some(r) = gate(&c, t("credit_title", l), true, "credit_forbidden") {
        return r;
    }
    if form.csrf != c.csrf {
        return MessagePage::new(&c, t("credit_title", l), t("csrf_failed", l))
            .respond(&c, StatusCode::FORBIDDEN);
    }
    let request = crate::credit::ScoreRequest {
        uscc: Some(uscc.clone()),
        ..Default::default()
    };
    match crate::credit::score_for(&state, &c.viewer, request).await {
        Ok(_) => Redirect::to(&format!("/credit/{uscc}?scored=1")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found_page(&c),
        Err(e) => MessagePage::new(&c, t("credit_title", l), &e.message).respond(&c, e.status),
    }
}
