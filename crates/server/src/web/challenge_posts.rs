//! The challenge pages' forms: posting and editing a challenge, and one endpoint for every step on a
//! challenge page (`op` names it: a move, an application, a confirmation, a reviewer, a sheet, an
//! objection and its resolution, milestones, a report, a decision, market figures, an invitation).
//! Each checks the CSRF token, calls the same board use case as the API, and shows the challenge
//! again — or the page with what went wrong, in the words of the i18n data and the API's status.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::challenges::{
    AcceptanceInput, ApplicationInput, BudgetLine, ChallengeInput, Detail, Measurement,
    MilestoneInput, MilestoneItem, MoveRequest, ObjectionInput, ResolveInput, ScoreInput,
    TargetMetric, TeamMember,
};
use engine::EngineError;

use super::challenge_form::form_page;
use super::challenges::{render_challenge, PageError};
use super::deal_posts::acting;
use super::{not_found_page, respond, t, Ctx, Lang};
use crate::state::AppState;
use crate::ApiPath;

/// A posted form as fields (a name may repeat: winners, scores).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
    fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
    fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k)).filter(|s| !s.is_empty())
    }
    fn int(&self, k: &str) -> Option<i64> {
        self.get(k).parse().ok()
    }
}

/// Yuan as typed (`12.5`, `1,200`, `1 200`) in integer fen; `None` when blank or not a number.
fn fen_of(s: &str, l: Lang) -> Result<Option<i64>, String> {
    let s = s.trim().replace([',', '，', ' '], "");
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..1e12).contains(&v) => Ok(Some((v * 100.0).round() as i64)),
        _ => Err(t("form_amount_number", l).to_string()),
    }
}

/// Lines of `a，b，c` (Chinese or Latin commas, or tabs) as their parts.
fn lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            l.split([',', '，', '\t'])
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| p.iter().any(|x| !x.is_empty()))
        .collect()
}

fn challenge_input(
    f: &Fields,
    l: Lang,
    state_end_user: Option<i64>,
) -> Result<ChallengeInput, String> {
    let mut targets = vec![];
    for i in 1..=20 {
        let name = f.get(&format!("t{i}_name"));
        if name.is_empty() {
            continue;
        }
        let threshold: f64 = f
            .get(&format!("t{i}_threshold"))
            .replace([',', '，'], "")
            .parse()
            .map_err(|_| t("form_amount_number", l).to_string())?;
        targets.push(TargetMetric {
            name,
            unit: f.get(&format!("t{i}_unit")),
            threshold,
            direction: f
                .opt(&format!("t{i}_dir"))
                .unwrap_or_else(|| "at_least".into()),
            method: f.get(&format!("t{i}_method")),
        });
    }
    let mut market_targets = BTreeMap::new();
    if let Some(a) = f.int("adopters") {
        market_targets.insert("adopters".to_string(), a);
    }
    if let Some(r) = fen_of(&f.get("revenue_yuan"), l)? {
        market_targets.insert("revenue_fen".to_string(), r);
    }
    if let Some(r) = fen_of(&f.get("cost_saved_yuan"), l)? {
        market_targets.insert("cost_saved_fen".to_string(), r);
    }
    if let Some(o) = f.int("orders") {
        market_targets.insert("orders".to_string(), o);
    }
    Ok(ChallengeInput {
        kind: f.opt("kind"),
        title: f.get("title"),
        summary: f.get("summary"),
        demand_id: f.int("demand"),
        poster_org_id: None,
        end_user_org_id: state_end_user,
        budget_fen: fen_of(&f.get("budget_yuan"), l)?.unwrap_or(0),
        matching_fen: fen_of(&f.get("matching_yuan"), l)?.unwrap_or(0),
        deadline: f.opt("deadline"),
        visibility: f.opt("visibility"),
        winners_max: f.int("winners_max").unwrap_or(1),
        blind: f.get("blind") == "on",
        notice_days: None,
        detail: Detail {
            targets,
            market_targets,
            ip_terms: f.get("ip_terms"),
            form: scoring_form(&f.get("scoring"), l)?,
            offer: f.get("offer"),
        },
        version: f.int("version"),
    })
}

/// A scoring form typed as lines `criterion，weight，max` (blank: the challenge uses the default).
fn scoring_form(text: &str, l: Lang) -> Result<Option<contest::Form>, String> {
    let rows = lines(text);
    if rows.is_empty() {
        return Ok(None);
    }
    let mut criteria = vec![];
    for (i, p) in rows.iter().enumerate() {
        let number = |k: usize| p.get(k).and_then(|x| x.parse::<u32>().ok());
        let (Some(weight), Some(max)) = (number(1), number(2)) else {
            return Err(format!("{}：{}", t("ch_scoring_line", l), i + 1));
        };
        criteria.push(contest::Criterion {
            code: format!("c{}", i + 1),
            weight,
            max,
            label: Some(p[0].clone()),
        });
    }
    Ok(Some(contest::Form { criteria }))
}

