//! NDA signatures seen from outside and over time: after a whole deal a third party learns nothing
//! on any path; closing an engagement keeps the signed access, an operator's revoke removes it; the
//! owner's own NDA text is what the next signer reads.

use axum::http::StatusCode;
use serde_json::json;

use crate::engagements::{deal_platform, opened, step, NDA_BRIEF, NDA_SUMMARY, NDA_TITLE};
use crate::support::backends;

/// After a whole deal on an NDA need (signed, contracted), a third enterprise learns nothing of
/// it on any path: engagement lists and pages, moves, inbox, contracts, needs, search, pages of
/// the web UI — and a hidden engagement answers exactly like a missing one.
#[tokio::test]
async fn a_third_party_learns_nothing_from_an_engagement() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, b, inst) = (
            p.login("ent-a").await,
            p.login("ent-b").await,
            p.login("inst").await,
        );
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/engagements",
                Some(&inst),
                Some(json!({"demand_id": ids.nda, "item": {"kind": "outcome", "id": ids.outcome}})),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        step(&p, &a, id, json!({"to": "introduced", "version": 1})).await;
        p.call(
            "POST",
            &format!("/api/v1/engagements/{id}/nda"),
            Some(&inst),
            Some(json!({"version": 2})),
        )
        .await;
        step(&p, &a, id, json!({"to": "negotiation", "version": 3})).await;
        let contract = json!({"contract_type": "transfer", "amount_fen": 5_000_000, "ip_ownership": "buyer", "signed_on": "2026-10-01"});
        let (s, _) = step(
            &p,
            &a,
            id,
            json!({"to": "contracted", "version": 4, "contract": contract}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let missing = 9_999_999;
        for template in ["/api/v1/engagements/ID", "/api/v1/engagements/ID/brokers"] {
            let path = template.replace("ID", &id.to_string());
            let (s, e) = p.call("GET", &path, Some(&b), None).await;
            let (s2, e2) = p
                .call(
                    "GET",
                    &template.replace("ID", &missing.to_string()),
                    Some(&b),
                    None,
                )
                .await;
            assert_eq!(
                (s, s2),
                (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
                "{path}"
            );
            assert_eq!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .replace(&id.to_string(), "N"),
                e2["error"]["message"]
                    .as_str()
                    .unwrap()
                    .replace(&missing.to_string(), "N"),
                "a hidden engagement answers like a missing one"
            );
        }
        for (path, body) in [
            (
                format!("/api/v1/engagements/{id}/transitions"),
                json!({"to": "follow_up", "version": 5, "report": {"kind": "delivered"}}),
            ),
            (
                format!("/api/v1/engagements/{id}/nda"),
                json!({"version": 5}),
            ),
            (
                format!("/api/v1/engagements/{id}/broker"),
                json!({"version": 5, "broker_user_id": 1}),
            ),
        ] {
            let (s, _) = p.call("POST", &path, Some(&b), Some(body)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        }
        let leaks = |text: &str| {
            text.contains(NDA_TITLE) || text.contains(NDA_BRIEF) || text.contains("重庆示例大学")
        };
        for path in [
            "/api/v1/engagements",
            "/api/v1/inbox",
            "/api/v1/contracts",
            "/api/v1/demands?level=nda",
            "/api/v1/engagements/outcomes",
        ] {
            let (s, v) = p.call("GET", path, Some(&b), None).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert!(!leaks(&v.to_string()), "{path}: {v}");
        }
        let (_, w) = p
            .call("GET", "/api/v1/engagements/outcomes", Some(&b), None)
            .await;
        assert_eq!(w["engagements"], 0);
        for q in ["热失控", "811", "GB 38031"] {
            let (_, v) = p
                .call(
                    "GET",
                    &format!("/api/v1/search?q={}", crate::support::urlencode(q)),
                    Some(&b),
                    None,
                )
                .await;
            assert!(!leaks(&v.to_string()), "search {q}: {v}");
        }
        // The web pages say nothing either.
        for path in [
            format!("/engagements/{id}"),
            "/engagements".into(),
            "/inbox".into(),
            "/contracts".into(),
            format!("/demands/{}", ids.nda),
        ] {
            let (s, _, body) = p
                .raw_with(
                    "GET",
                    &path,
                    &[("cookie", &format!("sl_session={b}"))],
                    None,
                )
                .await;
            let html = String::from_utf8_lossy(&body);
            assert!(!leaks(&html), "{path}");
            if path.starts_with("/engagements/") {
                assert_eq!(s, StatusCode::NOT_FOUND);
            }
        }
        // The teaser page shows the public summary and nothing of the brief.
        let (s, _, body) = p
            .raw_with(
                "GET",
                &format!("/demands/{}", ids.nda),
                &[("cookie", &format!("sl_session={b}"))],
                None,
            )
            .await;
        let html = String::from_utf8_lossy(&body);
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(NDA_SUMMARY) && !html.contains(NDA_BRIEF));
        // Anonymous visitors see not even the summary.
        let (s, _, body) = p
            .raw_with("GET", &format!("/demands/{}", ids.nda), &[], None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(!String::from_utf8_lossy(&body).contains(NDA_SUMMARY));
        // Labels of confidential needs stay out of the public export.
        assert!(p.state.desk.labels(false).await.unwrap().is_empty());
        assert_eq!(p.state.desk.labels(true).await.unwrap().len(), 1);
        p.close().await;
    }
}

#[tokio::test]
async fn closing_keeps_the_signed_access_an_operator_revokes_it() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, inst, op) = (
            p.login("ent-a").await,
            p.login("inst").await,
            p.login("op").await,
        );
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/engagements",
                Some(&inst),
                Some(json!({"demand_id": ids.nda, "item": {"kind": "outcome", "id": ids.outcome}})),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        step(&p, &a, id, json!({"to": "introduced", "version": 1})).await;
        let (s, _) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/nda"),
                Some(&inst),
                Some(json!({"version": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = step(
            &p,
            &a,
            id,
            json!({"to": "closed_lost", "version": 3, "reason_code": "timing"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let need = format!("/api/v1/demands/{}", ids.nda);
        let (s, _) = p.call("GET", &need, Some(&inst), None).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "closing does not revoke the signed access"
        );
        let sigs = format!("/api/v1/demands/{}/nda-signatures", ids.nda);
        let (s, _) = p.call("GET", &sigs, Some(&inst), None).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "only the owner and operators read the signatures"
        );
        let (s, list) = p.call("GET", &sigs, Some(&a), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["signatures"].as_array().unwrap().len(), 1);
        assert_eq!(list["signatures"][0]["organization_id"], ids.univ);
        assert_eq!(
            list["signatures"][0]["text_sha256"].as_str().unwrap().len(),
            64
        );
        let sig = list["signatures"][0]["id"].as_i64().unwrap();
        let revoke = format!("/api/v1/nda-signatures/{sig}/revoke");
        let (s, _) = p.call("POST", &revoke, Some(&a), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = p.call("POST", &revoke, Some(&op), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = p.call("GET", &need, Some(&inst), None).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "revoked: the need is closed to the university again"
        );
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/engagements/{id}"),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(v["demand"]["access"], "summary");
        let (s, _) = p.call("POST", &revoke, Some(&op), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The owner sets the need's own NDA text; the next signer reads and signs that version.
        let text = format!("/api/v1/demands/{}/nda-text", ids.nda);
        let (s, _) = p
            .call("PUT", &text, Some(&inst), Some(json!({"text": "x"})))
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a need the caller cannot read is not found"
        );
        let (s, v) = p
            .call(
                "PUT",
                &text,
                Some(&a),
                Some(json!({"text": "甲方专用保密条款：三年内不得披露。"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let id2 = opened(&p, &inst, ids.nda, ids.outcome).await;
        step(&p, &a, id2, json!({"to": "introduced", "version": 1})).await;
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/engagements/{id2}"),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(
            v["nda"]["text"], "甲方专用保密条款：三年内不得披露。",
            "{v}"
        );
        assert_eq!(v["nda"]["can_sign"], true);
        p.close().await;
    }
}
