//! The dense side without the weights: the deterministic test double (`engine::HashingEmbedder`)
//! stands in for the encoder, so every run — CI or a laptop without the model — exercises the
//! background embedding, the vector index, hybrid fusion with its explanation, semantic status and
//! the confidentiality of the dense side, on both back-ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use model::Confidentiality::{Nda, Public};
use model::{Outcome, OutcomeKind, Record};
use serde_json::json;

use crate::support::{backends, demand, enterprise, uscc, Platform};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_test_double_matching_turns_hybrid_and_explains_the_semantic_part() {
    for (store, dir, pg) in backends().await {
        let mut a = Outcome::new(OutcomeKind::Patent, "动力电池热失控早期预警方法");
        a.abstract_text = Some("监测电池包温度与气体，提前预警热失控".into());
        let mut b = Outcome::new(OutcomeKind::Paper, "碳化硅功率模块低寄生电感封装");
        b.abstract_text = Some("功率模块封装结构与寄生参数".into());
        let records = vec![
            enterprise("甲电池公司", &uscc(1)),
            Record::Outcome(a),
            Record::Outcome(b),
            demand(
                "甲电池公司",
                "公开需求 热失控预警",
                "电池热失控预警",
                Public,
            ),
            demand("甲电池公司", "保密需求 密语词", "电池热失控 密语词", Nda),
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let who = p.backend;
        let (_, before) = p.call("GET", "/api/v1/status", None, None).await;
        assert_eq!(before["matching_mode"], "lexical", "{who}: {before}");
        server::embed::start_with(
            p.state.clone(),
            Arc::new(engine::HashingEmbedder),
            tokio::runtime::Handle::current(),
        );
        let started = Instant::now();
        while p.state.embedding.state() != "ready" {
            assert!(
                started.elapsed() < Duration::from_secs(60)
                    && p.state.embedding.state() != "failed",
                "{who}: embedding {}",
                p.state.embedding.state()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, status) = p.call("GET", "/api/v1/status", None, None).await;
        assert_eq!(status["matching_mode"], "hybrid", "{who}: {status}");
        // Done means done: the progress counts no hidden need (it would show they exist).
        assert_eq!(
            status["embedding"]["done"], status["embedding"]["total"],
            "{who}: {status}"
        );
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/match",
                None,
                Some(json!({"text": "电池热失控预警", "kind": "outcome"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        assert_eq!(v["mode"], "hybrid", "{who}: {v}");
        let top = &v["hits"][0];
        assert!(
            top["label"].as_str().unwrap().contains("热失控"),
            "{who}: the battery outcome first: {v}"
        );
        assert!(
            top["dense"]["contribution"].as_f64().unwrap() > 0.0,
            "{who}: {v}"
        );
        assert!(top["similarity"].as_f64().unwrap() > 0.3, "{who}: {v}");
        // Each list's part of the relevance: the words and the model, adding up to it.
        let lists = &top["lists"];
        let part = |k: &str| lists[k].as_f64().unwrap();
        assert!(
            part("words") > 0.0 && part("multilingual") > 0.0,
            "{who}: {lists}"
        );
        let parts = part("words") + part("bridge") + part("multilingual") + part("english");
        let relevance = top["relevance"].as_f64().unwrap() - top["absent"].as_f64().unwrap();
        assert!((parts - relevance).abs() < 1e-4, "{who}: {top}");
        // The dense side knows no confidential need: a hidden need's own words find nothing of it.
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/match",
                None,
                Some(json!({"text": "密语词 电池热失控", "limit": 50})),
            )
            .await;
        assert!(
            !v.to_string().contains("密语词需求") && !v.to_string().contains("保密需求"),
            "{who}: {v}"
        );
        // The match page says so in words too.
        let (_, _, page) = p
            .raw(
                "GET",
                "/match?q=%E7%94%B5%E6%B1%A0%E7%83%AD%E5%A4%B1%E6%8E%A7",
                None,
                None,
            )
            .await;
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains("data-mode=\"hybrid\""), "{who}");
        // …and names each list's share in the reader's language.
        assert!(
            page.contains("相关度来源：关键词") && page.contains("多语言语义模型"),
            "{who}: {page}"
        );
        let (_, _, page) = p
            .raw(
                "GET",
                "/match?lang=en&q=%E7%94%B5%E6%B1%A0%E7%83%AD%E5%A4%B1%E6%8E%A7",
                None,
                None,
            )
            .await;
        let page = String::from_utf8_lossy(&page);
        assert!(
            page.contains("Where the relevance comes from: key words")
                && !page.contains("相关度来源"),
            "{who}: {page}"
        );
        p.close().await;
    }
}
