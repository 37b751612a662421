//! Tiers and tech credit over HTTP: inline evaluation for anyone, stored profiles only for those with
//! the right (existence not revealed to others), the funnel for officials, credit scores stored and
//! reproducible with inputs hidden from financiers, the loan-book simulation, and the errors.

use axum::http::StatusCode;
use model::{OrgKind, Organization, Record, Region};
use serde_json::{json, Value};

use crate::support::{backends, uscc, Platform};

fn org(name: &str, n: usize, cluster: &str) -> Record {
    let mut o = Organization::new(OrgKind::Enterprise, name);
    o.uscc = Some(uscc(n).parse().unwrap());
    o.region = Region::lookup("渝北区");
    o.clusters = vec![cluster.into()];
    Record::Organization(o)
}

/// A growing tech SME (the CLI fixture's first profile) under `uscc(n)`.
fn profile(n: usize) -> Value {
    crate::support::tier_profile(&uscc(n), &format!("示例企业{n}"))
}

async fn platforms() -> Vec<Platform> {
    let mut out = vec![];
    for (store, dir, pg) in backends().await {
        let records = vec![org("甲企业", 1, "ICV-NEV"), org("乙企业", 2, "ICV-NEV")];
        let p = Platform::new(store, dir, pg, &records).await;
        let a = p.org_id("甲企业").await;
        let b = p.org_id("乙企业").await;
        p.user("ent-a", "enterprise", Some(a)).await;
        p.user("ent-b", "enterprise", Some(b)).await;
        p.user("gov", "government", None).await;
        p.user("bank", "financier", None).await;
        out.push(p);
    }
    out
}

