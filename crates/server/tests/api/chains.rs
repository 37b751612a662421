//! The chain-map API: the overview, a cluster's gaps (with needs counted per viewer), a node's fillers,
//! manual overrides and their rights, and the errors.

use axum::http::StatusCode;
use model::Confidentiality::{Nda, Public};
use model::{OrgKind, Organization, Outcome, OutcomeKind, Person, PersonKind, Record, Region, Trl};
use serde_json::json;

use crate::support::{backends, demand, uscc, Platform};

const NDA_TITLE: &str = "保密：下一代电池管理芯片需求";

fn org(kind: OrgKind, name: &str, region: &str, node: &str, n: usize) -> Record {
    let mut o = Organization::new(kind, name);
    o.uscc = Some(uscc(n).parse().unwrap());
    o.region = Region::lookup(region);
    o.chain_nodes = vec![node.into()];
    Record::Organization(o)
}

async fn platforms() -> Vec<Platform> {
    let mut out = vec![];
    for (store, dir, pg) in backends().await {
        let mut outcome = Outcome::new(OutcomeKind::Patent, "一种电池管理系统均衡方法");
        outcome.owners = vec!["重庆电池实验室".into()];
        outcome.trl = Some(Trl::new(6).unwrap());
        outcome.chain_nodes = vec!["ICV-NEV.bms".into()];
        let mut far = Outcome::new(OutcomeKind::Paper, "A battery management method from afar");
        far.chain_nodes = vec!["ICV-NEV.bms".into()];
        let mut expert = Person::new(PersonKind::Expert, "王BMS（示例）");
        expert.region = Region::lookup("成都市");
        expert.chain_nodes = vec!["ICV-NEV.bms".into()];
        let mut public = demand("甲电池公司", "电池均衡需求", "需要主动均衡", Public);
        let mut nda = demand("甲电池公司", NDA_TITLE, "不公开", Nda);
        for d in [&mut public, &mut nda] {
            if let Record::Demand(d) = d {
                d.chain_nodes = vec!["ICV-NEV.bms".into()];
            }
        }
        let records = vec![
            org(
                OrgKind::Enterprise,
                "甲电池公司",
                "渝北区",
                "ICV-NEV.bms",
                1,
            ),
            org(
                OrgKind::Enterprise,
                "乙电子公司",
                "渝北区",
                "ICV-NEV.electronics",
                2,
            ),
            org(OrgKind::Lab, "重庆电池实验室", "沙坪坝区", "ICV-NEV.bms", 3),
            org(OrgKind::Lab, "上海电池实验室", "上海市", "ICV-NEV.bms", 4),
            org(
                OrgKind::PilotPlatform,
                "重庆电池中试平台",
                "北碚区",
                "ICV-NEV.bms",
                5,
            ),
            Record::Outcome(outcome),
            Record::Outcome(far),
            Record::Person(expert),
            public,
            nda,
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let a = p.org_id("甲电池公司").await;
        let b = p.org_id("乙电子公司").await;
        p.user("ent-a", "enterprise", Some(a)).await;
        p.user("ent-b", "enterprise", Some(b)).await;
        p.user("admin", "admin", None).await;
        p.user("operator", "platform_operator", None).await;
        out.push(p);
    }
    out
}

fn node<'a>(v: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    v["gaps"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == code)
        .unwrap_or_else(|| panic!("no node {code}"))
}