/// The end user named on the form (blank: the poster), or the form again with why not.
async fn end_user_of(state: &AppState, f: &Fields, l: Lang) -> Result<Option<i64>, String> {
    let name = f.get("end_user");
    if name.is_empty() {
        return Ok(None);
    }
    match state.store.find_organization(&name, None).await {
        Ok(Some(o)) => Ok(Some(o.id)),
        _ => Err(format!("{}：{name}", t("ch_end_user_unknown", l))),
    }
}

/// The words of an engine refusal: the class of refusal in the page's language (or, where the
/// i18n data knows the board's refusal — a guard — its own words), and the engine's detail, which
/// names the field and the fix in English, apart (a page folds it under 技术细节).
fn refusal_words(e: &EngineError, l: Lang) -> Option<(StatusCode, PageError)> {
    let (status, key) = match e {
        EngineError::Conflict(_) => (StatusCode::CONFLICT, "ch_error_conflict"),
        EngineError::Forbidden(_) => (StatusCode::FORBIDDEN, "ch_error_forbidden"),
        EngineError::Input(_) => (StatusCode::BAD_REQUEST, "ch_error_input"),
        EngineError::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, "ch_error_conflict"),
        _ => return None,
    };
    let msg = e.to_string();
    let known = engine::challenges::GUARDS
        .iter()
        .find(|g| engine::challenges::guard_words(g) == msg)
        .map(|g| t(&format!("ch_guard_{g}"), l).to_string());
    Some((
        status,
        match known {
            Some(words) => PageError::plain(words),
            None => PageError {
                lead: t(key, l).to_string(),
                detail: Some(msg),
            },
        },
    ))
}

async fn refused(state: &AppState, c: &Ctx, id: i64, e: EngineError) -> Response {
    if matches!(e, EngineError::NotFound(_)) {
        return not_found_page(c);
    }
    match refusal_words(&e, c.lang) {
        Some((status, why)) => render_challenge(state, c, id, Some(why), false, status).await,
        None => crate::ApiError::from(e).into_response(),
    }
}

fn done(state: &AppState, id: i64) -> Response {
    state.deliveries_due();
    Redirect::to(&format!("/challenges/{id}?done=1")).into_response()
}

pub(super) async fn create_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = c.lang;
    let scenario = f.get("kind") == "scenario";
    let input = match end_user_of(&state, &f, l)
        .await
        .and_then(|e| challenge_input(&f, l, e))
    {
        Ok(i) => i,
        Err(why) => {
            let page = form_page(
                &state,
                &c,
                None,
                scenario,
                None,
                Some(PageError::plain(why)),
            )
            .await;
            return respond(&c, StatusCode::BAD_REQUEST, &page);
        }
    };
    match state.board.create(&a, &input).await {
        Ok(v) => done(&state, v.id),
        Err(e) => match refusal_words(&e, l) {
            Some((status, why)) => {
                let page = form_page(&state, &c, None, scenario, input.demand_id, Some(why)).await;
                respond(&c, status, &page)
            }
            None => crate::ApiError::from(e).into_response(),
        },
    }
}

