//! The challenge pages: the public list (榜单) and scenarios, one challenge with what the reader's
//! roles let them see and do (the applicant's workspace, the reviewer's queue with the scoring form,
//! the operator's board, the public notice, milestones, the market grade), and the posting form.
//! Pages read through the same board use cases as the API, so a page cannot show what the API hides.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::challenges::{ApplicationFace, ChallengeSummary, ChallengeView};
use engine::EngineError;

use super::{ctx, not_found_page, respond, t, Choice, Ctx, Frame, Lang};
use crate::challenges::maybe_actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    lang: Option<String>,
    kind: Option<String>,
    stage: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "challenges.html")]
struct ListPage {
    f: Frame,
    scenario: bool,
    rows: Vec<ChallengeSummary>,
    mine: Vec<ChallengeSummary>,
    stages: Vec<Choice>,
    may_post: bool,
}

pub(crate) const STAGES: [&str; 12] = [
    "draft",
    "refining",
    "published",
    "applications_closed",
    "under_review",
    "notice",
    "contracted",
    "in_progress",
    "accepted",
    "terminated",
    "market_graded",
    "closed",
];

/// Who may post: enterprises, departments (government) and operators.
pub(super) fn may_post(c: &Ctx) -> bool {
    use crate::access::Role;
    matches!(
        c.viewer
            .user()
            .map(|u| (u.role, u.organization_id.is_some())),
        Some(
            (Role::Enterprise | Role::Government, true) | (Role::PlatformOperator | Role::Admin, _)
        )
    )
}

pub(super) async fn list_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let scenario = q.kind.as_deref() == Some("scenario");
    let kind = if scenario { "scenario" } else { "challenge" };
    let stage = q.stage.as_deref().filter(|s| STAGES.contains(s));
    let a = maybe_actor(&c.viewer);
    let rows = match state.board.list(a.as_ref(), kind, stage, 200).await {
        Ok(r) => r,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let mut mine = vec![];
    if let Some(a) = &a {
        let ids = state
            .store
            .challenges_touching(a.org, a.user_id)
            .await
            .unwrap_or_default();
        for id in ids.into_iter().take(50) {
            if let Ok(Some(row)) = state.store.challenge(id).await {
                if row.kind == kind && state.board.visible(Some(a), &row) {
                    if let Ok(s) = state.board.summary(&row).await {
                        mine.push(s);
                    }
                }
            }
        }
    }
    let mut stages = vec![Choice {
        value: String::new(),
        label: t("ch_all_stages", l).into(),
        selected: stage.is_none(),
    }];
    stages.extend(Choice::coded(l, "ch_stage_", &STAGES, stage));
    let title = t(
        if scenario {
            "ch_kind_scenario"
        } else {
            "ch_kind_challenge"
        },
        l,
    );
    let page = ListPage {
        f: c.frame(title),
        scenario,
        rows,
        mine,
        stages,
        may_post: may_post(&c),
    };
    respond(&c, StatusCode::OK, &page)
}

/// What went wrong, for a page: the words in the page's language, and the engine's detail (English,
/// naming the field and the fix) folded apart.
pub(crate) struct PageError {
    pub lead: String,
    pub detail: Option<String>,
}

impl PageError {
    pub fn plain(lead: String) -> PageError {
        PageError { lead, detail: None }
    }
}

/// One criterion of the scoring form as the page shows it.
pub(super) struct CriterionShow {
    pub code: String,
    pub label: String,
    pub max: u32,
    pub weight: u32,
}

/// An application in the reviewer's queue, with the reviewer's own sheet if any.
pub(super) struct QueueItem {
    pub app: ApplicationFace,
    pub conflicts: Vec<String>,
    pub scores: Vec<(String, String)>,
    pub comment: String,
}

