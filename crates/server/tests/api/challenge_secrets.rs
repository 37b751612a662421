//! What a challenge keeps from whom: a `registered` challenge from the signed-out (list, page,
//! scenario list, counts), a blind review's applicants from the reviewers, reviewers' identities and
//! sheets from applicants, plans from competitors, the poster's need from everyone else, evidence
//! from all but the team, the poster, the end user and the operators.

use axum::http::StatusCode;
use serde_json::json;

use crate::challenges::{challenge_platform, go, in_days, post, posting, Tokens};
use crate::support::backends;

#[tokio::test]
async fn registered_and_blind_challenges_keep_their_promises() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        let tk = Tokens::all(&p).await;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        let mut body = posting(need, end_user);
        body["visibility"] = json!("registered");
        body["blind"] = json!(true);
        body["title"] = json!("仅注册用户可见的榜单XYZ");
        let (s, v) = post(&p, &tk, "ent-a", "/api/v1/challenges", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        go(&p, &tk, "ent-a", id, json!({"to": "refining"})).await;
        let (s, _) = go(&p, &tk, "op", id, json!({"to": "published"})).await;
        assert_eq!(s, StatusCode::OK);
        // Signed out: not in the list, no page, no scenario leak, nothing on the web list either.
        let (_, list) = p.call("GET", "/api/v1/challenges", None, None).await;
        assert!(!list.to_string().contains("XYZ"), "{list}");
        let (s, _) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _, page) = p.raw("GET", "/challenges", None, None).await;
        assert!(s.is_success() || s == StatusCode::NOT_FOUND);
        assert!(!String::from_utf8_lossy(&page).contains("XYZ"));
        let (s, _, page) = p.raw("GET", &format!("/challenges/{id}"), None, None).await;
        assert!(!String::from_utf8_lossy(&page).contains("XYZ"), "{s}");
        // Signed in: visible.
        let (_, list) = p
            .call("GET", "/api/v1/challenges", Some(tk.of("ent-d")), None)
            .await;
        assert!(list.to_string().contains("XYZ"));

        // The university's expert 李示例 reviews through an account of no organization (rev6), and
        // is assigned before the university applies.
        let (_, experts) = p.call("GET", "/api/v1/experts?limit=50", None, None).await;
        let expert = |n: &str| {
            experts["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["record"]["name"] == n)
                .unwrap()["id"]
                .clone()
        };
        let li = expert("李示例").as_i64().unwrap();
        let rev4 = p
            .state
            .store
            .user_by_name("rev4")
            .await
            .unwrap()
            .unwrap()
            .id;
        p.state.store.set_user_expert(rev4, None).await.unwrap();
        p.user("rev6", "institution", None).await;
        let rev6 = p
            .state
            .store
            .user_by_name("rev6")
            .await
            .unwrap()
            .unwrap()
            .id;
        p.state.store.set_user_expert(rev6, Some(li)).await.unwrap();
        let rev6_token = p.login("rev6").await;
        let (s, v) = post(
            &p,
            &tk,
            "op",
            &format!("/api/v1/challenges/{id}/reviewers"),
            json!({"expert_id": expert("李示例")}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // A blind review: reviewers read plans, never who applied.
        let (s, v) = post(&p, &tk, "inst", &format!("/api/v1/challenges/{id}/applications"),
            json!({"plan": "盲审方案甲", "pledge": "承诺", "team": [{"name": "王芳"}], "submit": true})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
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
            let (s, v) = post(
                &p,
                &tk,
                "op",
                &format!("/api/v1/challenges/{id}/reviewers"),
                json!({"expert_id": e}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        p.state.store.set_clock_offset(11 * 86_400);
        go(&p, &tk, "op", id, json!({"to": "applications_closed"})).await;
        let (s, _) = go(&p, &tk, "op", id, json!({"to": "under_review"})).await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("rev1")),
                None,
            )
            .await;
        let a = &v["applications"][0];
        assert_eq!(a["content"]["plan"], "盲审方案甲");
        let text = v["applications"].to_string();
        for secret in ["重庆示例大学", "王芳"] {
            assert!(
                !text.contains(secret),
                "a blind reviewer learns {secret}: {text}"
            );
        }
        assert!(a["lead"].is_null());
        // The reviewer whose own university applied reads nothing of it, not even its name.
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(&rev6_token),
                None,
            )
            .await;
        let mine = &v["applications"][0];
        assert!(mine["content"].is_null(), "{mine}");
        assert_eq!(mine["conflicts"][0]["reason"], "same_org");
        let text = v["applications"].to_string();
        for secret in ["重庆示例大学", "盲审方案甲", "王芳"] {
            assert!(
                !text.contains(secret),
                "a barred reviewer learns {secret}: {text}"
            );
        }
        let (s, v) = p.call("POST", &format!("/api/v1/applications/{app}/scores"), Some(&rev6_token),
            Some(json!({"scores": {"technical_route": 1, "target_fit": 1, "team": 1, "budget_plan": 1, "pledge": 1}}))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(!v.to_string().contains("重庆示例大学"), "{v}");
        // Nor does a reviewer read the poster's need, or other reviewers' sheets.
        assert!(v["demand_id"].is_null());
        for (r, x) in [("rev1", 9), ("rev2", 3)] {
            let (s, v) = post(&p, &tk, r, &format!("/api/v1/applications/{app}/scores"),
                json!({"scores": {"technical_route": x, "target_fit": x, "team": x, "budget_plan": x, "pledge": x}, "comment": format!("意见{r}")})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("rev1")),
                None,
            )
            .await;
        assert_eq!(v["my_sheets"].as_array().unwrap().len(), 1);
        assert!(
            !v.to_string().contains("意见rev2"),
            "a reviewer reads another's sheet"
        );
        assert!(v["standings"].as_array().unwrap().is_empty());
        // An applicant sees no sheet, no reviewer, no standing before the notice.
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("inst")),
                None,
            )
            .await;
        let text = v.to_string();
        for secret in ["意见rev1", "赵评审", "my_sheets\":[{"] {
            assert!(!text.contains(secret), "an applicant learns {secret}");
        }
        assert!(
            v["feedback"].as_array().unwrap().is_empty(),
            "no feedback before the notice"
        );
        // An outsider reads no application at all.
        let (_, v) = p
            .call(
                "GET",
                &format!("/api/v1/challenges/{id}"),
                Some(tk.of("ent-d")),
                None,
            )
            .await;
        assert!(v["applications"].as_array().unwrap().is_empty());
        assert!(!v.to_string().contains("盲审方案甲"));
        // Ids of things one may not see answer like ids that do not exist.
        let (s1, a1) = p
            .call(
                "POST",
                &format!("/api/v1/applications/{app}/confirm"),
                Some(tk.of("ent-d")),
                None,
            )
            .await;
        let (s2, _) = p
            .call(
                "POST",
                "/api/v1/applications/987654/confirm",
                Some(tk.of("ent-d")),
                None,
            )
            .await;
        assert_eq!(
            (s1, s2),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
            "{a1}"
        );
        let (s, _, _) = p
            .raw("GET", "/api/v1/evidence/1", Some(tk.of("ent-d")), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let _ = in_days(0);
        p.close().await;
    }
}
