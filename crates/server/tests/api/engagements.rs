//! Engagements over the API: the whole loop from an NDA need to a contract and its follow-up, the
//! staged reveal (summary → full brief after signing, for that organization only), contacts hidden
//! before the introduction, wrong-party and out-of-order moves refused, versions that make two
//! concurrent moves one success and one conflict, inbox, contracts, labels and the timeline's hash
//! chain. Each test runs on SQLite and, when configured, PostgreSQL.

use axum::http::StatusCode;
use model::{Confidentiality, OrgKind, Organization, Outcome, OutcomeKind, Record};
use serde_json::{json, Value};

use crate::support::{backends, demand, enterprise, uscc, Platform};

pub const NDA_TITLE: &str = "高镍正极材料热失控抑制（保密）";
pub const NDA_BRIEF: &str =
    "我司 811 电芯在 150 ℃ 热箱试验中失效，需要包覆或电解液添加剂方案，目标通过 GB 38031。";
pub const NDA_SUMMARY: &str = "动力电池正极材料安全性改进（详情签署保密协议后可见）";

/// A platform with two enterprises (A posts the needs), a university with an outcome, and users of
/// every side: ent-a, ent-b, inst, op (operator), broker1, gov.
pub async fn deal_platform(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> (Platform, Ids) {
    deal_platform_with(store, dir, pg, |_| {}).await
}

/// [`deal_platform`] with server settings changed by `tweak`.
pub async fn deal_platform_with(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    tweak: impl FnOnce(&mut server::ServerConfig),
) -> (Platform, Ids) {
    let mut univ = Organization::new(OrgKind::University, "重庆示例大学");
    univ.region = model::Region::lookup("沙坪坝区");
    let mut outcome = Outcome::new(OutcomeKind::Patent, "一种高镍正极材料的包覆方法");
    outcome.owners = vec!["重庆示例大学".into()];
    outcome.abstract_text = Some("在高镍正极颗粒表面包覆快离子导体，提升热稳定性。".into());
    outcome.lang = model::Lang::zh();
    outcome.clusters = vec!["new_energy_vehicles".into()];
    let mut nda = demand(
        "重庆甲汽车零部件有限公司",
        NDA_TITLE,
        NDA_BRIEF,
        Confidentiality::Nda,
    );
    if let Record::Demand(d) = &mut nda {
        d.owner_uscc = Some(uscc(1).parse().unwrap());
        d.public_summary = Some(NDA_SUMMARY.into());
    }
    let mut public = demand(
        "重庆甲汽车零部件有限公司",
        "电池包轻量化箱体",
        "需要铝合金或复合材料箱体方案。",
        Confidentiality::Public,
    );
    if let Record::Demand(d) = &mut public {
        d.owner_uscc = Some(uscc(1).parse().unwrap());
    }
    let mut expert = model::Person::new(model::PersonKind::Expert, "陈示例");
    expert.affiliation = Some("重庆示例大学".into());
    let records = vec![
        Record::Person(expert),
        enterprise("重庆甲汽车零部件有限公司", &uscc(1)),
        enterprise("重庆乙电池有限公司", &uscc(2)),
        Record::Organization(univ),
        Record::Outcome(outcome),
        nda,
        public,
    ];
    let p = Platform::new_with(store, dir, pg, &records, tweak).await;
    let a = p.org_id("重庆甲汽车零部件有限公司").await;
    let b = p.org_id("重庆乙电池有限公司").await;
    let u = p.org_id("重庆示例大学").await;
    p.user("ent-a", "enterprise", Some(a)).await;
    p.user("ent-b", "enterprise", Some(b)).await;
    p.user("inst", "institution", Some(u)).await;
    p.user("op", "platform_operator", None).await;
    p.user("broker1", "broker", None).await;
    p.user("gov", "government", None).await;
    let ent_a = p.state.store.user_by_name("ent-a").await.unwrap().unwrap();
    p.state
        .store
        .set_user_contact(ent_a.id, Some("ent-a@example.cn"), Some("023-0000-0001"))
        .await
        .unwrap();
    let (_, list) = p.call("GET", "/api/v1/outcomes", None, None).await;
    let outcome = list["items"][0]["id"].as_i64().unwrap();
    let nda_id = p
        .state
        .store
        .teasers(10)
        .await
        .unwrap()
        .first()
        .expect("the NDA need has a teaser")
        .id;
    let (_, list) = p.call("GET", "/api/v1/demands", None, None).await;
    let public = list["items"][0]["id"].as_i64().unwrap();
    (
        p,
        Ids {
            outcome,
            nda: nda_id,
            public,
            univ: u,
        },
    )
}

pub struct Ids {
    pub outcome: i64,
    pub nda: i64,
    pub public: i64,
    pub univ: i64,
}

/// Opens an engagement on `demand` with `outcome` as the user of `token`; its id.
pub async fn opened(p: &Platform, token: &str, demand: i64, outcome: i64) -> i64 {
    let (s, v) = p
        .call(
            "POST",
            "/api/v1/engagements",
            Some(token),
            Some(json!({"demand_id": demand, "item": {"kind": "outcome", "id": outcome}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn step(p: &Platform, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    p.call(
        "POST",
        &format!("/api/v1/engagements/{id}/transitions"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn from_an_nda_need_to_a_contract_and_its_follow_up() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, b, inst, gov) = (
            p.login("ent-a").await,
            p.login("ent-b").await,
            p.login("inst").await,
            p.login("gov").await,
        );
        let be = p.backend;
        // The NDA need's full record is hidden from the university; its summary opens the way.
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/demands/{}", ids.nda),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{be}");
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/engagements",
                Some(&inst),
                Some(
                    json!({"demand_id": ids.nda, "item": {"kind": "outcome", "id": ids.outcome},
                            "message": "我们的包覆专利可能适用。"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{be}: {v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["stage"], "interest");
        assert_eq!(v["demand"]["access"], "summary", "{v}");
        assert_eq!(v["demand"]["summary"], NDA_SUMMARY);
        assert!(v["demand"]["title"].is_null() && v["demand"]["brief"].is_null());
        assert!(!v.to_string().contains(NDA_TITLE) && !v.to_string().contains(NDA_BRIEF));
        assert!(
            v["seeker_contact"].is_null(),
            "contacts hidden before the introduction: {v}"
        );
        // A third party learns nothing: not the engagement, not in its list, not in its inbox.
        let (s, _) = p
            .call("GET", &format!("/api/v1/engagements/{id}"), Some(&b), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, l) = p.call("GET", "/api/v1/engagements", Some(&b), None).await;
        assert_eq!(l["engagements"].as_array().unwrap().len(), 0);
        let (s, _) = step(
            &p,
            &b,
            id,
            json!({"to": "closed_lost", "version": 1, "reason_code": "price"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a stranger's move looks like a missing engagement"
        );
        // The seeker is told, in its inbox.
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&a), None).await;
        assert_eq!(inbox["unread"], 1, "{inbox}");
        assert_eq!(inbox["notices"][0]["event"], "opened");
        // The opener cannot accept its own introduction; the other side can.
        let (s, _) = step(&p, &inst, id, json!({"to": "introduced", "version": 1})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = step(&p, &a, id, json!({"to": "introduced", "version": 1})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "introduced");
        // Now the university sees the seeker's contact person.
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/engagements/{id}"),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(v["seeker_contact"]["email"], "ent-a@example.cn", "{v}");
        assert_eq!(v["nda"]["required"], true);
        assert_eq!(v["nda"]["can_sign"], true);
        assert!(v["nda"]["text"].as_str().unwrap().contains("保密"));
        // Evaluation needs the NDA first; the seeker does not sign it; a stale version conflicts.
        let (s, e) = step(&p, &inst, id, json!({"to": "evaluation", "version": 2})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let (s, _) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/nda"),
                Some(&a),
                Some(json!({"version": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/nda"),
                Some(&inst),
                Some(json!({"version": 1})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, v) = p
            .call(
                "POST",
                &format!("/api/v1/engagements/{id}/nda"),
                Some(&inst),
                Some(json!({"version": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "nda_signed");
        assert_eq!(v["demand"]["access"], "full");
        assert_eq!(v["demand"]["brief"], NDA_BRIEF);
        // The signature opens the need to the university everywhere — and to nobody else.
        let (s, d) = p
            .call(
                "GET",
                &format!("/api/v1/demands/{}", ids.nda),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{be}: {d}");
        let (_, found) = p
            .call(
                "GET",
                &format!(
                    "/api/v1/search?q={}&kind=demand",
                    crate::support::urlencode("热失控")
                ),
                Some(&inst),
                None,
            )
            .await;
        assert!(found.to_string().contains(NDA_TITLE), "{found}");
        for t in [&b, &gov] {
            let (s, _) = p
                .call(
                    "GET",
                    &format!("/api/v1/demands/{}", ids.nda),
                    Some(t),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND);
            let (_, found) = p
                .call(
                    "GET",
                    &format!(
                        "/api/v1/search?q={}&kind=demand",
                        crate::support::urlencode("热失控")
                    ),
                    Some(t),
                    None,
                )
                .await;
            assert!(!found.to_string().contains(NDA_TITLE), "{found}");
        }
        // Evaluation (a PoC), negotiation, then a contract — which the contract move requires.
        let (s, v) = step(
            &p,
            &a,
            id,
            json!({"to": "evaluation", "version": 3, "evaluation": {"kind": "poc"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = step(&p, &inst, id, json!({"to": "negotiation", "version": 4})).await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = step(&p, &inst, id, json!({"to": "contracted", "version": 5})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let contract = json!({"contract_type": "licence", "amount_fen": 120_000_000, "ip_ownership": "seller",
                              "signed_on": "2026-11-20", "registration_no": "2026500001000123", "registered_on": "2026-11-25"});
        let (s, v) = step(
            &p,
            &a,
            id,
            json!({"to": "contracted", "version": 5, "contract": contract}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["contract"]["amount_fen"], 120_000_000);
        assert_eq!(v["contract"]["buyer"]["name"], "重庆甲汽车零部件有限公司");
        assert_eq!(v["contract"]["buyer_local"], true);
        let (s, v) = step(
            &p,
            &a,
            id,
            json!({"to": "follow_up", "version": 6, "report": {"kind": "in_production"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // No way back, and the timeline is whole.
        let (s, _) = step(
            &p,
            &a,
            id,
            json!({"to": "closed_lost", "version": 7, "reason_code": "price"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(v["timeline_intact"], true);
        let stages: Vec<&str> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["to"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "interest",
                "introduced",
                "nda_signed",
                "evaluation",
                "negotiation",
                "contracted",
                "follow_up"
            ]
        );
        // Contracts: each party its own, the government every one, a third party none.
        for (t, n) in [(&a, 1), (&inst, 1), (&gov, 1), (&b, 0)] {
            let (s, c) = p.call("GET", "/api/v1/contracts", Some(t), None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(c["contracts"].as_array().unwrap().len(), n, "{c}");
        }
        // The engagement left a relevance label of 3 for the pair.
        let labels = p.state.store.relevance_labels().await.unwrap();
        assert_eq!(labels.len(), 1);
        assert_eq!((labels[0].demand_id, labels[0].grade), (ids.nda, 3));
        // The university's inbox heard of every move the seeker made.
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&inst), None).await;
        let events: Vec<&str> = inbox["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["event"].as_str().unwrap())
            .collect();
        assert!(
            events.iter().filter(|e| **e == "moved").count() >= 3,
            "{inbox}"
        );
        assert!(!inbox.to_string().contains(NDA_TITLE));
        p.close().await;
    }
}

#[tokio::test]
async fn a_declined_side_gets_the_reason_and_the_institution_sees_why_it_loses() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, inst) = (p.login("ent-a").await, p.login("inst").await);
        let id = opened(&p, &inst, ids.public, ids.outcome).await;
        // The same pair cannot be opened twice while open.
        let (s, _) = p
            .call("POST", "/api/v1/engagements", Some(&inst),
                  Some(json!({"demand_id": ids.public, "item": {"kind": "outcome", "id": ids.outcome}})))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, _) = step(&p, &a, id, json!({"to": "closed_lost", "version": 1})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "a close needs a reason");
        let (s, _) = step(
            &p,
            &a,
            id,
            json!({"to": "closed_lost", "version": 1, "reason_code": "whatever"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, v) = step(&p, &a, id, json!({"to": "closed_lost", "version": 1, "reason_code": "not_relevant", "note": "方向不同"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/engagements/{id}"),
                Some(&inst),
                None,
            )
            .await;
        assert_eq!(v["close_reason"], "not_relevant");
        assert_eq!(v["timeline"][1]["note"], "方向不同");
        let (_, w) = p
            .call("GET", "/api/v1/engagements/outcomes", Some(&inst), None)
            .await;
        assert_eq!(w["closed_lost"], 1, "{w}");
        assert_eq!(w["by_reason"][0][0], "not_relevant");
        let labels = p.state.store.relevance_labels().await.unwrap();
        assert_eq!(labels[0].grade, 0, "closed as not relevant leaves 0");
        p.close().await;
    }
}

#[tokio::test]
async fn concurrent_moves_of_one_engagement_make_exactly_one_succeed() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let (a, inst) = (p.login("ent-a").await, p.login("inst").await);
        let id = opened(&p, &inst, ids.public, ids.outcome).await;
        let p = std::sync::Arc::new(p);
        let mut tasks = vec![];
        for i in 0..100 {
            let (p, a) = (p.clone(), a.clone());
            let body = if i % 2 == 0 {
                json!({"to": "introduced", "version": 1})
            } else {
                json!({"to": "closed_lost", "version": 1, "reason_code": "timing"})
            };
            tasks.push(tokio::spawn(async move { step(&p, &a, id, body).await.0 }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => {}
                other => panic!("{}: unexpected {other}", p.backend),
            }
        }
        assert_eq!(
            ok, 1,
            "{}: exactly one of 100 concurrent moves wins",
            p.backend
        );
        let events = p.state.store.engagement_events(id).await.unwrap();
        assert_eq!(events.len(), 2, "one move recorded");
        assert!(store::chain_holds(&events));
        match std::sync::Arc::try_unwrap(p) {
            Ok(p) => p.close().await,
            Err(_) => panic!("tasks still hold the platform"),
        }
    }
}

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