#[derive(askama::Template)]
#[template(path = "challenge.html")]
pub(super) struct DetailPage {
    pub f: Frame,
    pub v: ChallengeView,
    pub done: bool,
    pub error: Option<PageError>,
    pub roles: Vec<String>,
    pub is_op: bool,
    pub is_poster: bool,
    pub is_end_user: bool,
    pub signed_in: bool,
    pub can_apply: bool,
    /// The application my organization leads, and those it was named a member of.
    pub my_app: Option<ApplicationFace>,
    pub member_apps: Vec<ApplicationFace>,
    pub queue: Vec<QueueItem>,
    pub criteria: Vec<CriterionShow>,
    /// Experts with an account an operator may assign: (expert id, name, account).
    pub experts: Vec<(i64, String, String)>,
    pub market_codes: Vec<String>,
    pub grade_pct: Vec<(String, String, String, String, String)>,
    /// The end user's final measurements: (metric, value).
    pub acceptance: Vec<(String, String)>,
    /// Candidate solvers the matching engine proposes (operators, while published): (item kind,
    /// id, label, matched words, invited already).
    pub candidates: Vec<(String, i64, String, String, bool)>,
}

impl DetailPage {
    /// A text field of an application's content.
    pub fn text(&self, a: &ApplicationFace, key: &str) -> String {
        content_text(a, key)
    }
    pub fn team(&self, a: &ApplicationFace) -> String {
        team_lines(a)
    }
    pub fn budget(&self, a: &ApplicationFace) -> String {
        budget_lines(a)
    }
}

