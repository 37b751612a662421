//! Engagement pages: 我的对接 (the board of the viewer's engagements), one engagement with its
//! timeline and the moves open to the viewer (accept, NDA, evaluation, contract, follow-up, close),
//! and the form that opens one. Every act goes through the same desk use case as the API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::engagements::{DemandFace, EngagementView, ItemFace};
use engine::EngineError;

use super::format::{china_time, fen};
use super::{ctx, gate, labels, not_found_page, respond, t, Choice, Ctx, Frame, Lang};
use crate::engagements::actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// A need as a line of a page: words and where they lead.
pub(crate) struct NeedShow {
    pub text: String,
    pub href: Option<String>,
    /// `full`, `summary`, `hidden`, `none`.
    pub access: String,
}

pub(crate) fn need_show(d: &DemandFace, l: Lang) -> NeedShow {
    let href = d.id.map(|id| format!("/demands/{id}"));
    let text = match d.access.as_str() {
        "full" => d.title.clone().unwrap_or_default(),
        "summary" => d.summary.clone().unwrap_or_default(),
        "hidden" => t("engagement_need_hidden", l).to_string(),
        _ => t("engagement_no_need", l).to_string(),
    };
    NeedShow {
        text,
        href,
        access: d.access.clone(),
    }
}

pub(crate) fn item_href(i: &ItemFace) -> String {
    match i.kind.as_str() {
        "outcome" => format!("/outcomes/{}", i.id),
        "expert" => format!("/experts/{}", i.id),
        _ => format!("/organizations/{}", i.id),
    }
}

/// A line of the board.
pub(crate) struct RowShow {
    pub id: i64,
    pub stage: String,
    pub stage_code: String,
    pub need: NeedShow,
    pub item: String,
    pub item_href: String,
    pub seeker: String,
    pub provider: String,
    pub when: String,
    pub awaits_me: bool,
    pub reason: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "engagements.html")]
struct BoardPage {
    f: Frame,
    rows: Vec<RowShow>,
    stages: Vec<Choice>,
    operator: bool,
    broker: bool,
    losses: Option<LossShow>,
}

