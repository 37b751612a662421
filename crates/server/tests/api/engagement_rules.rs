//! Who may open what, the daily opening cap, and talent placements.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::engagements::{deal_platform, step};
use crate::support::backends;

#[tokio::test]
async fn who_may_open_what() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (b, inst, op) = (
            p.login("ent-b").await,
            p.login("inst").await,
            p.login("op").await,
        );
        let open = |t: String, body: Value| {
            let p = &p;
            async move {
                p.call("POST", "/api/v1/engagements", Some(&t), Some(body))
                    .await
            }
        };
        // ent-b is neither the need's owner nor the outcome's.
        let (s, _) = open(
            b.clone(),
            json!({"demand_id": ids.public, "item": {"kind": "outcome", "id": ids.outcome}}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // An operator has no side.
        let (s, _) = open(
            op.clone(),
            json!({"demand_id": ids.public, "item": {"kind": "outcome", "id": ids.outcome}}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A missing need and a hidden need answer alike.
        let (s1, e1) = open(
            inst.clone(),
            json!({"demand_id": 999_999, "item": {"kind": "outcome", "id": ids.outcome}}),
        )
        .await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{e1}");
        let (s, _) = open(
            inst.clone(),
            json!({"demand_id": ids.public, "item": {"kind": "patent", "id": ids.outcome}}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // An outcome offered to an enterprise without a need.
        let b_org = p.org_id("重庆乙电池有限公司").await;
        let (s, v) = open(inst.clone(), json!({"item": {"kind": "outcome", "id": ids.outcome}, "seeker_org_id": b_org, "message": "可供许可"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["demand"]["access"], "none");
        let (s, _) = open(
            inst.clone(),
            json!({"item": {"kind": "outcome", "id": ids.outcome}, "seeker_org_id": ids.univ}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "the seeker must be an enterprise"
        );
        // Unknown fields are refused.
        let (s, _) = open(inst.clone(), json!({"item": {"kind": "outcome", "id": ids.outcome}, "seeker_org_id": b_org, "stage": "contracted"})).await;
        assert!(s.is_client_error());
        // The operator sees every engagement; the stalled board is the operator's only.
        let (_, l) = p.call("GET", "/api/v1/engagements", Some(&op), None).await;
        assert_eq!(l["engagements"].as_array().unwrap().len(), 1);
        let (s, _) = p
            .call(
                "GET",
                "/api/v1/engagements/stalled?days=1",
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = p
            .call("GET", "/api/v1/engagements/stalled?days=1", Some(&op), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        p.close().await;
    }
}

#[tokio::test]
async fn a_placement_records_the_post_instead_of_a_contract() {
    for (store, dir, pg) in backends().await {
        let (p, _) = deal_platform(store, dir, pg).await;
        let (a, inst) = (p.login("ent-a").await, p.login("inst").await);
        let (_, list) = p.call("GET", "/api/v1/experts", None, None).await;
        let expert = list["items"][0]["id"].as_i64().unwrap();
        let a_org = p.org_id("重庆甲汽车零部件有限公司").await;
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/engagements",
                Some(&a),
                Some(
                    json!({"item": {"kind": "expert", "id": expert}, "purpose": "placement",
                              "seeker_org_id": a_org, "message": "诚邀担任科技副总"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["purpose"], "placement");
        step(&p, &inst, id, json!({"to": "introduced", "version": 1})).await;
        step(&p, &a, id, json!({"to": "negotiation", "version": 2})).await;
        let contract = json!({"contract_type": "service", "amount_fen": 1, "ip_ownership": "buyer", "signed_on": "2026-10-01"});
        let (s, _) = step(
            &p,
            &a,
            id,
            json!({"to": "contracted", "version": 3, "contract": contract}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "a placement records a placement, not a contract"
        );
        let (s, _) = step(&p, &a, id, json!({"to": "contracted", "version": 3,
            "placement": {"post": "tech_vice_president", "start_on": "2026-12-01", "days_per_month": 0}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "days a month are 1 to 31");
        let (s, v) = step(&p, &a, id, json!({"to": "contracted", "version": 3,
            "placement": {"post": "tech_vice_president", "start_on": "2026-12-01", "end_on": "2027-11-30", "days_per_month": 6}})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let placed = p.state.store.placement_of(id).await.unwrap().unwrap();
        assert_eq!(
            (
                placed.expert_id,
                placed.post.as_str(),
                placed.days_per_month
            ),
            (expert, "tech_vice_president", 6)
        );
        assert!(p.state.store.contract_of(id).await.unwrap().is_none());
        p.close().await;
    }
}

#[tokio::test]
async fn an_organization_opens_at_most_fifty_engagements_a_day() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let inst = p.login("inst").await;
        for i in 0..engine::engagements::MAX_OPENED_A_DAY {
            p.state
                .store
                .open_engagement(&store::NewEngagement {
                    purpose: "transfer".into(),
                    demand_id: None,
                    item_kind: "outcome".into(),
                    item_id: 1000 + i,
                    seeker_org: -1,
                    provider_org: ids.univ,
                    opened_by: 0,
                    opener_side: "provider".into(),
                    broker_wanted: false,
                    expert_id: None,
                    stage: "interest".into(),
                    message: String::new(),
                    notify: vec![],
                    actor: "test".into(),
                })
                .await
                .unwrap();
        }
        let (s, e) = p
            .call("POST", "/api/v1/engagements", Some(&inst),
                  Some(json!({"demand_id": ids.public, "item": {"kind": "outcome", "id": ids.outcome}})))
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{e}");
        assert_eq!(e["error"]["code"], "rate_limited");
        p.close().await;
    }
}
