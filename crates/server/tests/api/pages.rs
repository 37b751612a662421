//! The pages a role works in, and who may open them: a lender's credit list and view, an
//! enterprise's own credit only, an organization page that shows tier standing and credit to those
//! allowed and nothing to others, the funnel's drill-down for officials only.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

fn uscc(n: usize) -> String {
    format!("91500000MA{n:07}")
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", model::Uscc::check_char(first17).unwrap())
}

async fn page(p: &Platform, uri: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let cookie = token.map(|t| format!("sl_session={t}"));
    let headers: Vec<(&str, &str)> = cookie
        .as_deref()
        .map(|c| vec![("cookie", c)])
        .unwrap_or_default();
    let (s, h, body) = p.raw_with("GET", uri, &headers, None).await;
    let location = h
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (s, String::from_utf8_lossy(&body).into_owned(), location)
}

#[tokio::test]
async fn credit_and_tier_pages_open_to_those_with_the_right_only() {
    for (store, dir, pg) in backends().await {
        let (u1, u2) = (with_check(&uscc(1)[..17]), with_check(&uscc(2)[..17]));
        let records = vec![enterprise("甲信贷企业", &u1), enterprise("乙信贷企业", &u2)];
        let p = Platform::new(store, dir, pg, &records).await;
        let who = p.backend;
        let a = p.org_id("甲信贷企业").await;
        let b = p.org_id("乙信贷企业").await;
        p.user("ent-a", "enterprise", Some(a)).await;
        p.user("ent-b", "enterprise", Some(b)).await;
        p.user("gov", "government", None).await;
        p.user("bank", "financier", None).await;
        p.user("inst", "institution", None).await;
        let (ent_a, gov, bank, inst) = (
            p.login("ent-a").await,
            p.login("gov").await,
            p.login("bank").await,
            p.login("inst").await,
        );
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/profiles",
                Some(&gov),
                Some(json!({"profiles": [tier_profile(&u1, "甲信贷企业"), tier_profile(&u2, "乙信贷企业")]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");

        // The lender's list: both enterprises, not yet rated; the export is a spreadsheet.
        let (s, html, _) = page(&p, "/credit", Some(&bank)).await;
        assert_eq!(s, StatusCode::OK, "{who}: {html}");
        assert!(
            html.contains("甲信贷企业") && html.contains("乙信贷企业"),
            "{html}"
        );
        assert!(html.contains("尚未评估"), "{html}");
        let (s, h, body) = p
            .raw_with(
                "GET",
                "/credit?format=xlsx",
                &[("cookie", &format!("sl_session={bank}"))],
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(h["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        assert_eq!(&body[..2], b"PK");

        // Rating on the page stores an evaluation; the view shows grade, reasons and inputs, and
        // a lender gets no what-if (it never reads the profile).
        let (s, h) = p.form(&format!("/credit/{u1}/score"), &bank, "").await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{who}");
        assert!(h["location"].to_str().unwrap().contains("scored=1"));
        let (s, html, _) = page(&p, &format!("/credit/{u1}"), Some(&bank)).await;
        assert_eq!(s, StatusCode::OK, "{who}: {html}");
        assert!(
            html.contains("id=\"credit-grade\"") && html.contains("评分理由"),
            "{html}"
        );
        assert!(html.contains("id=\"credit-factors\""), "{html}");
        assert!(
            !html.contains("/tiers/whatif"),
            "a lender has no what-if: {html}"
        );
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/credit/evaluations?uscc={u1}"),
                Some(&bank),
                None,
            )
            .await;
        assert_eq!(v["evaluations"].as_array().unwrap().len(), 1, "{v}");
        // A form without the session's CSRF token stores nothing.
        let req_cookie = format!("sl_session={bank}");
        let (s, _, _) = p
            .raw_with(
                "POST",
                &format!("/credit/{u1}/score"),
                &[("cookie", &req_cookie)],
                None,
            )
            .await;
        assert_ne!(s, StatusCode::SEE_OTHER);

        // An enterprise: its own view only; another's is the same 404 as a missing one.
        let (s, _, location) = page(&p, "/credit", Some(&ent_a)).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{who}");
        assert_eq!(location, format!("/credit/{u1}"));
        let (s, _, _) = page(&p, &format!("/credit/{u1}"), Some(&ent_a)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, own_missing, _) = page(&p, &format!("/credit/{u2}"), Some(&ent_a)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, none, _) = page(&p, "/credit/91500000MA0000099X", Some(&ent_a)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(
            own_missing, none,
            "another's credit answers as a missing one"
        );
        let (s, _, _) = page(&p, &format!("/credit/{u1}/score"), Some(&ent_a)).await;
        assert_ne!(s, StatusCode::OK);
        // Not an enterprise, not a lender: refused; anonymous: asked to sign in.
        let (s, _, _) = page(&p, "/credit", Some(&inst)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, html, _) = page(&p, "/credit", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("/login") && !html.contains("甲信贷企业"),
            "{html}"
        );

        // The organization page: credit for the lender, tiers and credit for the enterprise itself,
        // neither for another enterprise or an anonymous reader.
        let org_a = format!("/organizations/{a}");
        let (_, html, _) = page(&p, &org_a, Some(&bank)).await;
        assert!(
            html.contains("id=\"org-credit\"") && !html.contains("id=\"org-tiers\""),
            "{html}"
        );
        let (_, html, _) = page(&p, &org_a, Some(&ent_a)).await;
        assert!(
            html.contains("id=\"org-credit\"") && html.contains("id=\"org-tiers\""),
            "{html}"
        );
        for viewer in [Some(p.login("ent-b").await), None] {
            let (s, html, _) = page(&p, &org_a, viewer.as_deref()).await;
            assert_eq!(s, StatusCode::OK);
            assert!(
                !html.contains("org-credit") && !html.contains("org-tiers"),
                "{html}"
            );
        }

        // The funnel's drill-down: officials see the names, enterprises and lenders do not.
        let list = "/tiers/list?scheme=tech_sme&cell=qualify&as_of=2026-06-30";
        let mut seen = String::new();
        for cell in ["qualify", "unknown", "fail"] {
            let uri = format!("/tiers/list?scheme=tech_sme&cell={cell}&as_of=2026-06-30");
            let (s, html, _) = page(&p, &uri, Some(&gov)).await;
            assert_eq!(s, StatusCode::OK, "{html}");
            seen.push_str(&html);
        }
        assert!(
            seen.contains("甲信贷企业"),
            "the enterprise is in one of the cells"
        );
        for t in [&ent_a, &bank] {
            let (s, html, _) = page(&p, list, Some(t)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
            // (ent-a's own name is in its page header; the other enterprise must not be listed.)
            assert!(!html.contains("乙信贷企业"));
        }
        let (s, _, _) = page(&p, "/tiers/list?scheme=nope&cell=held", Some(&gov)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        p.close().await;
    }
}

#[tokio::test]
async fn an_owner_edits_and_closes_its_need_and_no_one_else_can() {
    for (store, dir, pg) in backends().await {
        let records = vec![
            enterprise("丙需求企业", &with_check(&uscc(3)[..17])),
            enterprise("丁需求企业", &with_check(&uscc(4)[..17])),
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let who = p.backend;
        let c = p.org_id("丙需求企业").await;
        let d = p.org_id("丁需求企业").await;
        p.user("ent-c", "enterprise", Some(c)).await;
        p.user("ent-d", "enterprise", Some(d)).await;
        let (own, other) = (p.login("ent-c").await, p.login("ent-d").await);
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/demands",
                Some(&own),
                Some(json!({"title": "旧标题 钎焊泄漏", "problem": "液冷板钎焊泄漏检测", "confidentiality": "registered"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{who}: {v}");
        let id = v["id"].as_i64().unwrap();
        let fields = |title: &str, level: &str, status: &str| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("title", title)
                .append_pair("problem", "液冷板钎焊泄漏在线检测，节拍 60 秒")
                .append_pair("metrics", "泄漏率≤1e-6\n节拍≤60秒")
                .append_pair("confidentiality", level)
                .append_pair("trl", "6")
                .append_pair("status", status)
                .finish()
        };
        // Another enterprise sees the registered need but may not change it.
        let (s, _) = p
            .form(
                &format!("/demands/{id}/edit"),
                &other,
                &fields("改坏了", "public", "open"),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _) = p.form(&format!("/demands/{id}/close"), &other, "").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        // The owner renames it and makes it public: the same id, found by its new words only.
        let (s, h) = p
            .form(
                &format!("/demands/{id}/edit"),
                &own,
                &fields("新标题 氦检漏", "public", "open"),
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{who}");
        assert!(h["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/demands/{id}")));
        let (s, v) = p
            .call("GET", &format!("/api/v1/demands/{id}"), None, None)
            .await;
        assert_eq!(s, StatusCode::OK, "public now: {v}");
        assert_eq!(v["record"]["title"], "新标题 氦检漏");
        assert_eq!(v["record"]["target_metrics"].as_array().unwrap().len(), 2);
        let (_, v) = p
            .call(
                "GET",
                "/api/v1/search?q=%E6%B0%A6%E6%A3%80%E6%BC%8F",
                Some(&own),
                None,
            )
            .await;
        assert!(
            v["hits"].as_array().unwrap().iter().any(|h| h["id"] == id),
            "{v}"
        );
        let (_, v) = p
            .call(
                "GET",
                "/api/v1/search?q=%E6%97%A7%E6%A0%87%E9%A2%98",
                Some(&own),
                None,
            )
            .await;
        assert!(
            !v["hits"].as_array().unwrap().iter().any(|h| h["id"] == id),
            "{v}"
        );
        // Back to NDA-only: the other enterprise can no longer see it, so editing is "not found".
        let (s, _) = p
            .form(
                &format!("/demands/{id}/edit"),
                &own,
                &fields("新标题 氦检漏", "nda", "open"),
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _) = p
            .form(
                &format!("/demands/{id}/edit"),
                &other,
                &fields("x", "public", "open"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        // Closing it.
        let (s, _) = p.form(&format!("/demands/{id}/close"), &own, "").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, v) = p
            .call("GET", &format!("/api/v1/demands/{id}"), Some(&own), None)
            .await;
        assert_eq!(v["record"]["status"], "closed", "{v}");
        // A bad level is named, and nothing changes.
        let (s, _) = p
            .form(
                &format!("/demands/{id}/edit"),
                &own,
                &fields("新标题 氦检漏", "secret", "open"),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        p.close().await;
    }
}

#[tokio::test]
async fn the_api_changes_a_need_for_its_owner_only() {
    for (store, dir, pg) in backends().await {
        let records = vec![
            enterprise("戊需求企业", &with_check(&uscc(5)[..17])),
            enterprise("己需求企业", &with_check(&uscc(6)[..17])),
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let who = p.backend;
        let e = p.org_id("戊需求企业").await;
        let f = p.org_id("己需求企业").await;
        p.user("ent-e", "enterprise", Some(e)).await;
        p.user("ent-f", "enterprise", Some(f)).await;
        let (own, other) = (p.login("ent-e").await, p.login("ent-f").await);
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/demands",
                Some(&own),
                Some(json!({"title": "减速器异响诊断", "problem": "电驱减速器异响在线诊断", "confidentiality": "public"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{who}: {v}");
        let id = v["id"].as_i64().unwrap();
        let path = format!("/api/v1/demands/{id}");
        let change = json!({"title": "减速器异响在线诊断", "problem": "电驱减速器 NVH 异响在线诊断",
            "target_metrics": ["识别率≥95%"], "confidentiality": "registered", "trl_needed": 6, "status": "matched"});
        let (s, _) = p.call("PUT", &path, None, Some(change.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = p
            .call("PUT", &path, Some(&other), Some(change.clone()))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, v) = p.call("PUT", &path, Some(&own), Some(change)).await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        assert_eq!(v["id"], id);
        assert_eq!(v["record"]["confidentiality"], "registered");
        assert_eq!(v["record"]["status"], "matched");
        assert_eq!(v["record"]["trl_needed"], 6);
        // Registered now: an anonymous reader no longer sees it.
        let (s, _) = p.call("GET", &path, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = p
            .call(
                "PUT",
                &path,
                Some(&own),
                Some(json!({"title": "x", "problem": "y", "confidentiality": "public", "trl_needed": 12})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v.to_string().contains("trl_needed 12"), "{v}");
        let (s, _) = p
            .call(
                "PUT",
                "/api/v1/demands/123456789",
                Some(&own),
                Some(json!({"title": "x", "problem": "y", "confidentiality": "public"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        p.close().await;
    }
}

#[tokio::test]
async fn the_needs_list_shows_the_newest_first_with_pages_and_a_true_count() {
    for (store, dir, pg) in backends().await {
        let records = vec![enterprise("庚需求企业", &with_check(&uscc(7)[..17]))];
        let p = Platform::new(store, dir, pg, &records).await;
        let who = p.backend;
        let g = p.org_id("庚需求企业").await;
        p.user("ent-g", "enterprise", Some(g)).await;
        let own = p.login("ent-g").await;
        for i in 0..35 {
            let (s, v) = p
                .call(
                    "POST",
                    "/api/v1/demands",
                    Some(&own),
                    Some(json!({"title": format!("分页需求{i:02}"), "problem": "分页测试", "confidentiality": "public"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{who}: {v}");
        }
        let (s, html, _) = page(&p, "/demands", Some(&own)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("data-total=\"35\""), "{html}");
        assert!(
            html.contains("分页需求34"),
            "the newest is on the first page"
        );
        assert!(!html.contains("分页需求04"), "30 a page");
        assert!(html.contains("page=2"), "a next page");
        let (_, html2, _) = page(&p, "/demands?page=2", Some(&own)).await;
        assert!(
            html2.contains("分页需求00") && !html2.contains("分页需求34"),
            "{html2}"
        );
        assert!(!html2.contains("page=3"), "no page after the last");
        p.close().await;
    }
}
