//! Challenges (揭榜挂帅) over the API: the whole loop with three organizations — an enterprise posts
//! from its need, the operator refines and publishes, a university applies alone and an enterprise
//! leads a consortium, a conflicted reviewer is refused with the reason, three reviewers score, two
//! teams win (horse race), an objection is resolved during the notice, milestones, one team stops at
//! its first milestone, acceptance against the target metrics, the market grade — with what each
//! side may read checked at every step, and the audit chain verified at the end.

use axum::http::StatusCode;
use model::{OrgKind, Organization, Person, PersonKind, Record};
use serde_json::{json, Value};

use crate::support::{backends, demand, enterprise, uscc, Platform};

pub const PLAN_B: &str = "固态电解质界面改性路线：原子层沉积包覆 + 原位聚合";
pub const PLAN_U: &str = "高熵掺杂正极路线，配合梯度浓度设计";

/// Who is who: ent-a posts (甲), ent-c uses the result (丙制造), inst (示例大学) applies alone, ent-b
/// (乙电池) leads a consortium with inst2 (丁研究院), rev1–rev3 review, rev4 (示例大学) is conflicted,
/// op operates, ent-d and gov are outsiders.
pub async fn challenge_platform(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> (Platform, i64) {
    let univ = Organization::new(OrgKind::University, "重庆示例大学");
    let inst2 = Organization::new(OrgKind::ResearchInstitute, "重庆丁研究院");
    let mut records = vec![
        enterprise("重庆甲汽车零部件有限公司", &uscc(1)),
        enterprise("重庆乙电池有限公司", &uscc(2)),
        enterprise("重庆丙制造有限公司", &uscc(3)),
        enterprise("重庆戊科技有限公司", &uscc(4)),
        Record::Organization(univ),
        Record::Organization(inst2),
    ];
    let mut need = demand(
        "重庆甲汽车零部件有限公司",
        "高比能电芯正极材料攻关",
        "需要能量密度 300 Wh/kg 以上的正极方案。",
        model::Confidentiality::Public,
    );
    if let Record::Demand(d) = &mut need {
        d.owner_uscc = Some(uscc(1).parse().unwrap());
    }
    records.push(need);
    for (name, aff) in [
        ("赵评审", "西南评审中心"),
        ("钱评审", "北方评审所"),
        ("孙评审", "东方评审院"),
        ("李示例", "重庆示例大学"),
    ] {
        let mut e = Person::new(PersonKind::Expert, name);
        e.affiliation = Some(aff.into());
        records.push(Record::Person(e));
    }
    let p = Platform::new(store, dir, pg, &records).await;
    let org = |n: &'static str| p.org_id(n);
    let (a, b, c, d, u, i2) = (
        org("重庆甲汽车零部件有限公司").await,
        org("重庆乙电池有限公司").await,
        org("重庆丙制造有限公司").await,
        org("重庆戊科技有限公司").await,
        org("重庆示例大学").await,
        org("重庆丁研究院").await,
    );
    p.user("ent-a", "enterprise", Some(a)).await;
    p.user("ent-b", "enterprise", Some(b)).await;
    p.user("ent-c", "enterprise", Some(c)).await;
    p.user("ent-d", "enterprise", Some(d)).await;
    p.user("inst", "institution", Some(u)).await;
    p.user("inst2", "institution", Some(i2)).await;
    p.user("op", "platform_operator", None).await;
    p.user("gov", "government", None).await;
    let (_, experts) = p.call("GET", "/api/v1/experts?limit=50", None, None).await;
    for (i, name) in ["赵评审", "钱评审", "孙评审", "李示例"].iter().enumerate() {
        let user = format!("rev{}", i + 1);
        let org = if *name == "李示例" { Some(u) } else { None };
        p.user(&user, "institution", org).await;
        let id = experts["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["record"]["name"] == *name)
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let uid = p.state.store.user_by_name(&user).await.unwrap().unwrap().id;
        p.state.store.set_user_expert(uid, Some(id)).await.unwrap();
    }
    let (_, list) = p.call("GET", "/api/v1/demands", None, None).await;
    let need = list["items"][0]["id"].as_i64().unwrap();
    (p, need)
}

pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(days))
        .date_naive()
        .to_string()
}