struct LossShow {
    engagements: usize,
    contracted: usize,
    closed: usize,
    withdrawn: usize,
    reasons: Vec<(String, usize)>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct BoardQuery {
    lang: Option<String>,
    stage: Option<String>,
}

pub(super) async fn board(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("nav_engagements", l);
    let a = match signed_actor(&c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pass = state.policy.demand_pass(&c.viewer);
    let stage = q.stage.filter(|s| !s.is_empty());
    let list = match state.desk.list(&a, &pass, stage.as_deref(), 300).await {
        Ok(v) => v,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let rows = list
        .iter()
        .map(|s| RowShow {
            id: s.id,
            stage: labels::code("stage_", &s.stage, l),
            stage_code: s.stage.clone(),
            need: need_show(&s.demand, l),
            item: s.item.title.clone(),
            item_href: item_href(&s.item),
            seeker: s.seeker.name.clone(),
            provider: s.provider.name.clone(),
            when: china_time(s.stage_at),
            awaits_me: s.awaits_me,
            reason: s
                .close_reason
                .as_deref()
                .map(|r| labels::code("reason_", r, l)),
        })
        .collect();
    let losses = match a.org {
        Some(org) => state.desk.why_we_lose(org).await.ok().map(|w| LossShow {
            engagements: w.engagements,
            contracted: w.contracted,
            closed: w.closed_lost,
            withdrawn: w.withdrawn,
            reasons: w
                .by_reason
                .iter()
                .map(|(r, n)| (labels::code("reason_", r, l), *n))
                .collect(),
        }),
        None => None,
    };
    let codes: Vec<&str> = state
        .desk
        .flow
        .states
        .iter()
        .map(|s| s.code.as_str())
        .collect();
    let mut stages = vec![Choice {
        value: String::new(),
        label: t("all_engagement_stages", l).to_string(),
        selected: stage.is_none(),
    }];
    stages.extend(Choice::coded(l, "stage_", &codes, stage.as_deref()));
    let page = BoardPage {
        f: c.frame(heading),
        rows,
        stages,
        operator: a.operator,
        broker: a.broker,
        losses,
    };
    respond(&c, StatusCode::OK, &page)
}

/// An event of the timeline in words.
struct EventShow {
    when: String,
    party: String,
    what: String,
    reason: Option<String>,
    note: String,
    detail: Option<String>,
}

/// A move the viewer may make, with the form it needs.
struct MoveShow {
    to: String,
    label: String,
}

#[derive(askama::Template)]
#[template(path = "engagement.html")]
struct DetailPage {
    f: Frame,
    v: EngagementView,
    stage: String,
    purpose: String,
    need: NeedShow,
    item_href: String,
    events: Vec<EventShow>,
    moves: Vec<MoveShow>,
    reasons: Vec<Choice>,
    evaluation_kinds: Vec<Choice>,
    contract_types: Vec<Choice>,
    ip_choices: Vec<Choice>,
    report_kinds: Vec<Choice>,
    posts: Vec<Choice>,
    contract: Option<Vec<(String, String)>>,
    close_reason: Option<String>,
    evaluation: Option<String>,
    /// (user id, name, why in words, matched keywords as written).
    brokers: Vec<(i64, String, String, String)>,
    may_assign: bool,
    today: String,
    error: Option<String>,
    done: bool,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DetailQuery {
    pub lang: Option<String>,
    pub done: Option<String>,
}

pub(super) async fn detail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DetailQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    render_detail(&state, &c, id, None, q.done.is_some(), StatusCode::OK).await
}

pub(super) async fn render_detail(
    state: &AppState,
    c: &Ctx,
    id: i64,
    error: Option<String>,
    done: bool,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let a = match signed_actor(c, t("nav_engagements", l), true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pass = match state.policy.fresh_demand_pass(&c.viewer).await {
        Ok(p) => p,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let v = match state.desk.show(&a, &pass, id).await {
        Ok(v) => v,
        Err(EngineError::NotFound(_)) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let events = v
        .timeline
        .iter()
        .map(|e| EventShow {
            when: china_time(e.at),
            party: labels::code("party_", &e.party, l),
            what: match &e.from {
                Some(f) if *f == e.to => event_in_place(&e.detail, l),
                _ => labels::code("stage_", &e.to, l),
            },
            reason: e
                .reason_code
                .as_deref()
                .map(|r| labels::code("reason_", r, l)),
            note: e.note.clone(),
            detail: detail_words(&e.detail, l),
        })
        .collect();
    let moves = v
        .moves
        .iter()
        .map(|m| MoveShow {
            to: m.clone(),
            label: labels::code("move_", m, l),
        })
        .collect();
    let vocab = &state.desk.vocab;
    let coded = |prefix: &str, codes: &[String]| {
        let c: Vec<&str> = codes.iter().map(String::as_str).collect();
        Choice::coded(l, prefix, &c, None)
    };
    let reasons: Vec<String> = state
        .desk
        .flow
        .reasons
        .iter()
        .map(|r| r.code.clone())
        .collect();
    let placeholder = Choice {
        value: String::new(),
        label: t("choose", l).to_string(),
        selected: true,
    };
    let may_assign = v.open
        && v.broker.is_none()
        && v.parties
            .iter()
            .any(|p| matches!(p.as_str(), "seeker" | "provider" | "operator"));
    let brokers = if may_assign {
        state
            .desk
            .propose_brokers(&a, id)
            .await
            .unwrap_or_default()
            .into_iter()
            .take(5)
            .map(|b| {
                let mut why = vec![];
                if !b.clusters.is_empty() {
                    let names: Vec<String> = b
                        .clusters
                        .iter()
                        .map(|k| labels::cluster(state, k, l))
                        .collect();
                    why.push(names.join(labels::sep(l)));
                }

                if b.region {
                    why.push(t("broker_same_region", l).to_string());
                }
                why.push(format!("{} {}", t("broker_load", l), b.load));
                let data = b.keywords.join(labels::sep(l));
                (b.user_id, b.name, why.join(" · "), data)
            })
            .collect()
    } else {
        vec![]
    };
    let contract = v.contract.as_ref().map(|k| {
        vec![
            (
                t("contract_type", l).to_string(),
                labels::code("contract_type_", &k.contract_type, l),
            ),
            (t("contract_amount", l).to_string(), fen(k.amount_fen, l)),
            (t("contract_seller", l).to_string(), k.seller.name.clone()),
            (t("contract_buyer", l).to_string(), k.buyer.name.clone()),
            (
                t("contract_ip", l).to_string(),
                labels::code("ip_", &k.ip_ownership, l),
            ),
            (t("contract_signed_on", l).to_string(), k.signed_on.clone()),
            (
                t("contract_registration", l).to_string(),
                match (&k.registration_no, &k.registered_on) {
                    (Some(n), Some(d)) => format!("{n}（{d}）"),
                    (Some(n), None) => n.clone(),
                    _ => t("contract_not_registered", l).to_string(),
                },
            ),
            (
                t("contract_buyer_local", l).to_string(),
                t(if k.buyer_local { "yes" } else { "no" }, l).to_string(),
            ),
        ]
    });
    let page = DetailPage {
        f: c.frame(&format!("{} #{id}", t("engagement", l))),
        stage: labels::code("stage_", &v.stage, l),
        purpose: labels::code("purpose_", &v.purpose, l),
        need: need_show(&v.demand, l),
        item_href: item_href(&v.item),
        close_reason: v
            .close_reason
            .as_deref()
            .map(|r| labels::code("reason_", r, l)),
        evaluation: v.evaluation_kind.as_deref().map(|k| {
            let org = v
                .evaluation_org
                .as_ref()
                .map(|o| format!("（{}）", o.name))
                .unwrap_or_default();
            format!("{}{org}", labels::code("evaluation_", k, l))
        }),
        events,
        moves,
        reasons: std::iter::once(placeholder)
            .chain(coded("reason_", &reasons))
            .collect(),
        evaluation_kinds: coded("evaluation_", &vocab.evaluation_kinds),
        contract_types: coded("contract_type_", &vocab.contract_types),
        ip_choices: coded("ip_", &vocab.ip_ownership),
        report_kinds: coded("report_", &vocab.report_kinds),
        posts: coded("post_", &vocab.placement_posts),
        contract,
        brokers,
        may_assign,
        today: chrono::Utc::now().date_naive().to_string(),
        error,
        done,
        v,
    };
    respond(c, status, &page)
}

/// A same-stage event (a signature, a broker) in words.
fn event_in_place(detail: &serde_json::Value, l: Lang) -> String {
    if detail.get("nda_version").is_some() {
        t("event_nda_signed", l).to_string()
    } else if detail.get("broker_user_id").is_some() {
        t("event_broker_assigned", l).to_string()
    } else {
        t("event_recorded", l).to_string()
    }
}

/// What a move recorded besides its stage, in words.
fn detail_words(detail: &serde_json::Value, l: Lang) -> Option<String> {
    let mut parts = vec![];
    if let Some(k) = detail.get("evaluation").and_then(|v| v.as_str()) {
        parts.push(labels::code("evaluation_", k, l));
    }
    if let Some(r) = detail.get("report") {
        if let Some(k) = r.get("kind").and_then(|v| v.as_str()) {
            parts.push(labels::code("report_", k, l));
        }
        if let Some(f) = r.get("revenue_fen").and_then(|v| v.as_u64()) {
            parts.push(format!("{} {}", t("revenue", l), fen(f as i64, l)));
        }
    }
    if let Some(n) = detail.get("nda_version").and_then(|v| v.as_i64()) {
        let sha = detail
            .get("nda_sha256")
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(12).collect::<String>())
            .unwrap_or_default();
        parts.push(format!("{} v{n} · SHA-256 {sha}…", t("nda_text", l)));
    }
    (!parts.is_empty()).then(|| parts.join(labels::sep(l)))
}

/// The signed-in actor of a page, or the page that answers instead: the sign-in form, or a 403 for
/// a viewer without `allowed` (its reason under `refusal_key`).
pub(super) async fn signed_actor(
    c: &Ctx,
    heading: &str,
    allowed: bool,
    refusal_key: &str,
) -> Result<engine::engagements::Actor, Response> {
    if let Some(r) = gate(c, heading, allowed, refusal_key) {
        return Err(r);
    }
    actor(&c.viewer).map_err(|_| not_found_page(c))
}
