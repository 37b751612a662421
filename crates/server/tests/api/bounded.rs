//! A listing page and the home page cost a fixed number of store calls whatever the number of
//! demands: visibility is filtered in SQL by the viewer's pass, not by walking every demand.

use axum::http::StatusCode;
use model::Confidentiality::{Nda, Public, Registered};

use crate::support::{backends, demand, enterprise, uscc, Platform};

/// Store calls one request makes (the least of five tries: the index follower also reads the store,
/// twice a second).
async fn calls(p: &Platform, uri: &str, token: Option<&str>) -> u64 {
    let mut least = u64::MAX;
    for _ in 0..5 {
        let before = p.state.store.calls();
        let cookie = token.map(|t| format!("sl_session={t}"));
        let headers: Vec<(&str, &str)> = cookie
            .as_deref()
            .map(|c| vec![("cookie", c)])
            .unwrap_or_default();
        let (s, _, _) = p.raw_with("GET", uri, &headers, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        least = least.min(p.state.store.calls() - before);
    }
    least
}

async fn platform_with(n: usize) -> Vec<Platform> {
    let mut out = vec![];
    for (store, dir, pg) in backends().await {
        let mut records = vec![
            enterprise("甲电池公司", &uscc(1)),
            enterprise("乙材料公司", &uscc(2)),
        ];
        // A pattern of five, so the first page and the newest eight are alike at every size.
        for i in 0..n {
            let (owner, level) = match i % 5 {
                0 => ("甲电池公司", Public),
                1 => ("甲电池公司", Nda),
                2 => ("乙材料公司", Nda),
                3 => ("乙材料公司", Registered),
                _ => ("乙材料公司", Public),
            };
            records.push(demand(
                owner,
                &format!("需求 {i}"),
                &format!("问题描述 {i}"),
                level,
            ));
        }
        let p = Platform::new(store, dir, pg, &records).await;
        let b = p.org_id("乙材料公司").await;
        p.user("ent-b", "enterprise", Some(b)).await;
        out.push(p);
    }
    out
}

#[tokio::test]
async fn a_listing_page_and_the_home_page_cost_the_same_at_50_and_5000_demands() {
    let mut measured: Vec<Vec<(String, u64)>> = vec![];
    for n in [50, 5000] {
        for (i, p) in platform_with(n).await.into_iter().enumerate() {
            let b = p.login("ent-b").await;
            let mut row = vec![];
            for (uri, token) in [
                ("/api/v1/demands?limit=20", None),
                ("/api/v1/demands?limit=20", Some(b.as_str())),
                ("/demands", Some(b.as_str())),
                ("/", None),
                ("/", Some(b.as_str())),
                ("/api/v1/status", Some(b.as_str())),
            ] {
                let label = format!(
                    "{} {uri} {}",
                    p.backend,
                    token.map_or("anonymous", |_| "ent-b")
                );
                row.push((label, calls(&p, uri, token).await));
            }
            if measured.len() <= i {
                measured.push(vec![]);
            }
            measured[i].extend(row);
            p.close().await;
        }
    }
    for per_backend in &measured {
        let half = per_backend.len() / 2;
        for ((label, small), (_, large)) in per_backend[..half].iter().zip(&per_backend[half..]) {
            // The same, give or take the one owner lookup a page makes when it shows an NDA need
            // (which needs are newest among equal creation times varies with their random ids).
            assert!(
                large.abs_diff(*small) <= 1 && *large < 30,
                "{label}: {small} store calls at 50 demands, {large} at 5,000"
            );
        }
    }
}
