//! The engagement page's forms: a move (with whatever it carries: evaluation, contract or
//! placement, report, close reason), signing the NDA, assigning a broker. Each checks the CSRF
//! token, calls the same desk use case as the API, and shows the engagement again — or the page
//! with what went wrong, in the status the API would answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use engine::engagements::{
    ContractInput, EvaluationInput, PlacementInput, ReportInput, TransitionRequest,
};
use engine::EngineError;

use super::deals::render_detail;
use super::{ctx, not_found_page, t, Ctx, Lang, MessagePage};
use crate::engagements::actor;
use crate::state::AppState;
use crate::ApiPath;

/// The move form: whatever a move may carry, as text fields.
#[derive(serde::Deserialize, Default)]
pub(super) struct MoveForm {
    csrf: String,
    version: i64,
    to: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    evaluation_kind: String,
    #[serde(default)]
    contract_type: String,
    #[serde(default)]
    amount_yuan: String,
    #[serde(default)]
    ip_ownership: String,
    #[serde(default)]
    seller: String,
    #[serde(default)]
    signed_on: String,
    #[serde(default)]
    registration_no: String,
    #[serde(default)]
    registered_on: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    start_on: String,
    #[serde(default)]
    end_on: String,
    #[serde(default)]
    days_per_month: String,
    #[serde(default)]
    report_kind: String,
    #[serde(default)]
    revenue_yuan: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Yuan as typed (`12.5`, `1,200`) in integer fen; `None` when it is not a number.
fn typed_fen(s: &str) -> Option<i64> {
    let s = s.trim().replace([',', '，', ' '], "");
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && (0.0..1e12).contains(&v)).then(|| (v * 100.0).round() as i64)
}

impl MoveForm {
    fn request(&self, l: Lang) -> Result<TransitionRequest, String> {
        let mut r = TransitionRequest {
            to: self.to.clone(),
            version: self.version,
            reason_code: some(&self.reason_code),
            note: some(&self.note),
            contract: None,
            placement: None,
            evaluation: None,
            report: None,
        };
        match self.to.as_str() {
            "evaluation" => {
                r.evaluation = some(&self.evaluation_kind).map(|kind| EvaluationInput {
                    kind,
                    platform_org_id: None,
                })
            }
            "contracted" if some(&self.post).is_some() => {
                let days = self
                    .days_per_month
                    .trim()
                    .parse()
                    .map_err(|_| t("form_days_number", l).to_string())?;
                r.placement = Some(PlacementInput {
                    post: self.post.clone(),
                    start_on: self.start_on.clone(),
                    end_on: some(&self.end_on),
                    days_per_month: days,
                });
            }
            "contracted" => {
                let amount = typed_fen(&self.amount_yuan)
                    .ok_or_else(|| t("form_amount_number", l).to_string())?;
                r.contract = Some(ContractInput {
                    contract_type: self.contract_type.clone(),
                    amount_fen: amount,
                    seller: some(&self.seller),
                    ip_ownership: self.ip_ownership.clone(),
                    signed_on: self.signed_on.clone(),
                    registration_no: some(&self.registration_no),
                    registered_on: some(&self.registered_on),
                });
            }
            "follow_up" => {
                let revenue = match some(&self.revenue_yuan) {
                    Some(s) => {
                        Some(typed_fen(&s).ok_or_else(|| t("form_amount_number", l).to_string())?)
                    }
                    None => None,
                };
                r.report = some(&self.report_kind).map(|kind| ReportInput {
                    kind,
                    revenue_fen: revenue,
                });
            }
            _ => {}
        }
        Ok(r)
    }
}

/// The page again with what went wrong, in the status the API would answer.
async fn refused(state: &AppState, c: &Ctx, id: i64, e: EngineError) -> Response {
    let l = c.lang;
    let (status, key) = match &e {
        EngineError::NotFound(_) => return not_found_page(c),
        EngineError::Conflict(_) => (StatusCode::CONFLICT, "engagement_conflict"),
        EngineError::Forbidden(_) => (StatusCode::FORBIDDEN, "engagement_forbidden"),
        EngineError::Input(_) => (StatusCode::BAD_REQUEST, "engagement_input"),
        _ => return crate::ApiError::from(e).into_response(),
    };
    // The engine's message names the field and the fix (in English); the page leads with words.
    let why = format!("{}（{}）", t(key, l), e);
    render_detail(state, c, id, Some(why), false, status).await
}

/// A form post's context and actor, once its CSRF token is checked (else the refusal page).
pub(super) async fn acting(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(Ctx, engine::engagements::Actor), Response> {
    let c = ctx(state, headers, None).await;
    if csrf != c.csrf {
        return Err(MessagePage::new(&c, "403", t("csrf_failed", c.lang))
            .respond(&c, StatusCode::FORBIDDEN));
    }
    match actor(&c.viewer) {
        Ok(a) => Ok((c, a)),
        Err(_) => Err(not_found_page(&c)),
    }
}

/// After a move: wake the delivery worker and show the engagement again.
fn moved(state: &AppState, id: i64) -> Response {
    state.deliveries_due();
    Redirect::to(&format!("/engagements/{id}?done=1")).into_response()
}

pub(super) async fn move_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(f): Form<MoveForm>,
) -> Response {
    let (c, a) = match acting(&state, &headers, &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = match f.request(c.lang) {
        Ok(r) => r,
        Err(why) => {
            return render_detail(&state, &c, id, Some(why), false, StatusCode::BAD_REQUEST).await
        }
    };
    let pass = state.policy.demand_pass(&c.viewer);
    match state.desk.transition(&a, &pass, id, &req).await {
        Ok(_) => moved(&state, id),
        Err(e) => refused(&state, &c, id, e).await,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct VersionForm {
    csrf: String,
    version: i64,
    #[serde(default)]
    broker_user_id: Option<i64>,
}

pub(super) async fn sign_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(f): Form<VersionForm>,
) -> Response {
    let (c, a) = match acting(&state, &headers, &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.desk.sign_nda(&a, id, f.version).await {
        Ok(()) => moved(&state, id),
        Err(e) => refused(&state, &c, id, e).await,
    }
}

pub(super) async fn broker_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(f): Form<VersionForm>,
) -> Response {
    let (c, a) = match acting(&state, &headers, &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(broker) = f.broker_user_id else {
        return render_detail(&state, &c, id, None, false, StatusCode::BAD_REQUEST).await;
    };
    let pass = state.policy.demand_pass(&c.viewer);
    match state
        .desk
        .assign_broker(&a, &pass, id, f.version, broker)
        .await
    {
        Ok(_) => moved(&state, id),
        Err(e) => refused(&state, &c, id, e).await,
    }
}
