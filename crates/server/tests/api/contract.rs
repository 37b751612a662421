//! The API's contract: sign-in, sessions, errors, pagination, posting a need, matching, the OpenAPI
//! document.

use axum::http::StatusCode;
use model::Confidentiality::{Nda, Public, Registered};
use serde_json::json;

use crate::support::{backends, demand, enterprise, uscc, Platform};

async fn platforms() -> Vec<Platform> {
    let mut out = vec![];
    for (store, dir, pg) in backends().await {
        let records = vec![
            enterprise("甲电池公司", &uscc(1)),
            enterprise("乙材料公司", &uscc(2)),
            demand(
                "甲电池公司",
                "电池热失控预警",
                "需要提前预警电池热失控",
                Public,
            ),
            demand("甲电池公司", "电池包减重", "结构件减重20%", Nda),
            demand(
                "乙材料公司",
                "正极材料烧结节能",
                "辊道窑能耗降低",
                Registered,
            ),
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let a = p.org_id("甲电池公司").await;
        let b = p.org_id("乙材料公司").await;
        p.user("ent-a", "enterprise", Some(a)).await;
        p.user("ent-b", "enterprise", Some(b)).await;
        p.user("admin", "admin", None).await;
        p.user("gov", "government", None).await;
        out.push(p);
    }
    out
}

#[tokio::test]
async fn sign_in_sessions_and_revocation() {
    for p in platforms().await {
        let who = p.backend;
        // Wrong password, unknown user: the same 401, in the JSON error shape.
        for body in [
            json!({"username": "ent-a", "password": "wrong"}),
            json!({"username": "nobody", "password": "wrong"}),
        ] {
            let (s, v) = p.call("POST", "/api/v1/auth/login", None, Some(body)).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{who}");
            assert_eq!(v["error"]["code"], "unauthorized", "{v}");
            assert_eq!(v["error"]["message"], "wrong username or password");
        }
        let token = p.login("ent-a").await;
        let (s, v) = p.call("GET", "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["username"], "ent-a");
        assert_eq!(v["role"], "enterprise");
        // A bad token is refused (not treated as anonymous).
        let (s, v) = p.call("GET", "/api/v1/demands", Some("nope"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        // Logout revokes the token at once.
        let (s, _) = p
            .call("POST", "/api/v1/auth/logout", Some(&token), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = p.call("GET", "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{who}");
        // An expired session is refused.
        let user = p.state.store.user_by_name("ent-b").await.unwrap().unwrap();
        let old = "expired-token";
        p.state
            .store
            .create_session(&server::auth::token_hash(old), user.id, 0, 10)
            .await
            .unwrap();
        let (s, v) = p.call("GET", "/api/v1/auth/me", Some(old), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
        p.close().await;
    }
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited() {
    for p in platforms().await {
        for _ in 0..server::auth::LoginLimiter::MAX_FAILURES {
            let (s, _) = p
                .call(
                    "POST",
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": "gov", "password": "guess"})),
                )
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        // Now even the right password waits.
        let (status, headers, body) = p
            .raw(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "gov", "password": crate::support::PASSWORD}).to_string()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            String::from_utf8_lossy(&body)
        );
        assert!(headers.contains_key("retry-after"));
        p.close().await;
    }
}

#[tokio::test]
async fn bad_input_gets_a_json_error_and_the_right_status_never_a_500() {
    for p in platforms().await {
        let token = p.login("ent-a").await;
        let cases: Vec<(&str, &str, Option<String>, StatusCode)> = vec![
            ("POST", "/api/v1/match", Some("{bad".into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/match", Some(r#"{"text": 1}"#.into()), StatusCode::UNPROCESSABLE_ENTITY),
            ("POST", "/api/v1/match", Some(r#"{"text": "电池", "kind": "robot"}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/match", Some(r#"{"text": "  "}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/match", Some(r#"{"text": "电池", "limit": 0}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/match", Some(r#"{"text": "电池", "filters": {"trl": "12"}}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/match", Some(r#"{"text": "电池", "surprise": true}"#.into()), StatusCode::UNPROCESSABLE_ENTITY),
            ("POST", "/api/v1/match", Some(format!(r#"{{"text": "{}"}}"#, "电".repeat(600_000))), StatusCode::PAYLOAD_TOO_LARGE),
            ("GET", "/api/v1/outcomes/999", None, StatusCode::NOT_FOUND),
            ("GET", "/api/v1/outcomes/abc", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/demands/999", None, StatusCode::NOT_FOUND),
            ("GET", "/api/v1/demands?limit=1000", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/demands?confidentiality=secret", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/search?q=", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/search?q=x&kind=robot", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/search", None, StatusCode::BAD_REQUEST),
            ("GET", "/api/v1/nothing-here", None, StatusCode::NOT_FOUND),
            ("DELETE", "/api/v1/demands", None, StatusCode::METHOD_NOT_ALLOWED),
            ("POST", "/api/v1/demands", Some(r#"{"title": "x", "problem": "y", "confidentiality": "secret"}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/demands", Some(r#"{"title": "", "problem": "y", "confidentiality": "public"}"#.into()), StatusCode::BAD_REQUEST),
            ("POST", "/api/v1/demands", Some(r#"{"title": "x", "problem": "y", "confidentiality": "public", "trl_needed": 12}"#.into()), StatusCode::BAD_REQUEST),
        ];
        for (method, uri, body, want) in cases {
            let (status, headers, bytes) = p.raw(method, uri, Some(&token), body).await;
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{method} {uri}: not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            assert_eq!(status, want, "{method} {uri} on {}: {v}", p.backend);
            assert!(
                v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                "{v}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
        }
        // Unauthenticated writes are refused.
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/demands",
                None,
                Some(json!({"title": "x", "problem": "y", "confidentiality": "public"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        p.close().await;
    }
}

#[tokio::test]
async fn a_posted_need_is_listed_searchable_and_matched_for_its_owner_only() {
    for p in platforms().await {
        let a = p.login("ent-a").await;
        let b = p.login("ent-b").await;
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/demands",
                Some(&a),
                Some(json!({"title": "氢燃料电池双极板密封", "problem": "双极板激光焊接密封的气密性不足",
                            "confidentiality": "nda", "trl_needed": 6})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["record"]["owner"], "甲电池公司");
        assert_eq!(v["record"]["confidentiality"], "nda");
        // Posting it again is a conflict, not a silent update.
        let (s, _) = p
            .call("POST", "/api/v1/demands", Some(&a),
                  Some(json!({"title": "氢燃料电池双极板密封", "problem": "别的描述", "confidentiality": "public"})))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // The owner finds it by search and gets its matches; the other enterprise gets 404 and no hit.
        let (_, v) = p
            .call("GET", "/api/v1/search?q=双极板&kind=demand", Some(&a), None)
            .await;
        assert!(
            v["hits"].as_array().unwrap().iter().any(|h| h["id"] == id),
            "{v}"
        );
        let (_, v) = p
            .call("GET", "/api/v1/search?q=双极板&kind=demand", Some(&b), None)
            .await;
        assert_eq!(v["total"], 0, "{v}");
        let (s, v) = p
            .call(
                "GET",
                &format!("/api/v1/demands/{id}/matches"),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["query"], format!("demand #{id}"));
        let (s, v) = p
            .call(
                "GET",
                &format!("/api/v1/demands/{id}/matches"),
                Some(&b),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert!(!v.to_string().contains("双极板"));
        // Pagination walks every visible demand exactly once.
        let mut seen = vec![];
        let mut after = 0;
        loop {
            let (s, v) = p
                .call(
                    "GET",
                    &format!("/api/v1/demands?limit=1&after={after}"),
                    Some(&a),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            for it in v["items"].as_array().unwrap() {
                seen.push(it["id"].as_i64().unwrap());
            }
            match v["next_after"].as_i64() {
                Some(n) => after = n,
                None => {
                    assert_eq!(v["total"].as_i64().unwrap() as usize, seen.len(), "{v}");
                    break;
                }
            }
        }
        assert!(
            seen.contains(&id) && seen.windows(2).all(|w| w[0] < w[1]),
            "{seen:?}"
        );
        p.close().await;
    }
}

#[tokio::test]
async fn matching_answers_explained_hits_lexically_without_a_model() {
    for p in platforms().await {
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/match",
                None,
                Some(json!({"text": "电池热失控预警", "kind": "enterprise"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["mode"], "lexical");
        assert!(v["notes"].to_string().contains("lexical only"), "{v}");
        // Supply only: enterprises here, never a demand.
        for h in v["hits"].as_array().unwrap() {
            assert_eq!(h["record_kind"], "organization", "{h}");
        }
        p.close().await;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    for p in platforms().await {
        let (s, v) = p.call("GET", "/api/v1/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            v["openapi"].as_str().unwrap().starts_with("3."),
            "{}",
            v["openapi"]
        );
        let paths = v["paths"].as_object().unwrap();
        for path in [
            "/api/v1/auth/login",
            "/api/v1/search",
            "/api/v1/match",
            "/api/v1/outcomes",
            "/api/v1/outcomes/{id}",
            "/api/v1/outcomes/{id}/adopters",
            "/api/v1/demands",
            "/api/v1/demands/{id}",
            "/api/v1/demands/{id}/matches",
            "/api/v1/organizations",
            "/api/v1/experts",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from the OpenAPI document"
            );
        }
        // Every $ref points at a schema that exists.
        let text = v.to_string();
        for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().unwrap();
            assert!(
                v["components"]["schemas"][name].is_object(),
                "dangling $ref {name}"
            );
        }
        let (s, _) = p.call("GET", "/healthz", None, None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, body) = p
            .raw("GET", "/metrics", Some(crate::support::METRICS_TOKEN), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let m = String::from_utf8(body).unwrap();
        assert!(m.contains("shuanglian_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{m}");
        assert!(m.contains("shuanglian_lexical_index_items"));
        p.close().await;
    }
}

/// With the encoder weights (CI fetches them), the server answers lexically at once, embeds in the
/// background, switches to hybrid, and a restart over the same store encodes nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_embedding_turns_hybrid_on_and_a_restart_reuses_the_vectors() {
    let Some(model) = std::env::var_os("SHUANGLIAN_MODEL").map(std::path::PathBuf::from) else {
        assert!(
            std::env::var("SHUANGLIAN_REQUIRE_MODEL").is_err(),
            "SHUANGLIAN_REQUIRE_MODEL is set but SHUANGLIAN_MODEL is not"
        );
        eprintln!("skipped: SHUANGLIAN_MODEL not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open(&store::Target::Sqlite(dir.path().join("t.db")))
        .await
        .unwrap();
    let records = vec![
        enterprise("甲电池公司", &uscc(1)),
        demand(
            "甲电池公司",
            "电池热失控预警",
            "需要提前预警电池热失控",
            Public,
        ),
    ];
    store.write_batch(&records, "test").await.unwrap();
    let config = server::ServerConfig {
        data_dir: dir.path().to_path_buf(),
        model: Some(model),
        ..server::ServerConfig::default()
    };
    let mut encoded = vec![];
    for _run in 0..2 {
        // Each run is a server started afresh over the same database.
        let store = store::Store::open(&store::Target::Sqlite(dir.path().join("t.db")))
            .await
            .unwrap();
        let state = server::AppState::open(store, config.clone()).await.unwrap();
        server::embed::start(state.clone(), tokio::runtime::Handle::current());
        let started = std::time::Instant::now();
        while state.embedding.state() != "ready" {
            assert!(
                started.elapsed().as_secs() < 300 && state.embedding.state() != "failed",
                "embedding: {}",
                state.embedding.state()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let app = server::router(state.clone());
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/match")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                r#"{"text": "电池热失控", "kind": "enterprise"}"#,
            ))
            .unwrap();
        use tower::ServiceExt;
        let res = app.oneshot(req).await.unwrap();
        let bytes = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["mode"], "hybrid", "{v}");
        assert!(v["hits"][0]["similarity"].as_f64().unwrap() > 0.5, "{v}");
        encoded.push(
            state
                .embedding
                .encoded
                .load(std::sync::atomic::Ordering::Relaxed),
        );
    }
    assert!(encoded[0] >= 1, "{encoded:?}");
    assert_eq!(
        encoded[1], 0,
        "a restart must not encode again: {encoded:?}"
    );
}

#[tokio::test]
async fn a_confidential_hit_scores_the_same_whatever_hidden_demands_hold() {
    for p in platforms().await {
        let a = p.login("ent-a").await;
        let b = p.login("ent-b").await;
        let post = |title: &'static str, level: &'static str| json!({"title": title, "problem": "探针词 相关描述", "confidentiality": level});
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/demands",
                Some(&a),
                Some(post("甲的登记需求 探针词", "registered")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let score = |v: &serde_json::Value| v["hits"][0]["score"].as_f64().unwrap();
        let (_, before) = p
            .call("GET", "/api/v1/search?q=探针词&kind=demand", Some(&a), None)
            .await;
        // ent-b posts NDA needs full of the same word; ent-a's view must not move.
        for title in [
            "乙的保密需求一 探针词",
            "乙的保密需求二 探针词",
            "乙的保密需求三 探针词",
        ] {
            let (s, _) = p
                .call(
                    "POST",
                    "/api/v1/demands",
                    Some(&b),
                    Some(post(title, "nda")),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let (_, after) = p
            .call("GET", "/api/v1/search?q=探针词&kind=demand", Some(&a), None)
            .await;
        assert_eq!(before["total"], after["total"], "{before} / {after}");
        assert_eq!(score(&before), score(&after), "{before} / {after}");
        p.close().await;
    }
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy_and_odd_methods_add_no_series() {
    for p in platforms().await {
        // Five failures, each claiming another address: without a trusted proxy the header is ignored,
        // so the real address (the same for all) is locked.
        for i in 0..server::auth::LoginLimiter::MAX_FAILURES {
            let (status, _, _) = p
                .raw_with(
                    "POST",
                    "/api/v1/auth/login",
                    &[("x-forwarded-for", &format!("10.0.0.{i}"))],
                    Some(json!({"username": format!("nobody{i}"), "password": "x"}).to_string()),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _, _) = p
            .raw_with(
                "POST",
                "/api/v1/auth/login",
                &[("x-forwarded-for", "10.9.9.9")],
                Some(json!({"username": "someone-else", "password": "x"}).to_string()),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // Anonymous status shows embedding progress as a percentage only.
        let (_, v) = p.call("GET", "/api/v1/status", None, None).await;
        assert_eq!(v["embedding"]["total"], 100, "{v}");
        // A made-up method is counted as OTHER, not as a series of its own.
        let (s, _, _) = p.raw("FROBNICATE", "/api/v1/status", None, None).await;
        assert_ne!(s, StatusCode::INTERNAL_SERVER_ERROR);
        let (_, _, body) = p
            .raw("GET", "/metrics", Some(crate::support::METRICS_TOKEN), None)
            .await;
        let m = String::from_utf8(body).unwrap();
        assert!(
            !m.contains("FROBNICATE") && m.contains("method=\"OTHER\""),
            "{m}"
        );
        p.close().await;
    }
}

/// Every answer carries its request id; a server fault answers 500 naming it (the cause is logged
/// under it), never the cause itself.
#[tokio::test]
async fn every_answer_has_a_request_id_and_a_fault_names_it() {
    for p in platforms().await {
        let (s, h, _) = p.raw("GET", "/api/v1/status", None, None).await;
        assert_eq!(s, StatusCode::OK);
        let id = h.get("x-request-id").unwrap().to_str().unwrap().to_string();
        assert_eq!(id.len(), 16);
        let (_, h2, _) = p.raw("GET", "/api/v1/status", None, None).await;
        assert_ne!(h2.get("x-request-id").unwrap().to_str().unwrap(), id);
        // The store goes away: a fault, answered 500 with the request id and no detail.
        p.state.store.close().await;
        let (s, h, body) = p.raw("GET", "/api/v1/demands", None, None).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        let id = h.get("x-request-id").unwrap().to_str().unwrap();
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(id), "{m}");
        assert!(
            !m.to_lowercase().contains("pool") && !m.contains("sqlx"),
            "{m}"
        );
        p.close().await;
    }
}

/// A stored document the platform cannot read is the platform's fault, not the caller's: 500 with
/// the request id (the cause is logged), never a 400 that blames the request or shows the cause.
#[tokio::test]
async fn an_unreadable_stored_profile_is_a_fault_not_bad_input() {
    for p in platforms().await {
        let u = uscc(1);
        p.state
            .store
            .put_profiles(&[store::ProfileRow {
                uscc: u.clone(),
                name: "甲电池公司".into(),
                profile: "{not json".into(),
                source: "test".into(),
                updated_by: "test".into(),
                updated_at: 0,
            }])
            .await
            .unwrap();
        let admin = p.login("admin").await;
        let (s, v) = p
            .call("GET", &format!("/api/v1/profiles/{u}"), Some(&admin), None)
            .await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{}: {v}", p.backend);
        assert_eq!(v["error"]["code"], "internal", "{v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains("request id") && !m.contains("not json"), "{m}");
        p.close().await;
    }
}