/// The challenge ent-a posts from its need.
pub fn posting(need: i64, end_user: i64) -> Value {
    json!({
        "title": "高比能电芯正极材料",
        "summary": "面向 300 Wh/kg 电芯的正极材料与工艺，要求在本地产线验证。",
        "demand_id": need,
        "end_user_org_id": end_user,
        "budget_fen": 500_000_000i64,
        "matching_fen": 200_000_000i64,
        "deadline": in_days(10),
        "winners_max": 2,
        "detail": {
            "targets": [{"name": "能量密度", "unit": "Wh/kg", "threshold": 300.0, "method": "GB/T 31484 第三方检测"}],
            "market_targets": {"adopters": 3, "revenue_fen": 100_000_000i64},
            "ip_terms": "背景知识产权归各方，项目新产生知识产权由揭榜方与发榜方共有。"
        }
    })
}

pub struct Tokens {
    pub t: std::collections::HashMap<String, String>,
}

impl Tokens {
    pub async fn all(p: &Platform) -> Tokens {
        let mut t = std::collections::HashMap::new();
        for u in [
            "ent-a", "ent-b", "ent-c", "ent-d", "inst", "inst2", "op", "gov", "rev1", "rev2",
            "rev3", "rev4", "rev5",
        ] {
            if p.state.store.user_by_name(u).await.unwrap().is_some() {
                t.insert(u.to_string(), p.login(u).await);
            }
        }
        Tokens { t }
    }
    pub fn of(&self, u: &str) -> &str {
        &self.t[u]
    }
}

pub async fn post(
    p: &Platform,
    tk: &Tokens,
    who: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    p.call("POST", path, Some(tk.of(who)), Some(body)).await
}

