//! The posting form of a challenge or scenario: empty for a new one (with the poster's open needs to
//! start from), filled for an edit before publication.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use engine::challenges::ChallengeView;

use super::challenges::may_post;
use super::{ctx, not_found_page, respond, t, Choice, Ctx, Frame};
use crate::challenges::maybe_actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(askama::Template)]
#[template(path = "challenge_form.html")]
pub(super) struct FormPage {
    pub f: Frame,
    pub action: String,
    pub scenario: bool,
    pub error: Option<super::challenges::PageError>,
    pub title: String,
    pub summary: String,
    pub demands: Vec<Choice>,
    pub end_user: String,
    pub budget_yuan: String,
    pub matching_yuan: String,
    pub deadline: String,
    pub winners_max: i64,
    pub visibilities: Vec<Choice>,
    pub blind: bool,
    /// Target rows: (name, unit, threshold, direction choices, method).
    pub targets: Vec<(String, String, String, Vec<Choice>, String)>,
    pub adopters: String,
    pub revenue_yuan: String,
    pub cost_saved_yuan: String,
    pub orders: String,
    pub ip_terms: String,
    /// The challenge's own scoring form as lines `criterion，weight，max` (blank: the default form).
    pub scoring: String,
    /// The default form, shown as a hint in the same shape.
    pub scoring_default: String,
    pub offer: String,
    pub version: i64,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct NewQuery {
    lang: Option<String>,
    kind: Option<String>,
    demand: Option<i64>,
}

fn yuan_of(fen: i64) -> String {
    if fen == 0 {
        String::new()
    } else {
        super::format::trim_zeros(&format!("{:.2}", fen as f64 / 100.0))
    }
}

/// The posting form, empty or filled from a challenge.
pub(super) async fn form_page(
    state: &AppState,
    c: &Ctx,
    v: Option<&ChallengeView>,
    scenario: bool,
    demand: Option<i64>,
    error: Option<super::challenges::PageError>,
) -> FormPage {
    let l = c.lang;
    let mut demands = vec![Choice {
        value: String::new(),
        label: "—".into(),
        selected: true,
    }];
    let own = match c.viewer.user().and_then(|u| u.organization_id) {
        Some(org) => state
            .store
            .get(model::RecordKind::Organization, org)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(model::Record::Organization(own)) = own.map(|s| s.record) {
        let narrow = store::DemandNarrowing {
            owner: Some((own.name.clone(), own.uscc.as_ref().map(|u| u.to_string()))),
            status: Some("open".into()),
            ..Default::default()
        };
        if let Ok((rows, _, _)) =
            crate::api::visible_demands_where(state, &c.viewer, None, narrow, 0, 100, true).await
        {
            let chosen = v.and_then(|v| v.demand_id).or(demand);
            for r in rows {
                demands.push(Choice {
                    value: r.id.to_string(),
                    label: r.record["title"].as_str().unwrap_or_default().to_string(),
                    selected: Some(r.id) == chosen,
                });
            }
            if demands.iter().skip(1).any(|d| d.selected) {
                demands[0].selected = false;
            }
        }
    }
    let dir = |d: &str| Choice::coded(l, "ch_dir_", &["at_least", "at_most"], Some(d));
    let mut targets: Vec<(String, String, String, Vec<Choice>, String)> = v
        .map(|v| {
            v.detail
                .targets
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        t.unit.clone(),
                        super::format::trim_zeros(&format!("{}", t.threshold)),
                        dir(&t.direction),
                        t.method.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    while targets.len() < 3 {
        targets.push((
            String::new(),
            String::new(),
            String::new(),
            dir("at_least"),
            String::new(),
        ));
    }
    let vis = v.map(|v| v.visibility.as_str()).unwrap_or("public");
    FormPage {
        f: c.frame(t(
            if v.is_some() {
                "ch_edit"
            } else if scenario {
                "ch_post_scenario"
            } else {
                "ch_post"
            },
            l,
        )),
        action: match v {
            Some(v) => format!("/challenges/{}/edit", v.id),
            None => "/challenges/new".into(),
        },
        scenario: v.map(|v| v.kind == "scenario").unwrap_or(scenario),
        error,
        title: v.map(|v| v.title.clone()).unwrap_or_default(),
        summary: v.map(|v| v.summary.clone()).unwrap_or_default(),
        demands,
        end_user: v
            .filter(|v| v.end_user.id != v.poster.id)
            .map(|v| v.end_user.name.clone())
            .unwrap_or_default(),
        budget_yuan: v.map(|v| yuan_of(v.budget_fen)).unwrap_or_default(),
        matching_yuan: v.map(|v| yuan_of(v.matching_fen)).unwrap_or_default(),
        deadline: v.and_then(|v| v.deadline.clone()).unwrap_or_default(),
        winners_max: v.map(|v| v.winners_max).unwrap_or(1),
        visibilities: Choice::coded(l, "ch_visibility_", &["public", "registered"], Some(vis)),
        blind: v.is_some_and(|v| v.blind),
        targets,
        adopters: v
            .and_then(|v| v.detail.market_targets.get("adopters"))
            .map(|x| x.to_string())
            .unwrap_or_default(),
        cost_saved_yuan: v
            .and_then(|v| v.detail.market_targets.get("cost_saved_fen"))
            .map(|x| yuan_of(*x))
            .unwrap_or_default(),
        orders: v
            .and_then(|v| v.detail.market_targets.get("orders"))
            .map(|x| x.to_string())
            .unwrap_or_default(),
        revenue_yuan: v
            .and_then(|v| v.detail.market_targets.get("revenue_fen"))
            .map(|x| yuan_of(*x))
            .unwrap_or_default(),
        ip_terms: v.map(|v| v.detail.ip_terms.clone()).unwrap_or_default(),
        scoring: v
            .and_then(|v| v.detail.form.as_ref())
            .map(|f| form_lines(l, f))
            .unwrap_or_default(),
        scoring_default: form_lines(l, &state.board.form),
        offer: v.map(|v| v.detail.offer.clone()).unwrap_or_default(),
        version: v.map(|v| v.version).unwrap_or(0),
    }
}

pub(super) async fn new_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    if let Some(r) = super::gate(&c, t("ch_post", c.lang), may_post(&c), "forbidden") {
        return r;
    }
    let page = form_page(
        &state,
        &c,
        None,
        q.kind.as_deref() == Some("scenario"),
        q.demand,
        None,
    )
    .await;
    respond(&c, StatusCode::OK, &page)
}

pub(super) async fn edit_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let a = maybe_actor(&c.viewer);
    let v = match state.board.show(a.as_ref(), id).await {
        Ok(v) => v,
        Err(_) => return not_found_page(&c),
    };
    let allowed = v.my_roles.iter().any(|r| r == "poster" || r == "operator")
        && matches!(v.stage.as_str(), "draft" | "refining");
    if let Some(r) = super::gate(&c, t("ch_edit", c.lang), allowed, "forbidden") {
        return r;
    }
    let page = form_page(&state, &c, Some(&v), false, None, None).await;
    respond(&c, StatusCode::OK, &page)
}

/// A scoring form as the posting form's lines: `criterion，weight，max`.
fn form_lines(l: super::Lang, f: &contest::Form) -> String {
    f.criteria
        .iter()
        .map(|c| {
            format!(
                "{}，{}，{}",
                super::challenges::criterion_label(l, c),
                c.weight,
                c.max
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
