//! Property tests: random organizations, users, grants, NDA signatures and demands; every path that can show a demand
//! — listing, count, detail, matches, search (demands only and all kinds), status counts, matching,
//! chain-gap counts and fillers —
//! must show exactly the demands the rule allows, and no answer may carry a hidden demand's text.

use axum::http::StatusCode;
use model::Confidentiality;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::{backends, demand, enterprise, uscc, Platform};

#[derive(Debug, Clone)]
struct World {
    orgs: usize,
    /// (role, organization index)
    users: Vec<(&'static str, Option<usize>)>,
    /// (owner, grantee)
    grants: Vec<(usize, usize)>,
    /// (owner index — `orgs` means an owner that is not registered —, level)
    demands: Vec<(usize, Confidentiality)>,
    /// (organization, demand index modulo the demands): the organization signed that need's NDA
    /// in an engagement, which opens exactly that need to it.
    signatures: Vec<(usize, usize)>,
}

fn world() -> impl Strategy<Value = World> {
    (2usize..5).prop_flat_map(|orgs| {
        let role = prop_oneof![
            Just("enterprise"),
            Just("institution"),
            Just("government"),
            Just("admin"),
            Just("broker"),
        ];
        let level = prop_oneof![
            Just(Confidentiality::Public),
            Just(Confidentiality::Registered),
            Just(Confidentiality::Nda),
        ];
        (
            Just(orgs),
            proptest::collection::vec((role, proptest::option::of(0..orgs)), 1..5),
            proptest::collection::vec((0..orgs, 0..orgs), 0..4),
            proptest::collection::vec((0..=orgs, level), 1..8),
            proptest::collection::vec((0..orgs, 0..8usize), 0..3),
        )
            .prop_map(|(orgs, users, grants, demands, signatures)| World {
                orgs,
                users,
                grants,
                signatures: signatures
                    .into_iter()
                    .map(|(o, d)| (o, d % demands.len()))
                    .collect(),
                demands,
            })
    })
}

/// The rule, written again independently of the server.
fn may_see(w: &World, user: Option<usize>, demand: usize) -> bool {
    let (owner, level) = w.demands[demand];
    match (level, user) {
        (Confidentiality::Public, _) => true,
        (_, None) => false,
        (Confidentiality::Registered, Some(_)) => true,
        (Confidentiality::Nda, Some(u)) => {
            let (role, org) = w.users[u];
            role == "admin"
                || (owner < w.orgs
                    && org.is_some_and(|o| o == owner || w.grants.contains(&(owner, o))))
                || org.is_some_and(|o| w.signatures.contains(&(o, demand)))
        }
    }
}

fn token(j: usize) -> String {
    format!("secretmark{j}q")
}

async fn check(
    w: &World,
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) {
    let mut records = vec![];
    for i in 0..w.orgs {
        records.push(enterprise(&format!("组织{i}有限公司"), &uscc(100 + i)));
    }
    for (j, (owner, level)) in w.demands.iter().enumerate() {
        let mut d = demand(
            &format!("组织{owner}有限公司"),
            &format!("共同需求 电池 {}", token(j)),
            &format!("第{j}项需求的描述 {}", token(j)),
            *level,
        );
        // Every need sits on one chain link, so the gap counts see all of them.
        if let model::Record::Demand(d) = &mut d {
            d.chain_nodes = vec!["ICV-NEV.bms".into()];
        }
        records.push(d);
    }
    let p = Platform::new(store, dir, pg, &records).await;
    let who = p.backend;
    let mut org_ids = vec![];
    for i in 0..w.orgs {
        org_ids.push(p.org_id(&format!("组织{i}有限公司")).await);
    }
    let mut demand_ids = vec![];
    for j in 0..w.demands.len() {
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/search?q={}&kind=demand", token(j)),
                Some(&admin_token(&p).await),
                None,
            )
            .await;
        demand_ids.push(v["hits"][0]["id"].as_i64().unwrap_or_else(|| panic!("{v}")));
    }
    for (owner, grantee) in &w.grants {
        p.state
            .store
            .grant_access(org_ids[*owner], org_ids[*grantee], 0)
            .await
            .unwrap();
    }
    for (org, j) in &w.signatures {
        sign(&p.state.store, demand_ids[*j], org_ids[*org]).await;
    }
    let mut tokens = vec![None];
    for (u, (role, org)) in w.users.iter().enumerate() {
        let name = format!("user{u}");
        p.user(&name, role, org.map(|o| org_ids[o])).await;
        let id = p.state.store.user_by_name(&name).await.unwrap().unwrap().id;
        let t = format!("token-{u}");
        let now = chrono::Utc::now().timestamp();
        p.state
            .store
            .create_session(&server::auth::token_hash(&t), id, now, now + 3600)
            .await
            .unwrap();
        tokens.push(Some((u, t)));
    }
    for viewer in &tokens {
        let (user, tok) = match viewer {
            Some((u, t)) => (Some(*u), Some(t.as_str())),
            None => (None, None),
        };
        let mut expected: Vec<i64> = (0..w.demands.len())
            .filter(|&j| may_see(w, user, j))
            .map(|j| demand_ids[j])
            .collect();
        // Demand ids are random: compare as sorted sets.
        expected.sort();
        let hidden: Vec<usize> = (0..w.demands.len())
            .filter(|&j| !may_see(w, user, j))
            .collect();
        let mut answers = String::new();
        let ctx = format!("{who}, viewer {user:?}, world {w:?}");

        // Listing and its count.
        let (s, v) = p.call("GET", "/api/v1/demands?limit=100", tok, None).await;
        assert_eq!(s, StatusCode::OK);
        let mut listed: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        listed.sort();
        assert_eq!(listed, expected, "listing: {ctx}");
        assert_eq!(
            v["total"].as_i64().unwrap() as usize,
            expected.len(),
            "count: {ctx}"
        );
        answers.push_str(&v.to_string());
        // Each level filter too.
        for level in ["public", "registered", "nda"] {
            let (_, v) = p
                .call(
                    "GET",
                    &format!("/api/v1/demands?limit=100&confidentiality={level}"),
                    tok,
                    None,
                )
                .await;
            answers.push_str(&v.to_string());
        }
        // Detail and matches: 200 exactly when visible, else the same 404 as a missing id.
        for (j, id) in demand_ids.iter().enumerate() {
            let visible = may_see(w, user, j);
            for path in [
                format!("/api/v1/demands/{id}"),
                format!("/api/v1/demands/{id}/matches"),
            ] {
                let (s, v) = p.call("GET", &path, tok, None).await;
                let want = if visible {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                assert_eq!(s, want, "{path}: {ctx}");
                if !visible {
                    assert_eq!(v["error"]["message"], format!("no demand #{id}"), "{ctx}");
                }
                answers.push_str(&v.to_string());
            }
        }
        // Search: demands only, and every kind.
        for q in [
            "/api/v1/search?q=共同需求&kind=demand&limit=100",
            "/api/v1/search?q=共同需求&limit=100",
        ] {
            let (s, v) = p.call("GET", q, tok, None).await;
            assert_eq!(s, StatusCode::OK);
            let mut found: Vec<i64> = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| h["kind"] == "demand")
                .map(|h| h["id"].as_i64().unwrap())
                .collect();
            found.sort();
            assert_eq!(found, expected, "{q}: {ctx}");
            answers.push_str(&v.to_string());
        }
        for j in &hidden {
            let (_, v) = p
                .call("GET", &format!("/api/v1/search?q={}", token(*j)), tok, None)
                .await;
            assert_eq!(
                v["total"], 0,
                "search by a hidden demand's own words: {ctx}"
            );
        }
        // Counts on the status page.
        let (_, v) = p.call("GET", "/api/v1/status", tok, None).await;
        assert_eq!(
            v["demands"].as_i64().unwrap() as usize,
            expected.len(),
            "status: {ctx}"
        );
        // Chain gaps count exactly the needs the viewer may see, on the link and its parent; no chain
        // answer carries a hidden need's words.
        let (s, v) = p
            .call("GET", "/api/v1/chains/ICV-NEV/gaps", tok, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for code in ["ICV-NEV.bms", "ICV-NEV.battery"] {
            let n = v["gaps"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["node"] == code)
                .unwrap();
            assert_eq!(
                n["counts"]["open_needs"].as_u64().unwrap() as usize,
                expected.len(),
                "chain gaps {code}: {ctx}"
            );
        }
        answers.push_str(&v.to_string());
        for uri in ["/api/v1/chains", "/api/v1/chains/nodes/ICV-NEV.bms/fillers"] {
            let (_, v) = p.call("GET", uri, tok, None).await;
            answers.push_str(&v.to_string());
        }
        // Matching never returns demands.
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/match",
                tok,
                Some(serde_json::json!({"text": "共同需求 电池", "limit": 100})),
            )
            .await;
        assert!(
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["record_kind"] != "demand"),
            "{ctx}"
        );
        answers.push_str(&v.to_string());
        // The HTML pages, signed in by the session cookie as a browser would be.
        let cookie = tok.map(|t| format!("sl_session={t}"));
        let headers: Vec<(&str, &str)> = cookie
            .as_deref()
            .map(|c| vec![("cookie", c)])
            .unwrap_or_default();
        let mut pages: Vec<(String, Option<StatusCode>)> = vec![
            ("/".into(), Some(StatusCode::OK)),
            ("/demands".into(), Some(StatusCode::OK)),
            (
                "/search?q=%E5%85%B1%E5%90%8C%E9%9C%80%E6%B1%82".into(),
                Some(StatusCode::OK),
            ),
            ("/chains".into(), Some(StatusCode::OK)),
            ("/chains/ICV-NEV".into(), Some(StatusCode::OK)),
            ("/chains/nodes/ICV-NEV.bms".into(), Some(StatusCode::OK)),
            // The needs list's filters only narrow what the pass admits.
            ("/demands?mine=1".into(), Some(StatusCode::OK)),
            (
                "/demands?status=open&level=nda".into(),
                Some(StatusCode::OK),
            ),
            ("/demands?level=registered".into(), Some(StatusCode::OK)),
        ];
        // Every organization's page lists the needs it posted that the viewer may see.
        for id in &org_ids {
            pages.push((format!("/organizations/{id}"), Some(StatusCode::OK)));
        }
        // The needs list counts exactly what the viewer may see.
        let (_, _, body) = p.raw_with("GET", "/demands", &headers, None).await;
        let html = String::from_utf8_lossy(&body);
        let total = html
            .split("data-total=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|n| n.parse::<usize>().ok());
        assert_eq!(total, Some(expected.len()), "needs page count: {ctx}");
        // Searching a hidden demand's own words answers as a search for a word nobody wrote does
        // (the page echoes the query, so the two are compared with the query blanked).
        for j in &hidden {
            let mut bodies = vec![];
            for q in [token(*j), "nobodywrotethis".to_string()] {
                let (s, _, body) = p
                    .raw_with("GET", &format!("/search?q={q}"), &headers, None)
                    .await;
                assert_eq!(s, StatusCode::OK, "{ctx}");
                bodies.push(String::from_utf8_lossy(&body).replace(&q, "QUERY"));
            }
            assert_eq!(bodies[0], bodies[1], "search page by hidden words: {ctx}");
        }
        for (j, id) in demand_ids.iter().enumerate() {
            let want = if may_see(w, user, j) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            pages.push((format!("/demands/{id}"), Some(want)));
        }
        for (uri, want) in pages {
            let (s, _, body) = p.raw_with("GET", &uri, &headers, None).await;
            if let Some(want) = want {
                assert_eq!(s, want, "page {uri}: {ctx}");
            }
            answers.push_str(&String::from_utf8_lossy(&body));
        }
        for j in hidden {
            assert!(
                !answers.contains(&token(j)),
                "hidden demand {j} leaked: {ctx}"
            );
        }
    }
    p.close().await;
}

