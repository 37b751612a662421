//! What deals teach the ranking, over the API: a candidate an engagement closed as not relevant sinks
//! for that need and for a near-identical public need (and says why), never for an unrelated need;
//! a confidential need's verdict reaches nobody through another need; an organization with a contract
//! in the need's cluster gets the contract prior, named in its explanation.

use axum::http::StatusCode;
use model::{Confidentiality, OrgKind, Organization, Outcome, OutcomeKind, Record};
use serde_json::{json, Value};

use crate::engagements::{opened, step};
use crate::support::{backends, demand, enterprise, uscc, Platform};

const CLUSTER: &str = "new_energy_vehicles";
const P1: &str = "电池包轻量化箱体";
const P1_TEXT: &str = "需要铝合金电池包箱体轻量化方案，箱体减重百分之二十，满足碰撞与密封要求。";
const P2: &str = "电池包轻量化箱体方案征集";
const P2_TEXT: &str = "需要铝合金电池包箱体轻量化方案，箱体减重百分之二十五，满足碰撞与密封要求。";
const P3: &str = "电池包箱体焊接变形控制";
const P3_TEXT: &str = "铝合金电池包箱体焊接后变形超差，需要焊接工艺与夹具方案。";
const N1: &str = "电池包轻量化箱体（保密）";

struct Ids {
    o1: i64,
    o2: i64,
    p1: i64,
    p2: i64,
    p3: i64,
    n1: i64,
}

fn outcome(title: &str, owner: &str, text: &str) -> Record {
    let mut o = Outcome::new(OutcomeKind::Patent, title);
    o.owners = vec![owner.into()];
    o.abstract_text = Some(text.into());
    o.lang = model::Lang::zh();
    o.clusters = vec![CLUSTER.into()];
    Record::Outcome(o)
}

fn need(owner: &str, title: &str, text: &str, level: Confidentiality) -> Record {
    let mut r = demand(owner, title, text, level);
    if let Record::Demand(d) = &mut r {
        d.clusters = vec![CLUSTER.into()];
        d.owner_uscc = Some(
            uscc(if owner.contains('甲') { 1 } else { 2 })
                .parse()
                .unwrap(),
        );
        if level != Confidentiality::Public {
            d.public_summary = Some("电池包结构件改进（详情签署保密协议后可见）".into());
        }
    }
    r
}

async fn platform(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> (Platform, Ids) {
    let (a, b) = ("重庆甲汽车零部件有限公司", "重庆乙电池有限公司");
    let mut records = vec![enterprise(a, &uscc(1)), enterprise(b, &uscc(2))];
    for name in ["重庆示例大学", "重庆第二示例大学"] {
        let mut u = Organization::new(OrgKind::University, name);
        u.region = model::Region::lookup("沙坪坝区");
        records.push(Record::Organization(u));
    }
    records.extend([
        outcome(
            "铝合金电池包轻量化箱体设计方法",
            "重庆示例大学",
            "一种铝合金电池包箱体轻量化设计方法，箱体减重百分之二十，满足碰撞与密封要求。",
        ),
        outcome(
            "复合材料电池包箱体",
            "重庆第二示例大学",
            "用复合材料制造电池包箱体，实现轻量化，兼顾碰撞安全与密封。",
        ),
        need(a, P1, P1_TEXT, Confidentiality::Public),
        need(b, P2, P2_TEXT, Confidentiality::Public),
        need(b, P3, P3_TEXT, Confidentiality::Public),
        need(a, N1, P1_TEXT, Confidentiality::Nda),
    ]);
    let p = Platform::new(store, dir, pg, &records).await;
    let (ea, eb) = (p.org_id(a).await, p.org_id(b).await);
    let (u1, u2) = (
        p.org_id("重庆示例大学").await,
        p.org_id("重庆第二示例大学").await,
    );
    p.user("ent-a", "enterprise", Some(ea)).await;
    p.user("ent-b", "enterprise", Some(eb)).await;
    p.user("inst1", "institution", Some(u1)).await;
    p.user("inst2", "institution", Some(u2)).await;
    let (_, list) = p.call("GET", "/api/v1/outcomes", None, None).await;
    let by_title = |list: &Value, title: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["record"]["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {list}"))["id"]
            .as_i64()
            .unwrap()
    };
    let o1 = by_title(&list, "铝合金电池包轻量化箱体设计方法");
    let o2 = by_title(&list, "复合材料电池包箱体");
    let (_, list) = p.call("GET", "/api/v1/demands", None, None).await;
    let (p1, p2, p3) = (
        by_title(&list, P1),
        by_title(&list, P2),
        by_title(&list, P3),
    );
    let n1 = p.state.store.teasers(10).await.unwrap()[0].id;
    (
        p,
        Ids {
            o1,
            o2,
            p1,
            p2,
            p3,
            n1,
        },
    )
}

