//! The pages around engagements: the inbox (with where notifications go), technology contracts
//! (listed and exported) and the operators' board of stalled engagements.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use super::deals::{item_href, need_show, signed_actor, NeedShow};
use super::format::{china_time, fen, percent, xlsx_download};
use super::{ctx, labels, not_found_page, respond, t, Frame, MessagePage};
use crate::deliver::notice_parts;
use crate::state::AppState;
use crate::ApiQuery;

#[derive(serde::Deserialize, Default)]
pub(super) struct LangQuery {
    lang: Option<String>,
    format: Option<String>,
    days: Option<i64>,
    saved: Option<String>,
}

struct NoticeShow {
    when: String,
    before: String,
    item: String,
    after: String,
    href: Option<String>,
    unread: bool,
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    f: Frame,
    notices: Vec<NoticeShow>,
    unread: i64,
    email: String,
    phone: String,
    /// The organization's webhook (users of an organization).
    webhook: Option<String>,
    saved: bool,
}

pub(super) async fn inbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("nav_inbox", l);
    let a = match signed_actor(&c, heading, true, "forbidden").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (list, unread) = match state.desk.inbox(&a, 100).await {
        Ok(x) => x,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let notices = list
        .iter()
        .map(|n| {
            let subject = n.engagement_id.or(n.challenge_id).or(n.booking_id);
            let (before, after) = notice_parts(&n.event, subject, n.to.as_deref(), l);
            (n, before, after)
        })
        .map(|(n, before, after)| NoticeShow {
            when: china_time(n.at),
            before,
            after,
            item: n.item.as_ref().map_or(String::new(), |i| i.title.clone()),
            href: match (n.engagement_id, n.challenge_id) {
                (Some(id), _) => Some(format!("/engagements/{id}")),
                (None, Some(id)) => Some(format!("/challenges/{id}")),
                _ => n.booking_id.map(|id| format!("/bookings/{id}")),
            },
            unread: !n.read,
        })
        .collect();
    let me = state.store.user(a.user_id).await.ok().flatten();
    let webhook = match a.org {
        Some(org) => Some(
            state
                .store
                .org_webhook(org)
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        ),
        None => None,
    };
    let page = InboxPage {
        f: c.frame(heading),
        notices,
        unread,
        email: me
            .as_ref()
            .and_then(|u| u.email.clone())
            .unwrap_or_default(),
        phone: me.and_then(|u| u.phone).unwrap_or_default(),
        webhook,
        saved: q.saved.is_some(),
    };
    respond(&c, StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub(super) struct ChannelsForm {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    webhook: Option<String>,
}

/// Saves where the user's notifications go: their e-mail and phone, and (users of an
/// organization) its webhook.
pub(super) async fn inbox_channels(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<ChannelsForm>,
) -> Response {
    let (c, a) = match super::deal_posts::acting(&state, &headers, &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = c.lang;
    let result = async {
        engine::accounts::set_contact(
            &state.store,
            a.user_id,
            Some(&f.email),
            Some(&f.phone),
            &a.username,
        )
        .await
        .map_err(|e| e.to_string())?;
        if let (Some(org), Some(url)) = (a.org, &f.webhook) {
            let url = url.trim();
            let ok = url.is_empty()
                || ((url.starts_with("http://") || url.starts_with("https://"))
                    && url.len() <= 500
                    && !url.chars().any(char::is_whitespace));
            if !ok {
                return Err(t("webhook_invalid", l).to_string());
            }
            state
                .store
                .set_org_webhook(org, Some(url).filter(|u| !u.is_empty()))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/inbox?saved=1").into_response(),
        Err(why) => MessagePage::new(&c, t("nav_inbox", l), &why)
            .link("/inbox", t("nav_inbox", l))
            .respond(&c, StatusCode::BAD_REQUEST),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn inbox_read(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    if f.csrf != c.csrf {
        return MessagePage::new(&c, "403", t("csrf_failed", c.lang))
            .respond(&c, StatusCode::FORBIDDEN);
    }
    let Some(uid) = c.viewer.user_id() else {
        return not_found_page(&c);
    };
    match state.store.mark_read(uid, None).await {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    f: Frame,
    headers: Vec<String>,
    rows: Vec<(i64, Vec<String>)>,
    total: String,
    local_share: String,
}

const CONTRACT_COLUMNS: [&str; 9] = [
    "contract_engagement",
    "contract_type",
    "contract_amount",
    "contract_seller",
    "contract_buyer",
    "contract_buyer_local",
    "contract_ip",
    "contract_signed_on",
    "contract_registration",
];

pub(super) async fn contracts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("nav_contracts", l);
    let allowed = c
        .viewer
        .user()
        .is_some_and(|u| u.organization_id.is_some() || c.viewer.is_official());
    let a = match signed_actor(&c, heading, allowed, "contracts_refused").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let list = match state.desk.contracts(&a, 5000).await {
        Ok(x) => x,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let yes_no = |b: bool| t(if b { "yes" } else { "no" }, l).to_string();
    let rows: Vec<(i64, Vec<String>)> = list
        .iter()
        .map(|k| {
            (
                k.engagement_id,
                vec![
                    format!("#{}", k.engagement_id),
                    labels::code("contract_type_", &k.contract_type, l),
                    fen(k.amount_fen, l),
                    k.seller.name.clone(),
                    k.buyer.name.clone(),
                    yes_no(k.buyer_local),
                    labels::code("ip_", &k.ip_ownership, l),
                    k.signed_on.clone(),
                    match &k.registration_no {
                        Some(n) => format!("{n} {}", k.registered_on.clone().unwrap_or_default()),
                        None => t("contract_not_registered", l).to_string(),
                    },
                ],
            )
        })
        .collect();
    let headers = labels::words(&CONTRACT_COLUMNS, l);
    if q.format.as_deref() == Some("xlsx") {
        let body: Vec<Vec<String>> = rows.iter().map(|(_, r)| r.clone()).collect();
        let stamp = chrono::Utc::now().format("%Y%m%d");
        return xlsx_download(
            &format!("contracts-{stamp}.xlsx"),
            t("nav_contracts", l),
            &headers,
            &body,
        );
    }
    let total: i64 = list.iter().map(|k| k.amount_fen.max(0)).sum();
    let local = list.iter().filter(|k| k.buyer_local).count();
    let page = ContractsPage {
        f: c.frame(heading),
        headers,
        rows,
        total: fen(total, l),
        local_share: if list.is_empty() {
            "—".into()
        } else {
            percent(local as f64 / list.len() as f64)
        },
    };
    respond(&c, StatusCode::OK, &page)
}

struct StalledShow {
    id: i64,
    stage: String,
    need: NeedShow,
    item: String,
    item_href: String,
    seeker: String,
    provider: String,
    idle_days: i64,
    awaits: String,
    broker: String,
}

#[derive(askama::Template)]
#[template(path = "stalled.html")]
struct StalledPage {
    f: Frame,
    rows: Vec<StalledShow>,
    days: i64,
}

pub(super) async fn stalled(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let heading = t("nav_stalled", l);
    let a = match signed_actor(&c, heading, c.viewer.is_operator(), "operators_only").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let days = q.days.unwrap_or(state.desk.reminder_days).clamp(1, 365);
    let pass = state.policy.demand_pass(&c.viewer);
    let list = match state
        .desk
        .stalled(&a, &pass, days, crate::auth::now())
        .await
    {
        Ok(x) => x,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let rows = list
        .iter()
        .map(|s| StalledShow {
            id: s.engagement.id,
            stage: labels::code("stage_", &s.engagement.stage, l),
            need: need_show(&s.engagement.demand, l),
            item: s.engagement.item.title.clone(),
            item_href: item_href(&s.engagement.item),
            seeker: s.engagement.seeker.name.clone(),
            provider: s.engagement.provider.name.clone(),
            idle_days: s.idle_days,
            awaits: match s.awaits.as_str() {
                "counterpart" => t("awaits_counterpart", l).to_string(),
                _ => t("awaits_both", l).to_string(),
            },
            broker: t(if s.broker { "yes" } else { "no" }, l).to_string(),
        })
        .collect();
    let page = StalledPage {
        f: c.frame(heading),
        rows,
        days,
    };
    respond(&c, StatusCode::OK, &page)
}
