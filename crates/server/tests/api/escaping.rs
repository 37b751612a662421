//! Every page escapes what people wrote: a record whose every text field holds a script, an
//! attribute break-out and template syntax is fetched on every page that shows it (and typed into
//! every form that echoes input), and the HTML, tokenized as a browser would, holds no injected
//! element or attribute while the text reads back exactly as written.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use html5gum::{Token, Tokenizer};
use http_body_util::BodyExt;
use model::{OrgKind, Organization, Outcome, OutcomeKind, Person, PersonKind, Record, Region};
use serde_json::json;
use tower::ServiceExt;

use crate::support::{backends, demand, urlencode, uscc, Platform};

const P: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>{{ f.csrf }}{% if true %}X{% endif %}";

/// What a page must not hold: a tag or an event handler that was not in the template.
fn injected(html: &str) -> Vec<String> {
    let mut bad = vec![];
    for token in Tokenizer::new(html).flatten() {
        let Token::StartTag(tag) = token else {
            continue;
        };
        let name = String::from_utf8_lossy(&tag.name).to_string();
        if matches!(name.as_str(), "img" | "svg" | "iframe" | "object" | "embed") {
            bad.push(format!("<{name}>"));
        }
        if name == "script" {
            let src = tag
                .attributes
                .get(b"src".as_slice())
                .map(|v| String::from_utf8_lossy(&v.value).to_string());
            if !src.is_some_and(|s| s.starts_with("/assets/")) {
                bad.push("an inline <script>".into());
            }
        }
        for key in tag.attributes.keys() {
            let key = String::from_utf8_lossy(key).to_lowercase();
            if key.starts_with("on") || key == "x" || key.contains('"') || key.contains('\'') {
                bad.push(format!("<{name} {key}=…>"));
            }
        }
    }
    bad
}

/// Whether the page shows `s` as text or as an attribute value, exactly as written.
fn shows(html: &str, s: &str) -> bool {
    let mut text = String::new();
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::String(t) => text.push_str(&String::from_utf8_lossy(&t.value)),
            Token::StartTag(tag)
                if tag
                    .attributes
                    .values()
                    .any(|v| String::from_utf8_lossy(&v.value).contains(s)) =>
            {
                return true;
            }
            _ => {}
        }
    }
    text.contains(s)
}