/// The outcome hits of a need's matches, as seen by `token`.
async fn outcome_hits(p: &Platform, token: &str, need: i64) -> Vec<Value> {
    let (s, v) = p
        .call(
            "GET",
            &format!("/api/v1/demands/{need}/matches?kind=outcome"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["hits"].as_array().unwrap().clone()
}

fn hit(hits: &[Value], id: i64) -> (usize, &Value) {
    hits.iter()
        .enumerate()
        .find(|(_, h)| h["id"] == id)
        .unwrap_or_else(|| panic!("#{id} in {hits:?}"))
}

fn signal<'a>(h: &'a Value, name: &str) -> &'a Value {
    h["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("signal {name} in {h}"))
}

/// Closes an engagement on (`need`, `item`), opened by `provider`, as not relevant by `seeker`.
async fn not_relevant(p: &Platform, provider: &str, seeker: &str, need: i64, item: i64) {
    let id = opened(p, provider, need, item).await;
    let (s, v) = step(
        p,
        seeker,
        id,
        json!({"to": "closed_lost", "version": 1, "reason_code": "not_relevant"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_not_relevant_verdict_sinks_the_item_for_that_need_and_its_near_duplicates_only() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = platform(store, dir, pg).await;
        let be = p.backend;
        let (a, b) = (p.login("ent-a").await, p.login("ent-b").await);
        let (inst1, inst2) = (p.login("inst1").await, p.login("inst2").await);
        let before = outcome_hits(&p, &a, ids.p1).await;
        assert_eq!(
            before[0]["id"], ids.o1,
            "{be}: the aluminium design leads before any verdict"
        );
        assert_eq!(signal(&before[0], "not_relevant")["contribution"], 0.0);

        not_relevant(&p, &inst1, &a, ids.p1, ids.o1).await;
        // The confidential need's verdict on the other outcome must stay with that need.
        not_relevant(&p, &inst2, &a, ids.n1, ids.o2).await;

        let after = outcome_hits(&p, &a, ids.p1).await;
        let (rank, h) = hit(&after, ids.o1);
        assert_eq!(rank, 1, "{be}: sunk below the other outcome: {after:?}");
        let s = signal(h, "not_relevant");
        assert!(s["contribution"].as_f64().unwrap() < -0.4, "{s}");
        assert!(s["reason_zh"].as_str().unwrap().contains("本需求"), "{s}");
        // The need's own verdict counts for its owner on the confidential need too; there the public
        // near-identical need's verdict on the first outcome counts as well.
        let own = outcome_hits(&p, &a, ids.n1).await;
        assert!(signal(hit(&own, ids.o2).1, "not_relevant")["reason_zh"]
            .as_str()
            .unwrap()
            .contains("本需求"));
        let carried = signal(hit(&own, ids.o1).1, "not_relevant");
        assert!(
            carried["reason_zh"].as_str().unwrap().contains("高度相似"),
            "{carried}"
        );

        // A near-identical public need posted by another enterprise: the verdict carries, without naming
        // the need it was judged on (who engaged whom stays between them); the confidential need's
        // verdict does not.
        let near = outcome_hits(&p, &b, ids.p2).await;
        assert_eq!(near[0]["id"], ids.o2, "{be}: {near:?}");
        let carried = signal(hit(&near, ids.o1).1, "not_relevant");
        assert!(carried["contribution"].as_f64().unwrap() < -0.4);
        assert!(
            carried["reason"]
                .as_str()
                .unwrap()
                .contains("near-identical")
                && !carried.to_string().contains(P1),
            "{carried}"
        );
        let kept = signal(hit(&near, ids.o2).1, "not_relevant");
        assert_eq!(kept["contribution"], 0.0, "{be}: {kept}");
        assert!(!near.iter().any(|h| h.to_string().contains(N1)));

        // A different need on the same parts: no verdict applies.
        let other = outcome_hits(&p, &b, ids.p3).await;
        for h in &other {
            assert_eq!(signal(h, "not_relevant")["contribution"], 0.0, "{h}");
        }
        p.close().await;
    }
}

#[tokio::test]
async fn a_contract_in_the_needs_cluster_gives_its_organization_a_prior_named_in_the_explanation() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = platform(store, dir, pg).await;
        let be = p.backend;
        let (b, inst2) = (p.login("ent-b").await, p.login("inst2").await);
        let before = outcome_hits(&p, &b, ids.p2).await;
        assert_eq!(
            signal(hit(&before, ids.o2).1, "contract_prior")["value"],
            0.0,
            "{be}"
        );
        let id = opened(&p, &inst2, ids.p3, ids.o2).await;
        for (token, body) in [
            (&b, json!({"to": "introduced", "version": 1})),
            (
                &b,
                json!({"to": "evaluation", "version": 2, "evaluation": {"kind": "poc"}}),
            ),
            (&inst2, json!({"to": "negotiation", "version": 3})),
            (
                &b,
                json!({"to": "contracted", "version": 4, "contract": {"contract_type": "licence",
                    "amount_fen": 50_000_000, "ip_ownership": "seller", "signed_on": "2026-11-20"}}),
            ),
        ] {
            let (s, v) = step(&p, token, id, body).await;
            assert_eq!(s, StatusCode::OK, "{be}: {v}");
        }
        let after = outcome_hits(&p, &b, ids.p2).await;
        let prior = signal(hit(&after, ids.o2).1, "contract_prior");
        assert!(
            prior["contribution"].as_f64().unwrap() > 0.0,
            "{be}: {prior}"
        );
        assert!(
            prior["reason_zh"].as_str().unwrap().contains("1 份"),
            "{prior}"
        );
        assert!(
            !prior.to_string().contains("50000000"),
            "no amount: {prior}"
        );
        let none = signal(hit(&after, ids.o1).1, "contract_prior");
        assert_eq!(none["value"], 0.0, "{be}: {none}");
        p.close().await;
    }
}
