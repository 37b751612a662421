//! A challenge's own scoring form decides what a sheet holds and what the feedback says; market
//! evidence is filed against a market record and read only by those with the right.

use axum::http::StatusCode;
use serde_json::json;

use crate::challenges::{challenge_platform, day, go, post, posting, Tokens};
use crate::support::backends;

#[tokio::test]
async fn a_challenges_own_form_decides_sheets_and_feedback() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        let tk = Tokens::all(&p).await;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        let mut body = posting(need, end_user);
        body["winners_max"] = json!(1);
        body["detail"]["form"] = json!({"criteria": [
            {"code": "route", "label": "技术路线", "weight": 3, "max": 5},
            {"code": "team", "label": "团队", "weight": 1, "max": 5}
        ]});
        let (s, v) = post(&p, &tk, "ent-a", "/api/v1/challenges", body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        // A broken form is refused with the reason.
        let mut bad = body.clone();
        bad["detail"]["form"]["criteria"][1]["code"] = json!("route");
        let (s, v) = post(&p, &tk, "ent-a", "/api/v1/challenges", bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            v["error"]["message"].as_str().unwrap().contains("distinct"),
            "{v}"
        );
        go(&p, &tk, "ent-a", id, json!({"to": "refining"})).await;
        go(&p, &tk, "op", id, json!({"to": "published"})).await;
        let (_, v) = post(
            &p,
            &tk,
            "inst",
            &format!("/api/v1/challenges/{id}/applications"),
            json!({"plan": "方案", "pledge": "承诺", "submit": true}),
        )
        .await;
        let app = v["applications"][0]["id"].as_i64().unwrap();
        let (_, experts) = p.call("GET", "/api/v1/experts?limit=50", None, None).await;
        for n in ["赵评审", "钱评审", "孙评审"] {
            let e = experts["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["record"]["name"] == n)
                .unwrap()["id"]
                .clone();
            post(
                &p,
                &tk,
                "op",
                &format!("/api/v1/challenges/{id}/reviewers"),
                json!({"expert_id": e}),
            )
            .await;
        }
        day(&p, 11);
        go(&p, &tk, "op", id, json!({"to": "applications_closed"})).await;
        go(&p, &tk, "op", id, json!({"to": "under_review"})).await;
        // The shipped criteria are not this form's; a score above this form's max is refused.
        let (s, _) = post(&p, &tk, "rev1", &format!("/api/v1/applications/{app}/scores"),
            json!({"scores": {"technical_route": 5, "target_fit": 5, "team": 5, "budget_plan": 5, "pledge": 5}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = post(
            &p,
            &tk,
            "rev1",
            &format!("/api/v1/applications/{app}/scores"),
            json!({"scores": {"route": 6, "team": 5}}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        for r in ["rev1", "rev2", "rev3"] {
            let (s, v) = post(
                &p,
                &tk,
                r,
                &format!("/api/v1/applications/{app}/scores"),
                json!({"scores": {"route": 4, "team": 2}}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, v) = go(&p, &tk, "op", id, json!({"to": "notice"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // (3 × 4/5 + 1 × 2/5) / 4 = 0.7 → 70.
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("inst")),
                None,
            )
            .await;
        let fb = &v["feedback"][0];
        assert_eq!(fb["total"].as_f64().unwrap(), 70.0, "{fb}");
        assert_eq!(fb["criteria"][0]["label"], "技术路线");
        assert_eq!(fb["criteria"][0]["mean"].as_f64().unwrap(), 4.0);
        p.close().await;
    }
}

#[tokio::test]
async fn market_evidence_stays_with_those_who_may_open_it() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        let tk = Tokens::all(&p).await;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        let (_, v) = post(
            &p,
            &tk,
            "ent-a",
            "/api/v1/challenges",
            posting(need, end_user),
        )
        .await;
        let id = v["id"].as_i64().unwrap();
        // Before acceptance there is no market record to file evidence against.
        let auth = format!("Bearer {}", tk.of("ent-c"));
        let (s, _, _) = p
            .raw_with(
                "POST",
                &format!("/api/v1/challenges/{id}/evidence?market_months=12&name=a.csv"),
                &[("authorization", &auth)],
                Some("月份,销售额\n1,100\n".into()),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // An executable is refused whatever its name says.
        let (s, _, body) = p
            .raw_with(
                "POST",
                &format!("/api/v1/challenges/{id}/evidence?market_months=12&name=ledger.pdf"),
                &[("authorization", &auth)],
                Some("\u{7f}ELF\u{0}\u{1}".into()),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&body)
        );
        p.close().await;
    }
}

#[tokio::test]
async fn a_refused_step_on_the_page_leads_with_chinese_and_folds_the_detail() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        let tk = Tokens::all(&p).await;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        let (_, v) = post(
            &p,
            &tk,
            "ent-a",
            "/api/v1/challenges",
            posting(need, end_user),
        )
        .await;
        let id = v["id"].as_i64().unwrap();
        // A draft cannot be published (the operator's move from refining): 409, in words.
        let cookie = format!("sl_session={}", tk.of("op"));
        let csrf = server::auth::csrf_for(tk.of("op"));
        let (s, _, page) = p
            .raw_with(
                "POST",
                &format!("/challenges/{id}/do"),
                &[("cookie", &cookie)],
                Some(format!(
                    "csrf={csrf}&op=move&to=published&version={}",
                    v["version"]
                )),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let page = String::from_utf8_lossy(&page);
        let error = &page[page.find("id=\"error\"").expect("the refusal is shown")..];
        let error = &error[..error.find("</div>").unwrap()];
        assert!(
            error.contains("榜单已被他人更新或当前阶段不能这样操作"),
            "{error}"
        );
        // The engine's English detail only inside the folded details, marked as data.
        let lead = &error[..error.find("<details>").expect("the detail is folded")];
        assert!(!lead.contains("cannot move"), "{lead}");
        let (_, _, page) = p
            .raw_with(
                "GET",
                &format!("/challenges/{id}"),
                &[("cookie", &cookie)],
                None,
            )
            .await;
        let page = String::from_utf8_lossy(&page);
        assert!(
            !page.contains("id=\"error\""),
            "a plain page load shows no error"
        );
        // Refused with a guard's own words: no English at all.
        go(&p, &tk, "ent-a", id, json!({"to": "refining"})).await;
        let mut body = posting(need, end_user);
        body["version"] = json!(2);
        body["detail"]["targets"] = json!([]);
        let (s, _) = p
            .call(
                "PUT",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("ent-a")),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, cur) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("op")),
                None,
            )
            .await;
        let (s, _, page) = p
            .raw_with(
                "POST",
                &format!("/challenges/{id}/do"),
                &[("cookie", &cookie)],
                Some(format!(
                    "csrf={csrf}&op=move&to=published&version={}",
                    cur["version"]
                )),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains("榜单还不完整"), "the guard in its own words");
        assert!(
            !page.contains("<details><summary>技术细节"),
            "a guard needs no English detail"
        );
        p.close().await;
    }
}
