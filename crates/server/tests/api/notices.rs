//! Notifications beyond the inbox, against real sockets: e-mail to an SMTP server the test starts
//! and JSON to a webhook, sent by the server's delivery worker — each naming the engagement and the
//! stage, never a confidential need's text; and reminders of idle engagements, escalated to the broker.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::engagements::{deal_platform, deal_platform_with, NDA_BRIEF, NDA_TITLE};
use crate::support::backends;

/// An SMTP server that accepts every message and keeps (recipient, DATA).
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(vec![]));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink\r\n").await.unwrap();
                let mut rcpt = String::new();
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_string();
                    if let Some(to) = cmd.strip_prefix("RCPT TO:") {
                        rcpt = to.trim_matches(['<', '>']).to_string();
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    } else if cmd == "DATA" {
                        w.write_all(b"354 go\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            r.read_line(&mut l).await.unwrap();
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        keep.lock().unwrap().push((rcpt.clone(), data));
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, got)
}

/// A webhook receiver that keeps each request's body and answers 204.
async fn hook_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(vec![]));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 8192];
            let mut text = String::new();
            while !text.ends_with('}') {
                let n = s.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            let body = text
                .split("\r\n\r\n")
                .nth(1)
                .unwrap_or_default()
                .to_string();
            keep.lock().unwrap().push(body);
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
        }
    });
    (port, got)
}

fn decode_body(data: &str) -> String {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body = data.split("\r\n\r\n").nth(1).unwrap_or_default();
    let vals: Vec<u32> = body
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .map(|b| A.find(b as char).unwrap() as u32)
        .collect();
    let mut out = vec![];
    for c in vals.chunks(4) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        for i in 0..c.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    String::from_utf8(out).unwrap()
}

