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
    AcceptanceInput, Measurement, MilestoneInput, MilestoneItem, MoveRequest, ObjectionInput,
    ResolveInput, ScoreInput,
};
use engine::EngineError;

use super::challenge_form::form_page;
use super::challenge_input::{
    application_input, challenge_input, end_user_of, fen_of, lines, members_of, Fields,
};
use super::challenges::{render_challenge, PageError};
use super::deal_posts::acting;
use super::{not_found_page, respond, t, Ctx, Lang};
use crate::state::AppState;
use crate::ApiPath;

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