pub(super) async fn edit_post(
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
    let l = c.lang;
    let input = match end_user_of(&state, &f, l)
        .await
        .and_then(|e| challenge_input(&f, l, e))
    {
        Ok(i) => i,
        Err(why) => {
            return render_challenge(
                &state,
                &c,
                id,
                Some(PageError::plain(why)),
                false,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    };
    // What the form does not show stays as it was: the notice days, and the need when the editor
    // (an operator) has no needs of their own to choose from.
    let mut input = input;
    if let Ok(old) = state.board.show(Some(&a), id).await {
        input.notice_days = Some(old.notice_days);
        if !f.0.iter().any(|(k, _)| k == "demand") {
            input.demand_id = old.demand_id;
        }
    }
    match state.board.edit(&a, id, &input).await {
        Ok(_) => done(&state, id),
        Err(e) => refused(&state, &c, id, e).await,
    }
}

fn application_input(
    f: &Fields,
    l: Lang,
    submit: bool,
    members: Vec<i64>,
) -> Result<ApplicationInput, String> {
    let team = lines(&f.get("team"))
        .into_iter()
        .map(|p| TeamMember {
            person_id: None,
            name: p[0].clone(),
            role: p.get(1).cloned().unwrap_or_default(),
        })
        .collect();
    let mut budget = vec![];
    for p in lines(&f.get("budget")) {
        let amount = fen_of(p.get(1).map(String::as_str).unwrap_or(""), l)?.unwrap_or(0);
        budget.push(BudgetLine {
            item: p[0].clone(),
            amount_fen: amount,
        });
    }
    Ok(ApplicationInput {
        plan: f.get("plan"),
        pledge: f.get("pledge"),
        team,
        budget,
        members,
        submit,
        version: f.int("app_version"),
    })
}

/// Consortium members typed by name, as organization ids.
async fn members_of(state: &AppState, f: &Fields, l: Lang) -> Result<Vec<i64>, String> {
    let text = f.get("members");
    let mut names: Vec<&str> = vec![];
    for name in text.lines().map(str::trim).filter(|s| !s.is_empty()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    // The engine's cap, before any lookup: a pasted list costs at most that many queries.
    let cap = state.board.settings.max_members;
    if names.len() > cap {
        return Err(format!("{}：{cap}", t("ch_members_too_many", l)));
    }
    let mut out = vec![];
    for name in names {
        match state.store.find_organization(name, None).await {
            Ok(Some(o)) => out.push(o.id),
            _ => return Err(format!("{}：{name}", t("ch_member_unknown", l))),
        }
    }
    Ok(out)
}

/// Every step on a challenge page.
pub(super) async fn act_post(
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
    let l = c.lang;
    let b = &state.board;
    let outcome: Result<engine::Result<engine::challenges::ChallengeView>, String> = async {
        Ok(match f.get("op").as_str() {
            "move" => {
                let winners: Vec<i64> = f
                    .all("winners")
                    .iter()
                    .filter_map(|w| w.parse().ok())
                    .collect();
                let measurements: Vec<Measurement> =
                    f.0.iter()
                        .filter_map(|(k, v)| {
                            k.strip_prefix("m:")
                                .map(|name| (name.to_string(), v.clone()))
                        })
                        .filter(|(_, v)| !v.trim().is_empty())
                        .map(|(name, v)| Measurement {
                            name,
                            value: v.trim().parse().unwrap_or(f64::NAN),
                        })
                        .collect();
                let req = MoveRequest {
                    to: f.get("to"),
                    version: f.int("version").unwrap_or(0),
                    note: f.opt("note"),
                    winners: (!winners.is_empty()).then_some(winners),
                    acceptance: (!measurements.is_empty())
                        .then_some(AcceptanceInput { measurements }),
                };
                b.transition(&a, id, &req).await
            }
            "apply" | "save_app" => {
                let members = match members_of(&state, &f, l).await {
                    Ok(m) => m,
                    Err(why) => return Err(why),
                };
                let submit = f.get("submit") == "1";
                let input = match application_input(&f, l, submit, members) {
                    Ok(i) => i,
                    Err(why) => return Err(why),
                };
                match f.int("application") {
                    Some(app) => b.edit_application(&a, app, &input).await,
                    None => b.apply(&a, id, &input).await,
                }
            }
            "confirm" => {
                b.confirm_membership(&a, f.int("application").unwrap_or(0))
                    .await
            }
            "withdraw" => {
                b.withdraw_application(
                    &a,
                    f.int("application").unwrap_or(0),
                    f.int("app_version").unwrap_or(0),
                )
                .await
            }
            "assign" => {
                let expert = f.int("expert").unwrap_or(0);
                // A conflicted expert is refused in the page's words, each conflict with its reason.
                if let Ok(found) = b.assignment_conflicts(&a, id, expert).await {
                    if !found.is_empty() {
                        let words: Vec<String> = found
                            .iter()
                            .map(|(app, k)| {
                                let why = format!(
                                    "{}（{}）",
                                    t(&format!("ch_conflict_{}", k.reason), l),
                                    k.detail
                                );
                                match app {
                                    Some(x) => format!("#{x} {why}"),
                                    None => why,
                                }
                            })
                            .collect();
                        return Err(format!(
                            "{}：{}",
                            t("ch_assign_refused", l),
                            words.join("；")
                        ));
                    }
                }
                b.assign_reviewer(&a, id, expert).await
            }
            "recuse" => b.recuse(&a, id, &f.get("reason")).await,
            "unassign" => {
                b.remove_reviewer(&a, id, f.int("reviewer").unwrap_or(0))
                    .await
            }
            "score" => {
                let mut scores = contest::Sheet::new();
                for (k, v) in &f.0 {
                    if let Some(code) = k.strip_prefix("s:") {
                        match v.trim().parse::<u32>() {
                            Ok(x) => {
                                scores.insert(code.to_string(), x);
                            }
                            Err(_) => return Err(t("ch_score_number", l).to_string()),
                        }
                    }
                }
                b.score(
                    &a,
                    f.int("application").unwrap_or(0),
                    &ScoreInput {
                        scores,
                        comment: f.get("comment"),
                    },
                )
                .await
            }
            "object" => {
                b.object(
                    &a,
                    id,
                    &ObjectionInput {
                        application_id: f.int("application"),
                        body: f.get("body"),
                    },
                )
                .await
            }
            "resolve" => {
                b.resolve(
                    &a,
                    id,
                    f.int("objection").unwrap_or(0),
                    &ResolveInput {
                        status: f.get("status"),
                        resolution: f.get("resolution"),
                    },
                )
                .await
            }
            "milestones" => {
                let mut items = vec![];
                for p in lines(&f.get("milestones")) {
                    let tranche = match fen_of(p.get(3).map(String::as_str).unwrap_or(""), l) {
                        Ok(x) => x.unwrap_or(0),
                        Err(why) => return Err(why),
                    };
                    items.push(MilestoneItem {
                        title: p[0].clone(),
                        due_on: p.get(1).cloned().unwrap_or_default(),
                        metric: p.get(2).cloned().unwrap_or_default(),
                        tranche_fen: tranche,
                    });
                }
                b.set_milestones(
                    &a,
                    id,
                    &MilestoneInput {
                        application_id: f.int("application").unwrap_or(0),
                        milestones: items,
                    },
                )
                .await
            }
            "report" => {
                b.report_milestone(&a, id, f.int("milestone").unwrap_or(0), &f.get("report"))
                    .await
            }
            "decide" => {
                let d = f.get("decision");
                b.decide_milestone(
                    &a,
                    id,
                    f.int("milestone").unwrap_or(0),
                    d == "accept",
                    &f.get("note"),
                    d == "stop",
                )
                .await
            }
            "market" => {
                let mut figures = BTreeMap::new();
                for code in b.market.codes() {
                    let raw = f.get(&format!("ind:{code}"));
                    if raw.is_empty() {
                        continue;
                    }
                    let v = if code.ends_with("_fen") {
                        match fen_of(&raw, l) {
                            Ok(x) => x.unwrap_or(0),
                            Err(why) => return Err(why),
                        }
                    } else {
                        match raw.replace([',', '，'], "").parse::<i64>() {
                            Ok(x) => x,
                            Err(_) => return Err(t("form_amount_number", l).to_string()),
                        }
                    };
                    figures.insert(code.to_string(), v);
                }
                b.record_market(
                    &a,
                    id,
                    f.int("months").unwrap_or(0),
                    &figures,
                    &f.get("note"),
                )
                .await
            }
            "invite" => {
                let item = engine::engagements::ItemRef {
                    kind: f.get("item_kind"),
                    id: f.int("item_id").unwrap_or(0),
                };
                b.invite(&a, id, &item).await
            }
            _ => return Err(t("ch_error_input", l).to_string()),
        })
    }
    .await;
    match outcome {
        Ok(Ok(_)) => done(&state, id),
        Ok(Err(e)) => refused(&state, &c, id, e).await,
        Err(why) => {
            render_challenge(
                &state,
                &c,
                id,
                Some(PageError::plain(why)),
                false,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// An evidence file from the page (multipart: csrf, milestone or market months, file).
pub(super) async fn evidence_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    mut form: axum::extract::Multipart,
) -> Response {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let limit = state.board.settings.evidence_max_bytes;
    while let Ok(Some(part)) = form.next_field().await {
        let name = part.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = part.file_name().unwrap_or("evidence").to_string();
            match part.bytes().await {
                Ok(b) if b.len() <= limit => file = Some((fname, b.to_vec())),
                _ => file = Some((fname, vec![0; 0])),
            }
        } else if let Ok(v) = part.text().await {
            fields.insert(name, v.chars().take(200).collect());
        }
    }
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    let (c, a) = match acting(&state, &headers, &csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (name, bytes) = file.unwrap_or_default();
    let milestone = fields.get("milestone").and_then(|m| m.parse().ok());
    let months = fields.get("months").and_then(|m| m.parse().ok());
    match state
        .board
        .add_evidence(&a, id, milestone, months, &name, &bytes)
        .await
    {
        Ok(_) => done(&state, id),
        Err(e) => refused(&state, &c, id, e).await,
    }
}

/// An evidence file for a signed-in reader with the right (the page's link).
pub(super) async fn evidence_get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let c = super::ctx(&state, &headers, None).await;
    let a = crate::challenges::maybe_actor(&c.viewer);
    match state.board.evidence_file(a.as_ref(), id).await {
        Ok((e, bytes)) => crate::challenge_extras::evidence_response(&e, bytes)
            .unwrap_or_else(|e| e.into_response()),
        Err(_) => not_found_page(&c),
    }
}