async fn wait_for<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn each_step_reaches_the_other_side_by_mail_and_webhook_without_the_secret() {
    for (store, dir, pg) in backends().await {
        let (smtp_port, mails) = smtp_sink().await;
        let (hook_port, hooks) = hook_sink().await;
        let (p, ids) = deal_platform_with(store, dir, pg, |c| {
            c.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
            c.mail_from = "noreply@shuanglian.test".into();
            c.webhook_allow_private = true;
            c.public_url = Some("https://shuanglian.example".into());
        })
        .await;
        let inst_user = p.state.store.user_by_name("inst").await.unwrap().unwrap();
        p.state
            .store
            .set_user_contact(inst_user.id, Some("tto@univ.example.cn"), None)
            .await
            .unwrap();
        let (a, inst) = (p.login("ent-a").await, p.login("inst").await);
        // The university's organization posts its events to a webhook.
        let (s, _) = p
            .call(
                "PUT",
                "/api/v1/organizations/me/webhook",
                Some(&inst),
                Some(json!({"url": format!("http://127.0.0.1:{hook_port}/sl")})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = p
            .call(
                "PUT",
                "/api/v1/organizations/me/webhook",
                Some(&inst),
                Some(json!({"url": "file:///etc/passwd"})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        p.call(
            "PUT",
            "/api/v1/organizations/me/webhook",
            Some(&inst),
            Some(json!({"url": format!("http://127.0.0.1:{hook_port}/sl")})),
        )
        .await;
        // The university opens an engagement on the NDA need: ent-a is mailed.
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/engagements",
                Some(&inst),
                Some(json!({"demand_id": ids.nda, "item": {"kind": "outcome", "id": ids.outcome}})),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        let first = wait_for("the opening mail", || {
            mails
                .lock()
                .unwrap()
                .iter()
                .find(|(to, _)| to == "ent-a@example.cn")
                .cloned()
        })
        .await;
        let text = decode_body(&first.1);
        assert!(text.contains(&format!("#{id}")), "{text}");
        assert!(
            text.contains(&format!("https://shuanglian.example/engagements/{id}")),
            "{text}"
        );
        // ent-a accepts: the university is mailed and its webhook called, neither with the secret.
        let (s, _) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/transitions"),
                Some(&a),
                Some(json!({"to": "introduced", "version": 1})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let mail = wait_for("the university's mail", || {
            mails
                .lock()
                .unwrap()
                .iter()
                .find(|(to, _)| to == "tto@univ.example.cn")
                .cloned()
        })
        .await;
        let text = decode_body(&mail.1);
        assert!(
            text.contains("引荐") && text.contains("Introduced"),
            "{text}"
        );
        let hook = wait_for("the webhook", || hooks.lock().unwrap().first().cloned()).await;
        let event: serde_json::Value = serde_json::from_str(&hook).unwrap();
        assert_eq!(event["engagement_id"], id);
        assert_eq!(event["to"], "introduced");
        for t in [text.as_str(), hook.as_str(), first.1.as_str()] {
            assert!(!t.contains(NDA_TITLE) && !t.contains(NDA_BRIEF));
        }
        let counts = p.state.store.delivery_counts().await.unwrap();
        assert!(
            counts.iter().any(|(s, n)| s == "sent" && *n >= 3),
            "{counts:?}"
        );
        p.close().await;
    }
}

#[tokio::test]
async fn an_idle_engagement_reminds_the_awaited_side_and_tells_the_broker() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, inst) = (p.login("ent-a").await, p.login("inst").await);
        let (_, v) = p
            .call("POST", "/api/v1/engagements", Some(&inst),
                  Some(json!({"demand_id": ids.public, "item": {"kind": "outcome", "id": ids.outcome}, "want_broker": true})))
            .await;
        let id = v["id"].as_i64().unwrap();
        let broker = p
            .state
            .store
            .user_by_name("broker1")
            .await
            .unwrap()
            .unwrap();
        let (s, v) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/broker"),
                Some(&a),
                Some(json!({"broker_user_id": broker.id, "version": 1})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["broker"]["user_id"], broker.id);
        let now = chrono::Utc::now().timestamp();
        assert_eq!(
            p.state.desk.remind(now).await.unwrap(),
            0,
            "nothing is idle yet"
        );
        let later = now + (p.state.desk.reminder_days + 1) * 86_400;
        assert_eq!(p.state.desk.remind(later).await.unwrap(), 1);
        assert_eq!(
            p.state.desk.remind(later).await.unwrap(),
            0,
            "one reminder per period"
        );
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&a), None).await;
        assert_eq!(
            inbox["notices"][0]["event"], "reminder",
            "the awaited side (the seeker) is reminded: {inbox}"
        );
        let b = p.login("broker1").await;
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&b), None).await;
        assert_eq!(inbox["notices"][0]["event"], "escalated", "{inbox}");
        // The broker sees and may move the engagement it accompanies, and its record counts it.
        let (s, _) = p
            .call("GET", &format!("/api/v1/engagements/{id}"), Some(&b), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, perf) = p
            .call(
                "GET",
                &format!("/api/v1/brokers/{}/performance", broker.id),
                Some(&b),
                None,
            )
            .await;
        assert_eq!(perf["handled"], 1, "{perf}");
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/brokers/{}/performance", broker.id),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "another party does not read a broker's record"
        );
        let gov = p.login("gov").await;
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/brokers/{}/performance", broker.id),
                Some(&gov),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        p.close().await;
    }
}

#[tokio::test]
async fn users_set_their_own_contact_details_and_bad_ones_are_refused() {
    for (store, dir, pg) in backends().await {
        let (p, _) = deal_platform(store, dir, pg).await;
        let b = p.login("ent-b").await;
        for bad in [
            json!({"email": "not-an-address"}),
            json!({"email": "a@b\r\nBcc: x@y.z"}),
            json!({"phone": "call me"}),
        ] {
            let (s, e) = p
                .call(
                    "PUT",
                    "/api/v1/auth/me/contact",
                    Some(&b),
                    Some(bad.clone()),
                )
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
        }
        let (s, _) = p
            .call(
                "PUT",
                "/api/v1/auth/me/contact",
                Some(&b),
                Some(json!({"email": "rd@b.example.cn", "phone": "023-6123 4567"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let u = p.state.store.user_by_name("ent-b").await.unwrap().unwrap();
        assert_eq!(
            (u.email.as_deref(), u.phone.as_deref()),
            (Some("rd@b.example.cn"), Some("023-6123 4567"))
        );
        let (s, _) = p
            .call(
                "PUT",
                "/api/v1/auth/me/contact",
                None,
                Some(json!({"email": "x@y.cn"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        p.close().await;
    }
}