#[tokio::test]
async fn the_overview_lists_every_cluster_with_its_status_counts() {
    for p in platforms().await {
        let (s, v) = p.call("GET", "/api/v1/chains", None, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["tiers"].as_array().unwrap().len(), 6);
        let clusters = v["clusters"].as_array().unwrap();
        assert!(clusters.len() >= 37, "{}", clusters.len());
        let icv = clusters.iter().find(|c| c["code"] == "ICV-NEV").unwrap();
        let n = icv["nodes"].as_u64().unwrap();
        assert!(n >= 15);
        let sum = ["strong", "weak", "missing"]
            .iter()
            .map(|k| icv[k].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(sum, n, "every node has one status: {icv}");
        assert!(icv["memberships"][0]["source"]
            .as_str()
            .unwrap()
            .contains("行动方案"));
        p.close().await;
    }
}

#[tokio::test]
async fn gaps_count_local_supply_and_only_the_needs_the_viewer_may_see() {
    for p in platforms().await {
        let who = p.backend;
        let (s, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", None, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let bms = node(&v, "ICV-NEV.bms");
        // One local enterprise: weak, not missing; the Shanghai lab is not local supply.
        assert_eq!(bms["status"], "weak", "{who}: {bms}");
        assert_eq!(bms["counts"]["local_enterprises"], 1);
        assert_eq!(bms["counts"]["local_labs"], 1);
        assert_eq!(bms["counts"]["local_pilot_platforms"], 1);
        assert_eq!(
            bms["counts"]["local_experts"], 0,
            "Chengdu is not local to Chongqing"
        );
        assert_eq!(bms["counts"]["local_outcomes"]["development"], 1);
        assert_eq!(bms["counts"]["outcomes"], 2);
        // The parent link takes its children's records.
        assert_eq!(
            node(&v, "ICV-NEV.battery")["counts"]["local_enterprises"],
            1
        );
        assert_eq!(node(&v, "ICV-NEV.os")["status"], "missing");
        assert!(v["gaps"]["thresholds"]["status"]["strong_min_enterprises"].is_u64());
        assert!(!v["edges"].as_array().unwrap().is_empty());
        // Needs: the anonymous viewer and the other enterprise count the public one only.
        assert_eq!(bms["counts"]["open_needs"], 1, "{who}");
        let ent_b = p.login("ent-b").await;
        let (_, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", Some(&ent_b), None)
            .await;
        assert_eq!(node(&v, "ICV-NEV.bms")["counts"]["open_needs"], 1, "{who}");
        for user in ["ent-a", "admin"] {
            let token = p.login(user).await;
            let (_, v) = p
                .call("GET", "/api/v1/chains/ICV-NEV/gaps", Some(&token), None)
                .await;
            assert_eq!(
                node(&v, "ICV-NEV.bms")["counts"]["open_needs"],
                2,
                "{who} {user}"
            );
        }
        // A district as the region: the Shapingba lab is local to Shapingba, the enterprise is not.
        let (s, v) = p
            .call(
                "GET",
                "/api/v1/chains/ICV-NEV/gaps?region=沙坪坝区",
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let bms = node(&v, "ICV-NEV.bms");
        assert_eq!(bms["status"], "missing");
        assert_eq!(bms["counts"]["local_labs"], 1);
        p.close().await;
    }
}

#[tokio::test]
async fn fillers_are_local_first_and_never_show_a_hidden_need() {
    for p in platforms().await {
        let (s, _, body) = p
            .raw(
                "GET",
                "/api/v1/chains/nodes/ICV-NEV.bms/fillers",
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains(NDA_TITLE), "a hidden need leaked: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let labs = v["result"]["fillers"]["labs"].as_array().unwrap();
        let names: Vec<&str> = labs.iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["重庆电池实验室", "上海电池实验室"], "local first");
        assert_eq!(labs[0]["locality"], "local");
        assert_eq!(labs[1]["locality"], "elsewhere");
        assert!(!labs[0]["reasons_zh"].as_array().unwrap().is_empty());
        let experts = v["result"]["fillers"]["experts"].as_array().unwrap();
        assert_eq!(experts[0]["locality"], "chengyu");
        assert_eq!(
            v["result"]["fillers"]["pilot_platforms"][0]["name"],
            "重庆电池中试平台"
        );
        assert_eq!(v["result"]["enterprises"][0]["name"], "甲电池公司");
        assert_eq!(v["node"]["code"], "ICV-NEV.bms");
        p.close().await;
    }
}

#[tokio::test]
async fn chain_errors_are_json_and_name_the_fix() {
    for p in platforms().await {
        for (uri, status) in [
            ("/api/v1/chains/NOPE/gaps", StatusCode::NOT_FOUND),
            (
                "/api/v1/chains/ICV-NEV/gaps?region=nowhere-land",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/chains/ICV-NEV/gaps?as_of=yesterday",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/chains/nodes/ICV-NEV.nope/fillers",
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/v1/chains/nodes/ICV-NEV.bms/fillers?limit=0",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/chains/nodes/ICV-NEV.bms/fillers?limit=abc",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let (s, v) = p.call("GET", uri, None, None).await;
            assert_eq!(s, status, "{uri}: {v}");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{uri}: {v}"
            );
        }
        p.close().await;
    }
}

#[tokio::test]
async fn overrides_need_the_right_and_win_at_once() {
    for p in platforms().await {
        let outcome_id = {
            let (_, v) = p.call("GET", "/api/v1/outcomes", None, None).await;
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["record"]["title"] == "一种电池管理系统均衡方法")
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let body = json!({"record_kind": "outcome", "record_id": outcome_id, "node": "ICV-NEV.thermal", "action": "add", "note": "审核确认"});
        let (s, _) = p
            .call("POST", "/api/v1/chains/overrides", None, Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let ent = p.login("ent-a").await;
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/chains/overrides",
                Some(&ent),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let op = p.login("operator").await;
        let (s, v) = p
            .call("POST", "/api/v1/chains/overrides", Some(&op), Some(body))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (_, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", None, None)
            .await;
        assert_eq!(node(&v, "ICV-NEV.thermal")["counts"]["outcomes"], 1);
        // Who decided and why stay with the decision: the public answers say only "manual".
        let (_, _, body) = p
            .raw(
                "GET",
                "/api/v1/chains/nodes/ICV-NEV.thermal/fillers",
                None,
                None,
            )
            .await;
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("一种电池管理系统均衡方法"), "{text}");
        assert!(
            !text.contains("审核确认") && !text.contains("operator"),
            "{text}"
        );
        // Removing the declared node keeps the outcome off it, over the record's own declaration.
        let remove = json!({"record_kind": "outcome", "record_id": outcome_id, "node": "ICV-NEV.bms", "action": "remove"});
        let (s, _) = p
            .call("POST", "/api/v1/chains/overrides", Some(&op), Some(remove))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", None, None)
            .await;
        assert_eq!(node(&v, "ICV-NEV.bms")["counts"]["outcomes"], 1);
        // A full reassignment (as after a taxonomy change) keeps both decisions.
        engine::chains::sync_assignments(&p.state.store, &p.state.chains, None, true)
            .await
            .unwrap();
        let (_, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", None, None)
            .await;
        assert_eq!(node(&v, "ICV-NEV.thermal")["counts"]["outcomes"], 1);
        assert_eq!(node(&v, "ICV-NEV.bms")["counts"]["outcomes"], 1);
        // Clearing a decision lets the rules decide again; clearing nothing is 404.
        let clear = json!({"record_kind": "outcome", "record_id": outcome_id, "node": "ICV-NEV.thermal", "action": "clear"});
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/chains/overrides",
                Some(&op),
                Some(clear.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", None, None)
            .await;
        assert_eq!(node(&v, "ICV-NEV.thermal")["counts"]["outcomes"], 0);
        let (s, _) = p
            .call("POST", "/api/v1/chains/overrides", Some(&op), Some(clear))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Bad input and a hidden demand.
        for (body, status) in [
            (
                json!({"record_kind": "outcome", "record_id": outcome_id, "node": "ICV-NEV.nope", "action": "add"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"record_kind": "outcome", "record_id": outcome_id, "node": "ICV-NEV.bms", "action": "maybe"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"record_kind": "outcome", "record_id": 999999, "node": "ICV-NEV.bms", "action": "add"}),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let (s, v) = p
                .call("POST", "/api/v1/chains/overrides", Some(&op), Some(body))
                .await;
            assert_eq!(s, status, "{v}");
        }
        let nda_id = {
            let admin = p.login("admin").await;
            let (_, v) = p.call("GET", "/api/v1/demands", Some(&admin), None).await;
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["record"]["title"] == NDA_TITLE)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/chains/overrides",
                Some(&op),
                Some(json!({"record_kind": "demand", "record_id": nda_id, "node": "ICV-NEV.bms", "action": "remove"})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "the operator may not see the NDA need"
        );
        p.close().await;
    }
}