async fn admin_token(p: &Platform) -> String {
    const T: &str = "setup-admin-token";
    if p.state
        .store
        .user_by_name("setup-admin")
        .await
        .unwrap()
        .is_none()
    {
        p.user("setup-admin", "admin", None).await;
        let id = p
            .state
            .store
            .user_by_name("setup-admin")
            .await
            .unwrap()
            .unwrap()
            .id;
        let now = chrono::Utc::now().timestamp();
        p.state
            .store
            .create_session(&server::auth::token_hash(T), id, now, now + 3600)
            .await
            .unwrap();
    }
    T.to_string()
}

#[test]
fn no_path_shows_a_demand_to_someone_without_the_right() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cases = std::env::var("SHUANGLIAN_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&world(), |w| {
            rt.block_on(async {
                for (store, dir, pg) in backends().await {
                    check(&w, store, dir, pg).await;
                }
            });
            Ok(())
        })
        .unwrap();
}

/// Records an NDA signature of `org` on `demand` the way an engagement does (an engagement row and
/// a move that carries the signature), without the engagement's other rules.
async fn sign(store: &store::Store, demand: i64, org: i64) {
    let id = store
        .open_engagement(&store::NewEngagement {
            purpose: "transfer".into(),
            demand_id: Some(demand),
            item_kind: "outcome".into(),
            item_id: 0,
            seeker_org: -1,
            provider_org: org,
            opened_by: 0,
            opener_side: "provider".into(),
            broker_wanted: false,
            expert_id: None,
            stage: "introduced".into(),
            message: String::new(),
            notify: vec![],
            actor: "test".into(),
        })
        .await
        .unwrap();
    let moved = store
        .move_engagement(&store::Move {
            engagement_id: id,
            version: 1,
            from: "introduced".into(),
            to: "nda_signed".into(),
            actor_party: "provider".into(),
            signature: Some(store::NewSignature {
                demand_id: demand,
                org_id: org,
                user_id: 0,
                text_version: 1,
                text_sha256: "0".repeat(64),
            }),
            actor: "test".into(),
            ..store::Move::default()
        })
        .await
        .unwrap();
    assert!(matches!(moved, store::Moved::Done(_)));
}
