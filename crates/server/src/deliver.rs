//! The delivery worker: sends queued notifications by e-mail and webhook (with retries) and runs the
//! engagement reminders. A notification is put into words here, for its reader, from facts only (the
//! event, the engagement, the stages, the supply item's public title): no text a reader may not see
//! is ever stored in or sent with it.

use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;
use crate::web::{t, Lang};

/// How often the worker looks for due deliveries when nothing woke it.
const POLL: Duration = Duration::from_secs(5);
/// How often reminders are looked for.
const REMIND_EVERY: Duration = Duration::from_secs(60);

impl AppState {
    /// Tells the delivery worker that notifications were queued.
    pub fn deliveries_due(&self) {
        self.deliveries.notify_one();
    }
}

/// What a notification says, in `lang`.
pub fn notice_text(
    event: &str,
    engagement: Option<i64>,
    to: Option<&str>,
    item: &str,
    lang: Lang,
) -> String {
    let (before, after) = notice_parts(event, engagement, to, lang);
    format!("{before}{item}{after}")
}

/// The words of a notification before and after the supply item's title (a page shows the title
/// as record data, apart from the words).
pub fn notice_parts(
    event: &str,
    engagement: Option<i64>,
    to: Option<&str>,
    lang: Lang,
) -> (String, String) {
    let prefix = if event.starts_with("challenge_") {
        "ch_stage_"
    } else if event.starts_with("booking_") {
        "bk_status_"
    } else {
        "stage_"
    };
    let stage = to
        .map(|s| t(&format!("{prefix}{s}"), lang).to_string())
        .unwrap_or_default();
    let text = t(&format!("notice_{event}"), lang)
        .replace(
            "{id}",
            &engagement.map(|i| i.to_string()).unwrap_or_default(),
        )
        .replace("{stage}", &stage);
    match text.split_once("{item}") {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text, String::new()),
    }
}

/// Starts the worker; it holds the state weakly and stops when the state is dropped.
pub fn start(state: &Arc<AppState>) {
    let weak = Arc::downgrade(state);
    let wake = state.deliveries.clone();
    let smtp = state
        .config
        .smtp_url
        .as_deref()
        .map(|u| notify::Smtp::parse(u, &state.config.mail_from));
    let smtp = match smtp {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            tracing::error!(error = %e, "smtp_url is not usable: e-mail notifications are off");
            None
        }
        None => None,
    };
    let hook = notify::Webhook {
        allow_private: state.config.webhook_allow_private,
        ..notify::Webhook::default()
    };
    tokio::spawn(async move {
        let mut last_remind = tokio::time::Instant::now() - REMIND_EVERY;
        loop {
            let Some(state) = weak.upgrade() else { return };
            if last_remind.elapsed() >= REMIND_EVERY {
                last_remind = tokio::time::Instant::now();
                match state.desk.remind(crate::auth::now()).await {
                    Ok(n) if n > 0 => tracing::info!(reminded = n, "engagement reminders queued"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reminders not queued; retried"),
                }
            }
            if let Err(e) = deliver_due(&state, smtp.as_ref(), &hook).await {
                tracing::warn!(error = %e, "deliveries not sent; retried");
            }
            drop(state);
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    });
}

/// Sends what is due now; each attempt is recorded (sent, or retried later, or given up).
async fn deliver_due(
    state: &AppState,
    smtp: Option<&notify::Smtp>,
    hook: &notify::Webhook,
) -> engine::Result<()> {
    let due = state.store.due_deliveries(crate::auth::now(), 50).await?;
    for d in due {
        let item = match (d.engagement_id, d.challenge_id) {
            (Some(id), _) => match state.store.engagement(id).await? {
                Some(e) => state.desk.item_title(&e.item_kind, e.item_id).await?,
                None => String::new(),
            },
            // Challenge notices go to its parties only: its title is theirs to read.
            (None, Some(id)) => state
                .store
                .challenge(id)
                .await?
                .map(|c| c.title)
                .unwrap_or_default(),
            (None, None) => match d.booking_id {
                // Booking notices go to the requester and the platform's staff: the equipment's
                // name is public in the library.
                Some(id) => match state.store.booking(id).await? {
                    Some(b) => state
                        .store
                        .equipment(b.equipment_id)
                        .await?
                        .map(|e| e.name)
                        .unwrap_or_default(),
                    None => String::new(),
                },
                None => String::new(),
            },
        };
        let subject_id = d.engagement_id.or(d.challenge_id).or(d.booking_id);
        let to = d.to_stage.as_deref();
        let result = match d.channel.as_str() {
            "email" => match smtp {
                Some(s) => {
                    let zh = notice_text(&d.event, subject_id, to, &item, Lang::Zh);
                    let en = notice_text(&d.event, subject_id, to, &item, Lang::En);
                    let link = match (&state.config.public_url, d.engagement_id, d.challenge_id) {
                        (Some(base), Some(id), _) => {
                            format!("\n\n{}/engagements/{id}", base.trim_end_matches('/'))
                        }
                        (Some(base), None, Some(id)) => {
                            format!("\n\n{}/challenges/{id}", base.trim_end_matches('/'))
                        }
                        (Some(base), None, None) => d
                            .booking_id
                            .map(|id| format!("\n\n{}/bookings/{id}", base.trim_end_matches('/')))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    let body = format!("{zh}\n{en}{link}\n\n{}", t("notice_mail_footer", Lang::Zh));
                    s.send(&d.target, &format!("双链 Shuanglian：{zh}"), &body)
                        .await
                        .map(|_| ())
                }
                None => Err(notify::NotifyError::Address(
                    "e-mail is not configured".into(),
                )),
            },
            "webhook" => {
                let json = serde_json::json!({
                    "event": d.event,
                    "engagement_id": d.engagement_id,
                    "challenge_id": d.challenge_id,
                    "booking_id": d.booking_id,
                    "from": d.from_stage,
                    "to": d.to_stage,
                    "at": d.at,
                });
                hook.post(&d.target, &json.to_string()).await.map(|_| ())
            }
            other => Err(notify::NotifyError::Address(format!(
                "unknown channel {other}"
            ))),
        };
        let error = result.err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::warn!(delivery = d.id, channel = %d.channel, error = %e, "delivery failed");
        }
        state
            .store
            .delivery_attempted(d.id, error.as_deref())
            .await?;
    }
    Ok(())
}
