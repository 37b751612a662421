//! 发起对接: the form that opens an engagement from a need page, an outcome, expert or platform
//! page, a match result or an adopter list. What the link names is fixed; what it leaves open is
//! chosen among the viewer's own: an institution picks one of its outcomes or experts for a need,
//! an enterprise picks one of its open needs (or none) for an outcome.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use engine::engagements::{ItemRef, OpenRequest};
use engine::EngineError;
use model::{Record, RecordKind};

use super::deals::{item_href, need_show, NeedShow};
use super::{ctx, gate, not_found_page, respond, t, Choice, Ctx, Frame, Lang, MessagePage};
use crate::engagements::actor;
use crate::state::AppState;
use crate::ApiQuery;

/// What the link fixed.
#[derive(serde::Deserialize, Default, Clone)]
pub(super) struct OpenQuery {
    lang: Option<String>,
    demand: Option<i64>,
    kind: Option<String>,
    id: Option<i64>,
    seeker: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "engagement_new.html")]
struct OpenPage {
    f: Frame,
    need: Option<NeedShow>,
    demand: Option<i64>,
    /// The fixed item: (value `kind:id`, title, href).
    item: Option<(String, String, String)>,
    /// The viewer's own items to choose from.
    items: Vec<Choice>,
    /// The viewer's own open needs to choose from (an enterprise offered an item).
    needs: Vec<Choice>,
    seeker: Option<i64>,
    seeker_name: Option<String>,
    expert: bool,
    message: String,
    error: Option<String>,
}

pub(super) async fn open_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<OpenQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render(&state, &c, &q, String::new(), None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    c: &Ctx,
    q: &OpenQuery,
    message: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let heading = t("engagement_open", l);
    let org = c.viewer.user().and_then(|u| u.organization_id);
    if let Some(r) = gate(c, heading, org.is_some(), "engagement_org_only") {
        return r;
    }
    let Some(org) = org else {
        return not_found_page(c);
    };
    let pass = state.policy.demand_pass(&c.viewer);
    let need = match q.demand {
        Some(d) => match state.desk.demand_face(&pass, Some(d)).await {
            Ok(face) if face.access == "full" || face.access == "summary" => {
                Some(need_show(&face, l))
            }
            _ => return not_found_page(c),
        },
        None => None,
    };
    let item = match (&q.kind, q.id) {
        (Some(k), Some(id)) => match state.desk.item_title(k, id).await {
            Ok(title) => Some((
                format!("{k}:{id}"),
                title,
                item_href(&engine::engagements::ItemFace {
                    kind: k.clone(),
                    id,
                    title: String::new(),
                }),
            )),
            Err(_) => return not_found_page(c),
        },
        _ => None,
    };
    let Ok(Some(own)) = state.store.get(RecordKind::Organization, org).await else {
        return not_found_page(c);
    };
    let Record::Organization(own) = &own.record else {
        return not_found_page(c);
    };
    let mut items = vec![];
    if item.is_none() {
        let uscc = own.uscc.as_ref().map(|u| u.to_string());
        if let Ok((outcomes, _)) = state
            .store
            .outcomes_owned_by(&own.name, uscc.as_deref(), 100)
            .await
        {
            items.extend(outcomes.iter().map(|s| Choice {
                value: format!("outcome:{}", s.id),
                label: format!("{}：{}", t("kind_outcome", l), s.record.label()),
                selected: false,
            }));
        }
        if let Ok((people, _)) = state.store.people_of(&own.name, 100).await {
            items.extend(people.iter().map(|s| Choice {
                value: format!("expert:{}", s.id),
                label: format!("{}：{}", t("kind_expert", l), s.record.label()),
                selected: false,
            }));
        }
    }
    let mut needs = vec![];
    if q.demand.is_none() && q.seeker.is_none() && item.is_some() {
        let narrow = store::DemandNarrowing {
            owner: Some((own.name.clone(), own.uscc.as_ref().map(|u| u.to_string()))),
            status: Some("open".into()),
            ..Default::default()
        };
        needs.push(Choice {
            value: String::new(),
            label: t("engagement_offer_no_need", l).to_string(),
            selected: true,
        });
        if let Ok((rows, _, _)) =
            crate::api::visible_demands_where(state, &c.viewer, None, narrow, 0, 100, true).await
        {
            needs.extend(rows.iter().map(|r| Choice {
                value: r.id.to_string(),
                label: r.record["title"].as_str().unwrap_or_default().to_string(),
                selected: false,
            }));
        }
    }
    let seeker_name = match q.seeker {
        Some(s) => match state.store.get(RecordKind::Organization, s).await {
            Ok(Some(o)) => Some(o.record.label().to_string()),
            _ => return not_found_page(c),
        },
        None => None,
    };
    if item.is_none() && items.is_empty() {
        return MessagePage::new(c, heading, t("engagement_nothing_to_offer", l))
            .plain()
            .respond(c, StatusCode::OK);
    }
    let page = OpenPage {
        f: c.frame(heading),
        need,
        demand: q.demand,
        expert: q.kind.as_deref() == Some("expert"),
        item,
        items,
        needs,
        seeker: q.seeker,
        seeker_name,
        message,
        error,
    };
    respond(c, status, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct OpenForm {
    csrf: String,
    #[serde(default)]
    demand: String,
    item: String,
    #[serde(default)]
    seeker: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    want_broker: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
}

fn number(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

pub(super) async fn open_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<OpenForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l: Lang = c.lang;
    if f.csrf != c.csrf {
        return MessagePage::new(&c, "403", t("csrf_failed", l)).respond(&c, StatusCode::FORBIDDEN);
    }
    let Ok(a) = actor(&c.viewer) else {
        return not_found_page(&c);
    };
    let (kind, id) = match f.item.split_once(':') {
        Some((k, i)) if number(i).is_some() => (k.to_string(), number(i).unwrap_or_default()),
        _ => return not_found_page(&c),
    };
    let q = OpenQuery {
        lang: None,
        demand: number(&f.demand),
        kind: Some(kind.clone()),
        id: Some(id),
        seeker: number(&f.seeker),
    };
    let req = OpenRequest {
        demand_id: q.demand,
        item: ItemRef { kind, id },
        message: f.message.clone(),
        purpose: f.purpose.clone().filter(|p| p == "placement"),
        // An enterprise offered an item without a need of its own: it is the seeker.
        seeker_org_id: q.seeker.or(if q.demand.is_none() { a.org } else { None }),
        want_broker: f.want_broker.is_some(),
    };
    let pass = state.policy.demand_pass(&c.viewer);
    match state.desk.open(&a, &pass, &req).await {
        Ok(v) => {
            state.deliveries_due();
            Redirect::to(&format!("/engagements/{}?done=1", v.id)).into_response()
        }
        Err(EngineError::NotFound(_)) => not_found_page(&c),
        Err(e) => {
            let status = match e {
                EngineError::Forbidden(_) => StatusCode::FORBIDDEN,
                EngineError::Conflict(_) => StatusCode::CONFLICT,
                EngineError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::BAD_REQUEST,
            };
            let why = format!("{}（{}）", t("engagement_input", l), e);
            render(&state, &c, &q, f.message, Some(why), status).await
        }
    }
}