/// Stores profiles as `token`'s user; the status must be 200.
async fn store_profiles(p: &Platform, token: &str, ns: &[usize]) {
    let profiles: Vec<Value> = ns.iter().map(|&n| profile(n)).collect();
    let (s, v) = p
        .call(
            "POST",
            "/api/v1/profiles",
            Some(token),
            Some(json!({ "profiles": profiles })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{}: {v}", p.backend);
}

fn scheme<'a>(result: &'a Value, code: &str) -> &'a Value {
    result["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == code)
        .unwrap_or_else(|| panic!("no {code} in {result}"))
}

#[tokio::test]
async fn anyone_evaluates_inline_profiles_and_bad_input_is_named() {
    for p in platforms().await {
        let who = p.backend;
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                None,
                Some(json!({"profiles": [profile(1)], "as_of": "2026-06-30",
                    "assessor": {"tech_sme_resident_enterprise": 1, "tech_sme_not_serious_dishonesty": 1}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let r = &v["results"][0];
        assert_eq!(r["uscc"], uscc(1));
        assert_eq!(r["schemes"].as_array().unwrap().len(), 5);
        let tech = scheme(r, "tech_sme");
        assert_eq!(tech["result"], "pass", "{tech}");
        assert_eq!(tech["score"], 100.0);
        let hte = scheme(r, "hte");
        assert_ne!(hte["result"], "pass", "judgment is not guessed: {hte}");

        // What-if: less R&D (2025 at 1%) lowers the tech_sme score; a step down, not a crash.
        let mut less = profile(1);
        less["financials"][2]["rd_expense"] = json!(4.2e5);
        less["financials"][2]["rd_expense_domestic"] = json!(4.2e5);
        let (_, w) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                None,
                Some(json!({"profiles": [less], "as_of": "2026-06-30", "schemes": ["tech_sme"]})),
            )
            .await;
        let lower = &w["results"][0]["schemes"][0];
        assert!(
            lower["score"].as_f64().unwrap_or(f64::MAX) < 100.0
                || lower["score_range"][1].as_f64().unwrap() < 100.0,
            "{lower}"
        );

        let mut bad = profile(1);
        bad["financials"][0]["revenue"] = json!(-1);
        for (body, says) in [
            (
                json!({"profiles": [bad], "as_of": "2026-06-30"}),
                "profiles[0]",
            ),
            (
                json!({"profiles": [profile(1)], "schemes": ["unicorn"]}),
                "unknown scheme 'unicorn'",
            ),
            (
                json!({"profiles": [profile(1)], "as_of": "June"}),
                "YYYY-MM-DD",
            ),
            (json!({}), "either `profiles`"),
        ] {
            let (s, v) = p
                .call("POST", "/api/v1/tiers/evaluate", None, Some(body))
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{who}: {v}");
            assert!(v.to_string().contains(says), "{who}: {v} should say {says}");
        }
        p.close().await;
    }
}

#[tokio::test]
async fn stored_profiles_are_read_only_by_officials_and_the_enterprise_itself() {
    for p in platforms().await {
        let who = p.backend;
        let a = p.login("ent-a").await;
        let b = p.login("ent-b").await;
        let gov = p.login("gov").await;
        let store = |n: usize| json!({"profiles": [profile(n)]});
        let (s, _) = p
            .call("POST", "/api/v1/profiles", None, Some(store(1)))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{who}");
        let (s, v) = p
            .call("POST", "/api/v1/profiles", Some(&a), Some(store(2)))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: another enterprise's: {v}");
        let (s, v) = p
            .call("POST", "/api/v1/profiles", Some(&a), Some(store(1)))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let (s, v) = p
            .call("POST", "/api/v1/profiles", Some(&gov), Some(store(2)))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");

        let path = format!("/api/v1/profiles/{}", uscc(2));
        for (token, status) in [
            (None, StatusCode::NOT_FOUND),
            (Some(&a), StatusCode::NOT_FOUND),
            (Some(&b), StatusCode::OK),
            (Some(&gov), StatusCode::OK),
        ] {
            let (s, v) = p.call("GET", &path, token.map(|t| t.as_str()), None).await;
            assert_eq!(s, status, "{who}: {v}");
            if s == StatusCode::NOT_FOUND {
                assert!(!v.to_string().contains("示例企业2"), "{v}");
            }
        }
        let by_uscc = json!({"uscc": [uscc(2)], "as_of": "2026-06-30"});
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                Some(&a),
                Some(by_uscc.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        let (s, v) = p
            .call("POST", "/api/v1/tiers/evaluate", Some(&gov), Some(by_uscc))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");

        // The funnel: officials only; filters by cluster and district.
        let (s, _) = p.call("GET", "/api/v1/tiers/funnel", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = p.call("GET", "/api/v1/tiers/funnel", Some(&a), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, f) = p
            .call(
                "GET",
                "/api/v1/tiers/funnel?as_of=2026-06-30",
                Some(&gov),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {f}");
        assert_eq!(f["total"]["enterprises"], 2);
        let icv = f["by_cluster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == "ICV-NEV")
            .unwrap();
        assert_eq!(icv["enterprises"], 2);
        assert_eq!(f["by_district"][0]["group"], "渝北区");
        let (_, f) = p
            .call(
                "GET",
                "/api/v1/tiers/funnel?as_of=2026-06-30&cluster=EIM",
                Some(&gov),
                None,
            )
            .await;
        assert_eq!(f["total"]["enterprises"], 0, "{f}");
        p.close().await;
    }
}

#[tokio::test]
async fn credit_scores_are_stored_reproducible_and_inputs_stay_with_those_who_may_read_them() {
    for p in platforms().await {
        let who = p.backend;
        let a = p.login("ent-a").await;
        let b = p.login("ent-b").await;
        let gov = p.login("gov").await;
        let bank = p.login("bank").await;
        store_profiles(&p, &gov, &[1, 2]).await;

        // A preview of an inline profile: scored, nothing stored.
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/credit/score",
                None,
                Some(json!({"profile": profile(1), "as_of": "2026-06-30"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        assert!(v["evaluation_id"].is_null());
        assert!(v["credit"]["grade"].is_string(), "{v}");

        // The bank scores a stored profile: stored, with the score, not the profile.
        let body = json!({"uscc": uscc(2), "as_of": "2026-06-30"});
        let (s, _) = p
            .call("POST", "/api/v1/credit/score", Some(&a), Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}: not ent-a's to score");
        let (s, v) = p
            .call("POST", "/api/v1/credit/score", Some(&bank), Some(body))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let id = v["evaluation_id"].as_i64().expect("stored");
        let path = format!("/api/v1/credit/evaluations/{id}");
        let (s, e) = p.call("GET", &path, Some(&bank), None).await;
        assert_eq!(s, StatusCode::OK, "{who}: {e}");
        assert_eq!(e["reproduction"]["reproduced"], true, "{e}");
        assert_eq!(e["evaluation"]["score"], v["credit"]);
        assert!(
            e["evaluation"]["inputs"].is_null(),
            "a financier sees no inputs: {e}"
        );
        assert_eq!(e["evaluation"]["created_by"], "bank");
        let (s, e) = p.call("GET", &path, Some(&b), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(e["evaluation"]["inputs"]["profile"]["uscc"], uscc(2));
        assert_eq!(e["evaluation"]["inputs"]["as_of"], "2026-06-30");
        for token in [None, Some(&a)] {
            let (s, e) = p.call("GET", &path, token.map(|t| t.as_str()), None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who}: {e}");
            assert!(!e.to_string().contains("示例企业2"));
        }

        // Lists: officials and financiers see all, enterprises only their own.
        let (s, _) = p
            .call("GET", "/api/v1/credit/evaluations", Some(&a), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, l) = p
            .call(
                "GET",
                &format!("/api/v1/credit/evaluations?uscc={}", uscc(1)),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{l}");
        assert_eq!(
            l["evaluations"].as_array().unwrap().len(),
            0,
            "the preview stored nothing"
        );
        let (_, l) = p
            .call("GET", "/api/v1/credit/evaluations", Some(&gov), None)
            .await;
        assert_eq!(l["evaluations"].as_array().unwrap().len(), 1);
        assert!(l["evaluations"][0]["inputs"].is_object());
        let (_, l) = p
            .call("GET", "/api/v1/credit/evaluations", Some(&bank), None)
            .await;
        assert!(l["evaluations"][0]["inputs"].is_null());
        p.close().await;
    }
}

#[tokio::test]
async fn a_loan_book_is_simulated_and_a_bad_cell_is_named() {
    for p in platforms().await {
        // Heavy work: signed-in users only.
        let bank = p.login("bank").await;
        let book = "id,principal,annual_rate,term_months,default_month\nL1,1000000,0.0435,12,7\nL2,3000000,0.04,12,\n";
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/credit/simulate",
                Some(&bank),
                Some(json!({"book_csv": book})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let first = &v["first_run"];
        assert_eq!(first["fund_loss_fen"], 80_000_000, "{first}");
        assert_eq!(
            first["bank_loss_fen"].as_i64().unwrap(),
            20_000_000 + first["bank_interest_loss_fen"].as_i64().unwrap()
        );
        // Bounded work: 3,000 loans × 2,000 runs is refused with the limit.
        let mut big = String::from("id,principal,annual_rate,term_months\n");
        for i in 0..3000 {
            big.push_str(&format!("L{i},100000,0.04,12\n"));
        }
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/credit/simulate",
                Some(&bank),
                Some(json!({"book_csv": big, "runs": 2000})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(v.to_string().contains("at most 5000000"), "{v}");
        let bad = "id,principal,annual_rate,term_months\nL1,1000000,4.35%,12\n";
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/credit/simulate",
                Some(&bank),
                Some(json!({"book_csv": bad})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let m = v.to_string();
        assert!(m.contains("annual_rate") && m.contains(":2"), "{m}");
        p.close().await;
    }
}

/// A page's status and HTML, signed in by the session cookie when a token is given.
async fn page(p: &Platform, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let cookie = token.map(|t| format!("sl_session={t}"));
    let headers: Vec<(&str, &str)> = cookie
        .as_deref()
        .map(|c| vec![("cookie", c)])
        .unwrap_or_default();
    let (s, _, body) = p.raw_with("GET", uri, &headers, None).await;
    (s, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn the_funnel_and_what_if_pages_show_what_the_viewer_may_see() {
    for p in platforms().await {
        let who = p.backend;
        let a = p.login("ent-a").await;
        let gov = p.login("gov").await;
        store_profiles(&p, &gov, &[1, 2]).await;

        let (s, html) = page(&p, "/tiers", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{who}");
        assert!(html.contains("/login"));
        // An enterprise's tier page is its own standing.
        let (s, _) = page(&p, "/tiers", Some(&a)).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{who}");
        let (s, html) = page(&p, "/tiers?as_of=2026-06-30&lang=en", Some(&gov)).await;
        assert_eq!(s, StatusCode::OK, "{who}: {html}");
        // Clusters and districts by name, in the page's language.
        assert!(
            html.contains("Intelligent connected new-energy vehicles") && html.contains("Yubei"),
            "{html}"
        );
        assert!(
            html.contains("<th>Tech-based SME</th>"),
            "scheme names from the tables: {html}"
        );

        // What-if: ent-a sees its own enterprise, not the other.
        let (s, html) = page(&p, "/tiers/whatif", Some(&a)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains(&uscc(1)) && !html.contains(&uscc(2)),
            "{html}"
        );
        let (s, html) = page(&p, &format!("/tiers/whatif?uscc={}", uscc(2)), Some(&a)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        assert!(!html.contains("示例企业2"));

        // Dropping 2025 R&D to ¥40万 (1% of ¥4200万) moves tech_sme's score down; nothing is saved.
        let base = format!("/tiers/whatif?uscc={}&as_of=2026-06-30", uscc(1));
        let (s, before) = page(&p, &base, Some(&a)).await;
        assert_eq!(s, StatusCode::OK, "{before}");
        assert!(!before.contains("class=\"moved\""), "{before}");
        let (s, after) = page(&p, &format!("{base}&rd_expense=40"), Some(&a)).await;
        assert_eq!(s, StatusCode::OK, "{after}");
        assert!(
            after.contains("<tr class=\"moved\" data-scheme=\"tech_sme\">"),
            "{after}"
        );
        assert!(after.contains("whatif-credit"));
        let (_, again) = page(&p, &base, Some(&a)).await;
        assert!(
            !again.contains("class=\"moved\""),
            "the change was not saved"
        );
        // A bad figure is named, and the stored figures are shown instead.
        let (_, bad) = page(&p, &format!("{base}&revenue=-5"), Some(&a)).await;
        assert!(
            bad.contains("whatif-error") && bad.contains("revenue"),
            "{bad}"
        );
        p.close().await;
    }
}

#[tokio::test]
async fn officials_record_assessor_judgments_that_stored_evaluations_then_read() {
    for p in platforms().await {
        let who = p.backend;
        let a = p.login("ent-a").await;
        let gov = p.login("gov").await;
        // Flagged on the serious-dishonesty list: the data alone never passes it; an official's
        // judgment settles it.
        let flagged = |n: usize| {
            let mut v = profile(n);
            v["flags"] = json!({"serious_dishonesty": true});
            v
        };
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/profiles",
                Some(&gov),
                Some(json!({ "profiles": [flagged(1)] })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let tech = |v: &Value| scheme(&v["results"][0], "tech_sme")["result"].clone();
        let by_uscc = json!({"uscc": [uscc(1)], "as_of": "2026-06-30", "schemes": ["tech_sme"]});
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                Some(&gov),
                Some(by_uscc.clone()),
            )
            .await;
        assert_eq!(tech(&v), "unknown", "{who}: judgment missing: {v}");

        let path = format!("/api/v1/profiles/{}/assessor", uscc(1));
        let judged = json!({"inputs": {"tech_sme_resident_enterprise": 1, "tech_sme_not_serious_dishonesty": 1}});
        let (s, _) = p.call("PUT", &path, None, Some(judged.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, v) = p.call("PUT", &path, Some(&a), Some(judged.clone())).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{who}: an enterprise does not assess itself: {v}"
        );
        let (s, v) = p
            .call(
                "PUT",
                &path,
                Some(&gov),
                Some(json!({"inputs": {"tech_sme_residency": 1}})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            v.to_string()
                .contains("unknown assessor key 'tech_sme_residency'")
                && v.to_string().contains("tech_sme_resident_enterprise"),
            "{v}"
        );
        let (s, v) = p.call("PUT", &path, Some(&gov), Some(judged)).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{who}: {v}");

        let (_, v) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                Some(&gov),
                Some(by_uscc.clone()),
            )
            .await;
        assert_eq!(tech(&v), "pass", "{who}: the stored judgment is read: {v}");
        // Re-importing the facts keeps the judgment; the enterprise sees it on its profile.
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/profiles",
                Some(&a),
                Some(json!({ "profiles": [flagged(1)] })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let (_, view) = p
            .call(
                "GET",
                &format!("/api/v1/profiles/{}", uscc(1)),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(
            view["assessor"]["tech_sme_resident_enterprise"], 1.0,
            "{view}"
        );
        assert_eq!(view["assessed_by"], "gov");
        let (_, f) = p
            .call(
                "GET",
                "/api/v1/tiers/funnel?as_of=2026-06-30",
                Some(&gov),
                None,
            )
            .await;
        assert_eq!(f["total"]["schemes"]["tech_sme"]["qualify"], 1, "{f}");
        // An inline profile does not borrow the stored judgment.
        let (_, v) = p
            .call(
                "POST",
                "/api/v1/tiers/evaluate",
                None,
                Some(json!({"profiles": [flagged(1)], "as_of": "2026-06-30", "schemes": ["tech_sme"]})),
            )
            .await;
        assert_eq!(tech(&v), "unknown", "{v}");
        p.close().await;
    }
}