async fn platform_with_payload(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> Platform {
    let org_name = format!("甲电池公司{P}");
    let mut org = Organization::new(OrgKind::Enterprise, &org_name);
    org.uscc = Some(uscc(1).parse().unwrap());
    org.region = Region::lookup("渝北区");
    org.products = vec![P.into()];
    org.chain_nodes = vec!["ICV-NEV.bms".into()];
    let mut outcome = Outcome::new(OutcomeKind::Patent, format!("电池均衡方法{P}"));
    outcome.abstract_text = Some(format!("电池 均衡 {P}"));
    outcome.keywords = vec![P.into()];
    outcome.owners = vec![P.into()];
    outcome.chain_nodes = vec!["ICV-NEV.bms".into()];
    let mut expert = Person::new(PersonKind::Expert, format!("王{P}"));
    expert.affiliation = Some(P.into());
    expert.title = Some(P.into());
    expert.fields = vec![P.into(), "电池".into()];
    expert.bio = Some(P.into());
    expert.chain_nodes = vec!["ICV-NEV.bms".into()];
    let mut need = demand(
        &org_name,
        &format!("电池需求{P}"),
        P,
        model::Confidentiality::Public,
    );
    if let Record::Demand(d) = &mut need {
        d.target_metrics = vec![P.into()];
        d.chain_nodes = vec!["ICV-NEV.bms".into()];
    }
    let records = vec![
        Record::Organization(org),
        Record::Outcome(outcome),
        Record::Person(expert),
        need,
    ];
    let p = Platform::new(store, dir, pg, &records).await;
    let a = p.org_id(&org_name).await;
    p.user("ent-a", "enterprise", Some(a)).await;
    p.user("admin", "admin", None).await;
    p.state
        .store
        .upsert_user(
            &store::NewUser {
                username: "shown",
                display_name: P,
                role: "enterprise",
                organization_id: Some(a),
                password_hash: &crate::support::hash(),
            },
            chrono::Utc::now().timestamp(),
        )
        .await
        .unwrap();
    p
}

async fn id_of(p: &Platform, token: &str, kind: &str) -> i64 {
    let (s, v) = p
        .call(
            "GET",
            &format!("/api/v1/search?q=%E7%94%B5%E6%B1%A0&kind={kind}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["hits"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no {kind}: {v}"))
}

async fn post(p: &Platform, token: &str, uri: &str, content_type: &str, body: Vec<u8>) -> String {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("cookie", format!("sl_session={token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let res = p.app.clone().oneshot(req).await.unwrap();
    String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

#[tokio::test]
async fn no_page_runs_what_a_record_or_a_form_holds() {
    for (store, dir, pg) in backends().await {
        let p = platform_with_payload(store, dir, pg).await;
        let who = p.backend;
        let admin = p.login("admin").await;
        let (s, v) = p
            .call(
                "POST",
                "/api/v1/profiles",
                Some(&admin),
                Some(json!({"profiles": [{
                    "uscc": uscc(1), "name": format!("示例企业{P}"), "registered_on": "2019-03-01",
                    "employees": 120, "financials": [{"year": 2025, "revenue": 4.2e7}]
                }]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        let demand = id_of(&p, &admin, "demand").await;
        let outcome = id_of(&p, &admin, "outcome").await;
        let org = id_of(&p, &admin, "organization").await;
        let expert = id_of(&p, &admin, "expert").await;
        let q = urlencode(P);
        let u = uscc(1);
        // (page, whether it must show the payload)
        let pages = [
            ("/".to_string(), true),
            ("/demands".to_string(), true),
            (format!("/demands/{demand}"), true),
            ("/search?q=%E7%94%B5%E6%B1%A0".to_string(), true),
            (format!("/search?q={q}"), true),
            (
                "/match?q=%E7%94%B5%E6%B1%A0%20%E5%9D%87%E8%A1%A1".to_string(),
                true,
            ),
            (format!("/match?q={q}"), true),
            (format!("/outcomes/{outcome}"), true),
            (format!("/organizations/{org}"), true),
            (format!("/experts/{expert}"), true),
            (format!("/chains?region={q}"), false),
            (format!("/chains/ICV-NEV?region={q}"), false),
            ("/chains/nodes/ICV-NEV.bms".to_string(), true),
            // Cluster and district are chosen from lists: an unknown value is not echoed back.
            (format!("/tiers?cluster={q}&district={q}"), false),
            (
                format!("/tiers/list?scheme=hte&cell=held&cluster={q}"),
                false,
            ),
            (format!("/credit?q={q}"), true),
            (format!("/demands?cluster={q}&district={q}"), false),
            ("/tiers/whatif".to_string(), true),
            (format!("/tiers/whatif?uscc={u}&revenue={q}"), true),
            ("/admin/accounts".to_string(), true),
            (format!("/nowhere/{q}"), false),
        ];
        let cookie = format!("sl_session={admin}");
        for (uri, must_show) in &pages {
            let (status, _, body) = p
                .raw_with("GET", uri, &[("cookie", cookie.as_str())], None)
                .await;
            let html = String::from_utf8_lossy(&body);
            assert!(
                status != StatusCode::INTERNAL_SERVER_ERROR,
                "{who} {uri}: {html}"
            );
            let bad = injected(&html);
            assert!(bad.is_empty(), "{who} {uri}: {bad:?}\n{html}");
            if *must_show {
                assert!(
                    shows(&html, P),
                    "{who} {uri} does not show the text as written:\n{html}"
                );
            }
        }
        // Forms that echo what was typed.
        let csrf = server::auth::csrf_for(&admin);
        let typed = post(
            &p,
            &admin,
            "/demands/new",
            "application/x-www-form-urlencoded",
            form(&[
                ("csrf", &csrf),
                ("title", P),
                ("problem", P),
                ("metrics", P),
                ("confidentiality", P),
            ]),
        )
        .await;
        let override_echo = post(
            &p,
            &admin,
            "/chains/nodes/ICV-NEV.bms/override",
            "application/x-www-form-urlencoded",
            form(&[
                ("csrf", &csrf),
                ("record_kind", "outcome"),
                ("record_id", P),
                ("action", "add"),
            ]),
        )
        .await;
        let boundary = "----escaping-boundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf", csrf.as_str()), ("kind", "outcome")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let csv = format!(
            "title,kind,trl\n\"{}\",{},\"{}\"\n",
            P.replace('"', "\"\""),
            "patent",
            P.replace('"', "\"\"")
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n")
                .as_bytes(),
        );
        let import = post(
            &p,
            &admin,
            "/admin/import",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
        for (what, html) in [
            ("demand form", typed),
            ("override form", override_echo),
            ("import report", import),
        ] {
            let bad = injected(&html);
            assert!(bad.is_empty(), "{who} {what}: {bad:?}\n{html}");
            assert!(
                shows(&html, P),
                "{who} {what} does not echo the text as written:\n{html}"
            );
        }
        p.close().await;
    }
}

#[test]
fn the_checker_catches_an_injection() {
    let raw = format!("<p>{P}</p>");
    assert!(!injected(&raw).is_empty());
    let escaped = "<p>&lt;script&gt;&quot;&#39;&gt;&lt;img onerror=x&gt;</p>";
    assert!(injected(escaped).is_empty());
    assert!(shows(escaped, "<script>\"'><img onerror=x>"));
}