pub async fn get(p: &Platform, tk: &Tokens, who: &str, id: i64) -> Value {
    let (s, v) = p
        .call(
            "GET",
            &format!("/api/v1/challenges/{id}"),
            Some(tk.of(who)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{who}: {v}");
    v
}

pub async fn go(
    p: &Platform,
    tk: &Tokens,
    who: &str,
    id: i64,
    mut body: Value,
) -> (StatusCode, Value) {
    let (_, v) = p
        .call(
            "GET",
            &format!("/api/v1/challenges/{id}"),
            Some(tk.of("op")),
            None,
        )
        .await;
    body["version"] = v["version"].clone();
    post(
        p,
        tk,
        who,
        &format!("/api/v1/challenges/{id}/transitions"),
        body,
    )
    .await
}

pub fn day(p: &Platform, days: i64) {
    p.state.store.set_clock_offset(days * 86_400);
}

fn sheet(x: u32) -> Value {
    json!({"scores": {"technical_route": x, "target_fit": x, "team": x, "budget_plan": x, "pledge": x}, "comment": format!("评语{x}")})
}

#[tokio::test]
async fn the_whole_loop_with_three_organizations() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        let tk = Tokens::all(&p).await;
        let name = p.backend;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        // 企业出题: ent-a posts from its need; a draft nobody else sees.
        let (s, v) = post(
            &p,
            &tk,
            "ent-a",
            "/api/v1/challenges",
            posting(need, end_user),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["stage"], "draft");
        assert_eq!(v["track"], "enterprise");
        for who in ["ent-b", "inst", "gov"] {
            let (s, _) = p
                .call(
                    "GET",
                    &format!("/api/v1/challenges/{id}"),
                    Some(tk.of(who)),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{name}: {who} sees a draft");
        }
        let (s, _) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A poster may not publish; refining, then the operator publishes.
        let (s, v) = go(&p, &tk, "ent-a", id, json!({"to": "refining"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = go(&p, &tk, "ent-a", id, json!({"to": "published"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = go(&p, &tk, "op", id, json!({"to": "published"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            v["demand_id"].is_null(),
            "the need's id stays with its poster"
        );
        let (_, list) = p.call("GET", "/api/v1/challenges", None, None).await;
        assert_eq!(list["challenges"][0]["id"], id);

        // 揭榜: the university alone, submitted at once.
        let (s, v) = post(&p, &tk, "inst", &format!("/api/v1/challenges/{id}/applications"), json!({
            "plan": PLAN_U, "pledge": "18 个月内样品能量密度达到 300 Wh/kg",
            "team": [{"name": "王芳", "role": "负责人"}], "budget": [{"item": "材料", "amount_fen": 100_000_000i64}], "submit": true
        })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let app_u = v["applications"][0]["id"].as_i64().unwrap();
        assert_eq!(v["applications"][0]["status"], "submitted");
        assert_eq!(
            v["applications"][0]["content_hash"].as_str().unwrap().len(),
            64
        );
        // A consortium: ent-b leads with 丁研究院, which must confirm before submission.
        let inst2 = p.org_id("重庆丁研究院").await;
        let (s, v) = post(&p, &tk, "ent-b", &format!("/api/v1/challenges/{id}/applications"), json!({
            "plan": PLAN_B, "pledge": "12 个月完成中试", "team": [{"name": "周工", "role": "负责人"}], "members": [inst2]
        })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let app_b = v["applications"][0]["id"].as_i64().unwrap();
        let body = json!({"plan": PLAN_B, "pledge": "12 个月完成中试", "team": [{"name": "周工", "role": "负责人"}], "members": [inst2], "submit": true, "version": 1});
        let (s, v) = p
            .call(
                "PUT",
                &format!("/api/v1/applications/{app_b}"),
                Some(tk.of("ent-b")),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "unconfirmed member: {v}");
        let (s, v) = post(
            &p,
            &tk,
            "inst2",
            &format!("/api/v1/applications/{app_b}/confirm"),
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["applications"][0]["content"]["plan"], PLAN_B,
            "a member reads its consortium's plan"
        );
        let (s, v) = p
            .call(
                "PUT",
                &format!("/api/v1/applications/{app_b}"),
                Some(tk.of("ent-b")),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Competitors never see each other's plans.
        for (who, other) in [
            ("inst", PLAN_B),
            ("ent-b", PLAN_U),
            ("ent-d", PLAN_B),
            ("ent-a", PLAN_U),
        ] {
            let v = get(&p, &tk, who, id).await.to_string();
            assert!(!v.contains(other), "{name}: {who} reads another's plan");
        }

        // Reviewers: the university's own expert is refused with the reason.
        let (_, experts) = p.call("GET", "/api/v1/experts?limit=50", None, None).await;
        let expert = |n: &str| {
            experts["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["record"]["name"] == n)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (s, v) = post(
            &p,
            &tk,
            "op",
            &format!("/api/v1/challenges/{id}/reviewers"),
            json!({"expert_id": expert("李示例")}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("same organization"),
            "{v}"
        );
        let (s, _) = post(
            &p,
            &tk,
            "ent-a",
            &format!("/api/v1/challenges/{id}/reviewers"),
            json!({"expert_id": expert("赵评审")}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for n in ["赵评审", "钱评审", "孙评审"] {
            let (s, v) = post(
                &p,
                &tk,
                "op",
                &format!("/api/v1/challenges/{id}/reviewers"),
                json!({"expert_id": expert(n)}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{n}: {v}");
        }
        // The deadline has not passed: applications stay open.
        let (s, _) = go(&p, &tk, "op", id, json!({"to": "applications_closed"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        day(&p, 11);
        let (s, _) = p
            .call(
                "PUT",
                &format!("/api/v1/applications/{app_u}"),
                Some(tk.of("inst")),
                Some(json!({"plan": "x", "pledge": "y", "version": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "frozen after the deadline");
        for to in ["applications_closed", "under_review"] {
            let (s, v) = go(&p, &tk, "op", id, json!({"to": to})).await;
            assert_eq!(s, StatusCode::OK, "{to}: {v}");
        }
        // Scores: the university's team scores lower than the consortium.
        let (s, _) = go(&p, &tk, "op", id, json!({"to": "notice"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "scores missing");
        for (r, u, b) in [("rev1", 7, 9), ("rev2", 6, 8), ("rev3", 8, 9)] {
            let (s, v) = post(
                &p,
                &tk,
                r,
                &format!("/api/v1/applications/{app_u}/scores"),
                sheet(u),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, v) = post(
                &p,
                &tk,
                r,
                &format!("/api/v1/applications/{app_b}/scores"),
                sheet(b),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, _) = post(
            &p,
            &tk,
            "inst",
            &format!("/api/v1/applications/{app_b}/scores"),
            sheet(1),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "an applicant scores nothing");
        let (s, v) = go(&p, &tk, "op", id, json!({"to": "notice"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["winners"].as_array().unwrap().len(),
            2,
            "horse race: two winners"
        );
        assert_eq!(v["standings"][0]["application_id"], app_b);
        // Feedback without reviewers' names.
        let v = get(&p, &tk, "inst", id).await;
        assert_eq!(v["feedback"][0]["total"].as_f64().unwrap(), 70.0);
        assert_eq!(v["feedback"][0]["place"], 2);
        let text = v.to_string();
        for secret in ["赵评审", "钱评审", "孙评审", "reviewer_user"] {
            assert!(
                !text.contains(secret),
                "{name}: an applicant learns {secret}"
            );
        }
        assert!(v["reviewers"].as_array().unwrap().is_empty());
        // The public notice lists the winners; an objection blocks the contract until resolved.
        let (_, pubv) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert_eq!(pubv["winners"].as_array().unwrap().len(), 2);
        assert!(
            pubv["winners"][0]["content"].is_null(),
            "the public reads names, not plans"
        );
        let (s, v) = post(
            &p,
            &tk,
            "ent-d",
            &format!("/api/v1/challenges/{id}/objections"),
            json!({"application_id": app_u, "body": "对团队业绩有异议"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let obj = v["objections"][0]["id"].as_i64().unwrap();
        for (app, n) in [(app_u, "样品"), (app_b, "中试")] {
            let (s, v) = post(&p, &tk, "op", &format!("/api/v1/challenges/{id}/milestones"), json!({"application_id": app, "milestones": [
                {"title": format!("{n}验证"), "due_on": in_days(120), "metric": "能量密度 ≥ 280 Wh/kg", "tranche_fen": 100_000_000i64},
                {"title": "终验", "due_on": in_days(300), "metric": "能量密度 ≥ 300 Wh/kg", "tranche_fen": 150_000_000i64}
            ]})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        day(&p, 11 + 8);
        let (s, v) = go(&p, &tk, "op", id, json!({"to": "contracted"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "an open objection: {v}");
        let (s, v) = post(
            &p,
            &tk,
            "op",
            &format!("/api/v1/challenges/{id}/objections/{obj}/resolution"),
            json!({"status": "dismissed", "resolution": "经核实业绩属实"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = go(&p, &tk, "op", id, json!({"to": "contracted"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = go(&p, &tk, "ent-a", id, json!({"to": "in_progress"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Milestone 1: the university's team fails and stops; the consortium passes.
        let v = get(&p, &tk, "ent-c", id).await;
        let ms = |app: i64, seq: i64| {
            v["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["application_id"] == app && m["seq"] == seq)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (mu, mb1, mb2) = (ms(app_u, 1), ms(app_b, 1), ms(app_b, 2));
        let (s, _) = post(
            &p,
            &tk,
            "ent-b",
            &format!("/api/v1/challenges/{id}/milestones/{mu}/report"),
            json!({"report": "x"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "another team's milestone is not theirs to know"
        );
        let (s, _) = post(
            &p,
            &tk,
            "inst",
            &format!("/api/v1/challenges/{id}/milestones/{mu}/report"),
            json!({"report": "样品 255 Wh/kg"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = post(
            &p,
            &tk,
            "ent-a",
            &format!("/api/v1/challenges/{id}/milestones/{mu}/decision"),
            json!({"accept": false, "stop": true}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the end user decides");
        let (s, v) = post(
            &p,
            &tk,
            "ent-c",
            &format!("/api/v1/challenges/{id}/milestones/{mu}/decision"),
            json!({"accept": false, "stop": true, "note": "未达 280"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let u_app = v["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == app_u)
            .unwrap();
        assert_eq!(u_app["result"], "stopped");
        for m in [mb1, mb2] {
            let (s, v) = post(
                &p,
                &tk,
                "ent-b",
                &format!("/api/v1/challenges/{id}/milestones/{m}/report"),
                json!({"report": "达标"}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, v) = post(
                &p,
                &tk,
                "ent-c",
                &format!("/api/v1/challenges/{id}/milestones/{m}/decision"),
                json!({"accept": true}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // Evidence: the consortium's report, read by the end user, never by a competitor.
        let (s, _, bytes) = p
            .raw_with(
                "POST",
                &format!("/api/v1/challenges/{id}/evidence?milestone_id={mb1}&name=test.pdf"),
                &[("authorization", &format!("Bearer {}", tk.of("ent-b")))],
                Some("%PDF-1.4 检测报告".into()),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let ev = v["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == mb1)
            .unwrap()["evidence"][0]["id"]
            .as_i64()
            .unwrap();
        let (s, h, body) = p
            .raw(
                "GET",
                &format!("/api/v1/evidence/{ev}"),
                Some(tk.of("ent-c")),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["content-type"], "application/pdf");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        assert!(body.starts_with(b"%PDF"));
        for who in [Some("inst"), Some("ent-d"), Some("rev1"), None] {
            let (s, _, _) = p
                .raw(
                    "GET",
                    &format!("/api/v1/evidence/{ev}"),
                    who.map(|w| tk.of(w)),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who:?} reads evidence");
        }
        // Acceptance checks the target metrics.
        let (s, v) = go(&p, &tk, "ent-c", id, json!({"to": "accepted", "acceptance": {"measurements": [{"name": "能量密度", "value": 290.0}]}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("300"),
            "{v}"
        );
        let (s, v) = go(&p, &tk, "ent-c", id, json!({"to": "accepted", "acceptance": {"measurements": [{"name": "能量密度", "value": 305.0}]}})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // 市场阅卷: recorded at 12 months, graded, closed; the public page shows the grade and inputs.
        let (s, _) = go(&p, &tk, "op", id, json!({"to": "market_graded"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "no market record yet");
        let (s, v) = post(
            &p,
            &tk,
            "ent-c",
            &format!("/api/v1/challenges/{id}/market"),
            json!({"months": 12, "figures": {"adopters": 3, "revenue_fen": 50_000_000i64}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Market evidence: its name and contents stay with the end user, the poster and operators.
        let (s, _, _) = p
            .raw_with(
                "POST",
                &format!("/api/v1/challenges/{id}/evidence?market_months=12&name=销售台账.csv"),
                &[("authorization", &format!("Bearer {}", tk.of("ent-c")))],
                Some("月份,销售额\n1,500000\n".into()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let mine = get(&p, &tk, "op", id).await;
        let ev = mine["market"][0]["evidence"][0]["id"]
            .as_i64()
            .expect("the operator sees the market evidence");
        let (s, h, _) = p
            .raw(
                "GET",
                &format!("/api/v1/evidence/{ev}"),
                Some(tk.of("ent-a")),
                None,
            )
            .await;
        assert_eq!(
            (s, h["content-type"].to_str().unwrap()),
            (StatusCode::OK, "text/csv")
        );
        for who in [Some("inst"), Some("ent-b"), None] {
            let (s, _, _) = p
                .raw(
                    "GET",
                    &format!("/api/v1/evidence/{ev}"),
                    who.map(|w| tk.of(w)),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who:?}");
        }
        let (_, pubv) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert!(
            pubv["market"][0]["evidence"].as_array().unwrap().is_empty(),
            "no file names in public"
        );
        for to in ["market_graded", "closed"] {
            let (s, v) = go(&p, &tk, "op", id, json!({"to": to})).await;
            assert_eq!(s, StatusCode::OK, "{to}: {v}");
        }
        let (_, pubv) = p
            .call("GET", &format!("/api/v1/challenges/{id}"), None, None)
            .await;
        assert_eq!(pubv["stage"], "closed");
        // adopters 3/3 (weight 30) and revenue 0.5 (weight 35), shares over 65: (30 + 17.5) / 65.
        assert_eq!(
            pubv["grade"]["score"].as_f64().unwrap(),
            73.1,
            "{}",
            pubv["grade"]
        );
        assert_eq!(pubv["grade"]["letter"], "B");
        assert_eq!(pubv["grade"]["parts"].as_array().unwrap().len(), 2);
        assert!(
            pubv["milestones"].as_array().unwrap().is_empty(),
            "the public reads no milestones"
        );
        assert!(pubv.to_string().find(PLAN_B).is_none());
        // Every step is on the audit chain, and it holds.
        let check = p.state.store.verify_audit().await.unwrap();
        assert_eq!(check.broken, None, "{name}");
        assert!(check.rows > 30, "{}", check.rows);
        p.close().await;
    }
}
