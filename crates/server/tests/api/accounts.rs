//! Accounts managed for real: an operator creates users, disables them, resets passwords and grants or
//! revokes NDA access from the admin page (the same use cases as `shuanglian user` / `grant`), every
//! change in the audit log; a revoked grant hides the demand again at once.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use model::Confidentiality::Nda;
use serde_json::json;
use tower::ServiceExt;

use crate::support::{backends, demand, enterprise, urlencode, uscc, Platform, PASSWORD};

async fn platforms() -> Vec<Platform> {
    let mut out = vec![];
    for (store, dir, pg) in backends().await {
        let records = vec![
            enterprise("甲电池公司", &uscc(1)),
            enterprise("乙材料公司", &uscc(2)),
            demand(
                "甲电池公司",
                "钠离子电池低温保密需求",
                "钠离子电池零下二十度容量保持",
                Nda,
            ),
        ];
        let p = Platform::new(store, dir, pg, &records).await;
        let a = p.org_id("甲电池公司").await;
        p.user("operator", "platform_operator", None).await;
        p.user("ent-a", "enterprise", Some(a)).await;
        out.push(p);
    }
    out
}

/// A form post with the session cookie and the session's CSRF token; the page's status and HTML.
async fn form(
    p: &Platform,
    uri: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut body = format!("csrf={}", server::auth::csrf_for(token));
    for (k, v) in fields {
        body.push_str(&format!("&{k}={}", urlencode(v)));
    }
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("cookie", format!("sl_session={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let res = p.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn sign_in(p: &Platform, user: &str, password: &str) -> StatusCode {
    p.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": user, "password": password})),
    )
    .await
    .0
}

#[tokio::test]
async fn an_operator_manages_users_and_grants_from_the_admin_page() {
    for p in platforms().await {
        let who = p.backend;
        let op = p.login("operator").await;
        let audit_before = p.state.store.audit_count().await.unwrap();

        // Create a user of 乙 with a chosen password; the page shows them; they sign in.
        let (s, html) = form(
            &p,
            "/admin/accounts/users",
            &op,
            &[
                ("username", "li-b"),
                ("display_name", "<script>alert(1)</script>"),
                ("role", "enterprise"),
                ("organization", "乙材料公司"),
                ("password", "a-long-password-1"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{who}: {html}");
        assert!(html.contains("id=\"acc-notice\""), "{who}: {html}");
        assert!(
            !html.contains("<script>alert(1)</script>"),
            "{who}: escaped"
        );
        assert!(
            html.contains("script&gt;alert(1)") || html.contains("script&#62;alert(1)"),
            "{who}: shown, escaped"
        );
        assert_eq!(
            sign_in(&p, "li-b", "a-long-password-1").await,
            StatusCode::OK,
            "{who}"
        );
        // A short password and an unknown organization are refused with a message.
        let (s, html) = form(
            &p,
            "/admin/accounts/users",
            &op,
            &[
                ("username", "x"),
                ("role", "enterprise"),
                ("organization", "不存在的公司"),
                ("password", "a-long-password-1"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{who}");
        assert!(
            html.contains("acc-error") && html.contains("不存在的公司"),
            "{who}: {html}"
        );

        // Reset: the old password stops working, the new one (shown once) works.
        let (s, html) = form(
            &p,
            "/admin/accounts/user",
            &op,
            &[("username", "li-b"), ("action", "reset")],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{who}");
        let new = html
            .split("acc-notice\">")
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap();
        let new = new.rsplit(": ").next().unwrap().trim().to_string();
        assert_eq!(
            sign_in(&p, "li-b", "a-long-password-1").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&p, "li-b", &new).await,
            StatusCode::OK,
            "{who}: new password {new}"
        );

        // Grant 甲 → 乙: 乙's user reads the NDA need in search, detail and matches; revoked, at once not.
        let tok = p.login_with("li-b", &new).await;
        let q = format!("/api/v1/search?q={}&kind=demand", urlencode("钠离子"));
        assert_eq!(
            p.call("GET", &q, Some(&tok), None).await.1["total"],
            0,
            "{who}"
        );
        let (s, _) = form(
            &p,
            "/admin/accounts/grants",
            &op,
            &[
                ("owner", "甲电池公司"),
                ("grantee", "乙材料公司"),
                ("action", "grant"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{who}");
        let (_, v) = p.call("GET", &q, Some(&tok), None).await;
        assert_eq!(v["total"], 1, "{who}: {v}");
        let id = v["hits"][0]["id"].as_i64().unwrap();
        let detail = format!("/api/v1/demands/{id}");
        let matches = format!("/api/v1/demands/{id}/matches");
        assert_eq!(
            p.call("GET", &detail, Some(&tok), None).await.0,
            StatusCode::OK
        );
        assert_eq!(
            p.call("GET", &matches, Some(&tok), None).await.0,
            StatusCode::OK
        );
        let (s, _) = form(
            &p,
            "/admin/accounts/grants",
            &op,
            &[
                ("owner", "甲电池公司"),
                ("grantee", "乙材料公司"),
                ("action", "revoke"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{who}");
        assert_eq!(
            p.call("GET", &q, Some(&tok), None).await.1["total"],
            0,
            "{who}: revoked"
        );
        assert_eq!(
            p.call("GET", &detail, Some(&tok), None).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            p.call("GET", &matches, Some(&tok), None).await.0,
            StatusCode::NOT_FOUND
        );

        // Disable: the session ends at once, and sign-in is refused.
        let (s, _) = form(
            &p,
            "/admin/accounts/user",
            &op,
            &[("username", "li-b"), ("action", "disable")],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{who}");
        assert_eq!(
            p.call("GET", "/api/v1/auth/me", Some(&tok), None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(sign_in(&p, "li-b", &new).await, StatusCode::UNAUTHORIZED);

        // Every change is audited (create, reset, grant, revoke, disable).
        assert!(
            p.state.store.audit_count().await.unwrap() >= audit_before + 5,
            "{who}"
        );
        let users = p.state.store.audit_of("user", 10).await.unwrap();
        assert!(
            users
                .iter()
                .any(|(actor, action, _, _)| actor == "web:operator" && action == "password_reset"),
            "{users:?}"
        );

        // An enterprise user may not open the page, nor post to it.
        let a = p.login("ent-a").await;
        let (s, _) = form(
            &p,
            "/admin/accounts/users",
            &a,
            &[
                ("username", "x2"),
                ("role", "admin"),
                ("password", "a-long-password-1"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        // An operator does not create admins.
        let (s, _) = form(
            &p,
            "/admin/accounts/users",
            &op,
            &[
                ("username", "x3"),
                ("role", "admin"),
                ("password", "a-long-password-1"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{who}");
        assert!(p.state.store.user_by_name("x3").await.unwrap().is_none());
        let _ = PASSWORD;
        p.close().await;
    }
}
