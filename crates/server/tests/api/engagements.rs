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

pub async fn step(p: &Platform, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
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
