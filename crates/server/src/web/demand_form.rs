//! A need's form: posting a new one (NDA-only until the poster opens it up) and, for its owner,
//! editing it and closing it. Writes go through the API's use cases (`api::post_demand`,
//! `api::edit_demand`), so the form and the API check the same things.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{ctx, not_found_page, respond, t, Choice, Ctx, Frame, LangParam, MessagePage};
use crate::api;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// The demand form, holding what was typed when it comes back with an error.
#[derive(Template)]
#[template(path = "demand_form.html")]
struct DemandFormPage {
    f: Frame,
    /// Where the form posts: `/demands/new` or `/demands/{id}/edit`.
    action: String,
    lead_key: &'static str,
    error: Option<String>,
    title: String,
    problem: String,
    metrics: String,
    public_summary: String,
    levels: Vec<Choice>,
    trls: Vec<Choice>,
    /// Editing only: the need's status.
    statuses: Vec<Choice>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DemandForm {
    csrf: String,
    title: String,
    problem: String,
    #[serde(default)]
    metrics: String,
    confidentiality: String,
    #[serde(default)]
    trl: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    public_summary: String,
}

impl DemandForm {
    fn metrics(&self) -> Vec<String> {
        self.metrics
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
    fn trl(&self) -> Option<u8> {
        self.trl.trim().parse().ok()
    }
}

fn demand_form(
    c: &Ctx,
    status: StatusCode,
    edit: Option<i64>,
    typed: &DemandForm,
    error: Option<&str>,
) -> Response {
    let l = c.lang;
    // A new need starts at the most protective level; the poster opens it up on purpose.
    let level = Some(typed.confidentiality.as_str())
        .filter(|s| !s.is_empty())
        .or(Some("nda"));
    let page = DemandFormPage {
        f: c.frame(t(
            if edit.is_some() {
                "edit_title"
            } else {
                "post_title"
            },
            l,
        )),
        action: match edit {
            Some(id) => format!("/demands/{id}/edit"),
            None => "/demands/new".into(),
        },
        lead_key: if edit.is_some() {
            "edit_lead"
        } else {
            "post_lead"
        },
        error: error.map(str::to_string),
        title: typed.title.clone(),
        problem: typed.problem.clone(),
        metrics: typed.metrics.clone(),
        public_summary: typed.public_summary.clone(),
        levels: Choice::coded(l, "level_", &["nda", "registered", "public"], level),
        trls: Choice::trl(typed.trl()),
        statuses: if edit.is_some() {
            Choice::coded(
                l,
                "status_",
                &["open", "matched", "closed"],
                Some(typed.status.as_str()),
            )
        } else {
            vec![]
        },
    };
    respond(c, status, &page)
}

pub(super) async fn new_demand_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    match c.viewer.user() {
        None => MessagePage::sign_in(&c, t("post_title", l), t("need_login", l))
            .respond(&c, StatusCode::OK),
        Some(u) if u.organization_id.is_none() => {
            MessagePage::new(&c, t("post_title", l), t("need_org", l)).respond(&c, StatusCode::OK)
        }
        Some(_) => demand_form(&c, StatusCode::OK, None, &DemandForm::default(), None),
    }
}

pub(super) async fn new_demand_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<DemandForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        let why = t("csrf_failed", c.lang);
        return demand_form(&c, StatusCode::FORBIDDEN, None, &f, Some(why));
    }
    let n = api::NewDemand {
        title: f.title.clone(),
        problem: f.problem.clone(),
        confidentiality: f.confidentiality.clone(),
        target_metrics: f.metrics(),
        keywords: vec![],
        trl_needed: f.trl(),
        clusters: vec![],
        deadline: None,
        public_summary: Some(f.public_summary.clone()),
    };
    match api::post_demand(&state, &c.viewer, n).await {
        Ok(v) => Redirect::to(&format!("/demands/{}", v.id)).into_response(),
        Err(e) => demand_form(&c, e.status, None, &f, Some(&e.message)),
    }
}

/// The need as the form holds it, when the viewer owns it; the page to show instead otherwise
/// (a need the viewer cannot see is not found; one it sees but does not own is refused).
async fn owned(state: &AppState, c: &Ctx, id: i64) -> Result<model::Demand, Response> {
    let l = c.lang;
    if c.viewer.user().is_none() {
        return Err(
            MessagePage::sign_in(c, t("edit_title", l), t("need_login", l))
                .respond(c, StatusCode::OK),
        );
    }
    let pass = state.policy.demand_pass(&c.viewer);
    let d = match c.viewer.demand(&state.store, &pass, id).await {
        Ok(Some(d)) => d.demand().clone(),
        Ok(None) => return Err(not_found_page(c)),
        Err(e) => return Err(crate::ApiError::from(e).into_response()),
    };
    match api::owns_demand(state, &c.viewer, &d).await {
        Ok(true) => Ok(d),
        Ok(false) => Err(MessagePage::new(c, "403", t("edit_owner_only", l))
            .plain()
            .respond(c, StatusCode::FORBIDDEN)),
        Err(e) => Err(e.into_response()),
    }
}

pub(super) async fn edit_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let d = match owned(&state, &c, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let typed = DemandForm {
        csrf: String::new(),
        title: d.title.clone(),
        problem: d.problem.clone(),
        metrics: d.target_metrics.join("\n"),
        public_summary: d.public_summary.clone().unwrap_or_default(),
        confidentiality: d.confidentiality.as_str().to_string(),
        trl: d
            .trl_needed
            .map(|x| x.get().to_string())
            .unwrap_or_default(),
        status: d.status.as_str().to_string(),
    };
    demand_form(&c, StatusCode::OK, Some(id), &typed, None)
}

pub(super) async fn edit_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(f): Form<DemandForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        let why = t("csrf_failed", c.lang);
        return demand_form(&c, StatusCode::FORBIDDEN, Some(id), &f, Some(why));
    }
    let edit = api::DemandEdit {
        title: f.title.clone(),
        problem: f.problem.clone(),
        target_metrics: f.metrics(),
        confidentiality: f.confidentiality.clone(),
        trl_needed: f.trl(),
        status: Some(f.status.clone()).filter(|s| !s.is_empty()),
        public_summary: Some(f.public_summary.clone()),
    };
    match api::edit_demand(&state, &c.viewer, id, edit).await {
        Ok(_) => Redirect::to(&format!("/demands/{id}?saved=1")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found_page(&c),
        Err(e) => demand_form(&c, e.status, Some(id), &f, Some(&e.message)),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CsrfOnly {
    csrf: String,
}

/// Closes a need its owner no longer seeks answers for (reopened from the edit form).
pub(super) async fn close_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        return MessagePage::new(&c, "403", t("csrf_failed", c.lang))
            .respond(&c, StatusCode::FORBIDDEN);
    }
    let d = match owned(&state, &c, id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let edit = api::DemandEdit {
        title: d.title,
        problem: d.problem,
        target_metrics: d.target_metrics,
        confidentiality: d.confidentiality.as_str().to_string(),
        trl_needed: d.trl_needed.map(|x| x.get()),
        status: Some("closed".into()),
        public_summary: d.public_summary.clone(),
    };
    match api::edit_demand(&state, &c.viewer, id, edit).await {
        Ok(_) => Redirect::to(&format!("/demands/{id}?saved=1")).into_response(),
        Err(e) => MessagePage::new(&c, "400", &e.message).respond(&c, e.status),
    }
}