/// A text field of the application content.
pub(super) fn content_text(a: &ApplicationFace, key: &str) -> String {
    a.content
        .as_ref()
        .and_then(|c| c.get(key))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

/// The team as the form's lines: `name，role`.
pub(super) fn team_lines(a: &ApplicationFace) -> String {
    a.content
        .as_ref()
        .and_then(|c| c.get("team"))
        .and_then(|t| t.as_array())
        .map(|t| {
            t.iter()
                .map(|m| {
                    let n = m.get("name").and_then(|v| v.as_str()).unwrap_or("");
                    let r = m.get("role").and_then(|v| v.as_str()).unwrap_or("");
                    if r.is_empty() {
                        n.to_string()
                    } else {
                        format!("{n}，{r}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The budget split as the form's lines: `item，yuan`.
pub(super) fn budget_lines(a: &ApplicationFace) -> String {
    a.content
        .as_ref()
        .and_then(|c| c.get("budget"))
        .and_then(|t| t.as_array())
        .map(|t| {
            t.iter()
                .map(|b| {
                    let i = b.get("item").and_then(|v| v.as_str()).unwrap_or("");
                    let f = b.get("amount_fen").and_then(|v| v.as_i64()).unwrap_or(0);
                    format!(
                        "{i}，{}",
                        super::format::trim_zeros(&format!("{:.2}", f as f64 / 100.0))
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

pub(super) fn criterion_label(l: Lang, c: &contest::Criterion) -> String {
    match &c.label {
        Some(x) => x.clone(),
        None => t(&format!("ch_criterion_{}", c.code), l).to_string(),
    }
}

pub(super) async fn detail_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<super::deals::DetailQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_challenge(&state, &c, id, None, q.done.is_some(), StatusCode::OK).await
}

pub(super) async fn render_challenge(
    state: &AppState,
    c: &Ctx,
    id: i64,
    error: Option<PageError>,
    done: bool,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let a = maybe_actor(&c.viewer);
    let v = match state.board.show(a.as_ref(), id).await {
        Ok(v) => v,
        Err(EngineError::NotFound(_)) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let has = |r: &str| v.my_roles.iter().any(|x| x == r);
    let my_org = a.as_ref().and_then(|a| a.org);
    let my_app = v
        .applications
        .iter()
        .find(|x| x.lead.as_ref().map(|o| Some(o.id)) == Some(my_org) && my_org.is_some())
        .cloned();
    let member_apps: Vec<ApplicationFace> = v
        .applications
        .iter()
        .filter(|x| x.members.iter().any(|m| Some(m.org.id) == my_org))
        .cloned()
        .collect();
    let official_or_broker = a.as_ref().is_some_and(|a| a.official || a.broker);
    let can_apply = v.stage == "published"
        && my_org.is_some()
        && !official_or_broker
        && !has("operator")
        && !has("poster")
        && !has("end_user")
        && my_app.is_none()
        && member_apps.is_empty();
    let form = state.board.form.clone();
    let form = if v.form.criteria.is_empty() {
        form
    } else {
        v.form.clone()
    };
    let criteria: Vec<CriterionShow> = form
        .criteria
        .iter()
        .map(|k| CriterionShow {
            code: k.code.clone(),
            label: criterion_label(l, k),
            max: k.max,
            weight: k.weight,
        })
        .collect();
    let mut queue = vec![];
    if has("reviewer") && !has("operator") {
        for app in &v.applications {
            let sheet = v.my_sheets.iter().find(|s| s.application_id == app.id);
            queue.push(QueueItem {
                app: app.clone(),
                conflicts: app
                    .conflicts
                    .iter()
                    .map(|k| {
                        format!(
                            "{}（{}）",
                            t(&format!("ch_conflict_{}", k.reason), l),
                            k.detail
                        )
                    })
                    .collect(),
                scores: criteria
                    .iter()
                    .map(|k| {
                        (
                            k.code.clone(),
                            sheet
                                .and_then(|s| s.scores.get(&k.code))
                                .map(|x| x.to_string())
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
                comment: sheet.map(|s| s.comment.clone()).unwrap_or_default(),
            });
        }
    }
    let mut experts = vec![];
    if has("operator")
        && matches!(
            v.stage.as_str(),
            "published" | "applications_closed" | "under_review"
        )
    {
        for u in state.store.expert_accounts().await.unwrap_or_default() {
            if let Some(e) = u.expert_id {
                if v.reviewers.iter().any(|r| r.expert_id == e) {
                    continue;
                }
                let name = state.board.expert_name(e).await.unwrap_or_default();
                experts.push((e, name, u.username.clone()));
            }
        }
    }
    let grade_pct = v
        .grade
        .as_ref()
        .map(|g| {
            g.parts
                .iter()
                .map(|p| {
                    let money = p.code.ends_with("_fen");
                    let show = |x: i64| {
                        if money {
                            super::format::fen(x, l)
                        } else {
                            x.to_string()
                        }
                    };
                    (
                        t(&format!("ch_ind_{}", p.code), l).to_string(),
                        show(p.value),
                        show(p.target),
                        super::format::percent(p.attainment),
                        super::format::percent(p.share),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut candidates = vec![];
    if has("operator") && v.stage == "published" {
        if let Ok(answer) = crate::api::match_for(
            state,
            &crate::challenge_extras::task_text(&v),
            None,
            None,
            8,
        )
        .await
        {
            for h in answer.hits {
                let kind = match h.record_kind {
                    model::RecordKind::Outcome => "outcome",
                    model::RecordKind::Person => "expert",
                    model::RecordKind::Organization => "organization",
                    _ => continue,
                };
                if kind == "organization" && [v.poster.id, v.end_user.id].contains(&(h.id as i64)) {
                    continue;
                }
                let invited = v
                    .invitations
                    .iter()
                    .any(|i| i.item_kind == kind && i.item_id == h.id as i64);
                candidates.push((
                    kind.to_string(),
                    h.id as i64,
                    h.label.clone(),
                    h.matched_terms.join("、"),
                    invited,
                ));
            }
        }
    }
    let acceptance = v
        .acceptance
        .as_ref()
        .and_then(|a| a.get("measurements"))
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .map(|x| {
                    let name = x
                        .get("name")
                        .and_then(|n| n.as_str())
                        .unwrap_or("")
                        .to_string();
                    let value = x.get("value").map(|n| n.to_string()).unwrap_or_default();
                    (name, value)
                })
                .collect()
        })
        .unwrap_or_default();
    let page = DetailPage {
        acceptance,
        candidates,
        f: c.frame(&v.title),
        roles: v
            .my_roles
            .iter()
            .map(|r| t(&format!("ch_role_{r}"), l).to_string())
            .collect(),
        is_op: has("operator"),
        is_poster: has("poster"),
        is_end_user: has("end_user"),
        signed_in: a.is_some(),
        can_apply,
        my_app,
        member_apps,
        queue,
        criteria,
        experts,
        market_codes: state
            .board
            .market
            .codes()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        grade_pct,
        v,
        done,
        error,
    };
    respond(c, status, &page)
}
