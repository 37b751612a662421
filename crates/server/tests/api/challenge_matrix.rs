//! Every challenge stage × every role × every move and action, over the API. The expectations are
//! written out by hand from the rules (who posts, who refines and publishes, who reviews, who
//! accepts), so a change to the definition, to the guards or to how the board maps people to parties
//! shows here. Refusals change nothing, so one challenge per stage answers them all; each success is
//! tried on a fresh challenge walked to that stage with everything its next move needs.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::challenges::{challenge_platform, day, in_days, post, posting, Tokens};
use crate::support::{backends, Platform};

const STAGES: [&str; 12] = [
    "draft",
    "refining",
    "published",
    "applications_closed",
    "under_review",
    "notice",
    "contracted",
    "in_progress",
    "accepted",
    "terminated",
    "market_graded",
    "closed",
];

/// ent-a posts, ent-c is the end user, op operates, inst applied, rev1 reviews, ent-d and gov are
/// outsiders, "" is signed out.
const ACTORS: [&str; 8] = ["ent-a", "ent-c", "op", "inst", "rev1", "ent-d", "gov", ""];

fn sees(stage: &str, actor: &str) -> bool {
    !matches!(stage, "draft" | "refining") || matches!(actor, "ent-a" | "ent-c" | "op")
}

/// What the rules say a move from `stage` to `to` by `actor` gets.
fn expected_move(stage: &str, actor: &str, to: &str) -> StatusCode {
    if actor.is_empty() {
        return StatusCode::UNAUTHORIZED;
    }
    if !sees(stage, actor) {
        return StatusCode::NOT_FOUND;
    }
    let by: &[&str] = match (stage, to) {
        ("draft", "refining") | ("contracted", "in_progress") => &["ent-a", "op"],
        ("refining", "draft" | "published")
        | ("published", "applications_closed")
        | ("applications_closed", "under_review")
        | ("under_review", "notice")
        | ("notice", "under_review" | "contracted")
        | ("accepted", "market_graded")
        | ("market_graded" | "terminated", "closed") => &["op"],
        ("in_progress", "accepted") => &["ent-c"],
        (
            "published" | "applications_closed" | "under_review" | "contracted" | "in_progress",
            "terminated",
        ) => &["ent-c", "op"],
        _ => return StatusCode::CONFLICT,
    };
    if !by.contains(&actor) {
        return StatusCode::FORBIDDEN;
    }
    // The walk to `published` leaves the deadline ahead: closing applications must wait.
    if (stage, to) == ("published", "applications_closed") {
        return StatusCode::BAD_REQUEST;
    }
    StatusCode::OK
}

/// The actions besides moves, and what each actor gets at each stage.
const ACTIONS: [&str; 6] = ["apply", "score", "assign", "object", "milestones", "market"];

fn expected_action(stage: &str, actor: &str, action: &str) -> StatusCode {
    use StatusCode as S;
    if actor.is_empty() {
        return S::UNAUTHORIZED;
    }
    if !sees(stage, actor) {
        return S::NOT_FOUND;
    }
    let reviewing = stage == "under_review";
    let with_reviewers = !matches!(stage, "draft" | "refining");
    let winners = matches!(
        stage,
        "notice" | "contracted" | "in_progress" | "accepted" | "market_graded" | "closed"
    );
    match action {
        "apply" => match actor {
            "ent-d" if stage == "published" => S::CREATED,
            "ent-d" | "inst" => S::CONFLICT,
            _ => S::FORBIDDEN,
        },
        "score" => match actor {
            "rev1" if reviewing => S::OK,
            "rev1" if with_reviewers => S::CONFLICT,
            _ => S::NOT_FOUND,
        },
        "assign" => match actor {
            "op" if matches!(stage, "published" | "applications_closed" | "under_review") => S::OK,
            "op" => S::CONFLICT,
            _ => S::FORBIDDEN,
        },
        "object" => {
            if stage == "notice" {
                S::CREATED
            } else {
                S::CONFLICT
            }
        }
        "milestones" => match actor {
            "ent-a" | "op" if !winners => S::BAD_REQUEST,
            "ent-a" | "op" if matches!(stage, "notice" | "contracted") => S::OK,
            "ent-a" | "op" => S::CONFLICT,
            _ => S::FORBIDDEN,
        },
        "market" => match actor {
            "ent-c" | "op" if matches!(stage, "accepted" | "market_graded") => S::OK,
            "ent-c" | "op" => S::CONFLICT,
            _ => S::FORBIDDEN,
        },
        _ => unreachable!(),
    }
}

struct Bench {
    p: Platform,
    tk: Tokens,
    need: i64,
    end_user: i64,
    experts: Vec<(String, i64)>,
}

impl Bench {
    fn expert(&self, name: &str) -> i64 {
        self.experts.iter().find(|e| e.0 == name).unwrap().1
    }

    async fn call(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = (!who.is_empty()).then(|| self.tk.of(who).to_string());
        self.p.call(method, path, token.as_deref(), body).await
    }

    async fn ok(&self, who: &str, path: &str, body: Value) -> Value {
        let (s, v) = post(&self.p, &self.tk, who, path, body).await;
        assert!(s.is_success(), "{path} by {who}: {s} {v}");
        v
    }

    async fn step(&self, who: &str, id: i64, to: &str, extra: Value) -> Value {
        let (_, v) = self
            .call("op", "GET", &format!("/api/v1/challenges/{id}"), None)
            .await;
        let mut body = json!({"to": to, "version": v["version"], "note": "理由"});
        if let Value::Object(m) = extra {
            for (k, x) in m {
                body[k] = x;
            }
        }
        self.ok(who, &format!("/api/v1/challenges/{id}/transitions"), body)
            .await
    }

    /// A fresh challenge at `stage`, ready for its next move; (id, version, inst's application).
    async fn at(&self, stage: &str) -> (i64, i64, i64) {
        day(&self.p, 0);
        let v = self
            .ok(
                "ent-a",
                "/api/v1/challenges",
                posting(self.need, self.end_user),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        let mut app = -1;
        let order = [
            "refining",
            "published",
            "applications_closed",
            "under_review",
            "notice",
            "contracted",
            "in_progress",
            "accepted",
            "market_graded",
            "closed",
        ];
        let path: Vec<&str> = if stage == "terminated" {
            vec!["refining", "published", "terminated"]
        } else {
            match order.iter().position(|s| *s == stage) {
                Some(i) => order[..=i].to_vec(),
                None => vec![],
            }
        };
        for to in path {
            match to {
                "refining" => {
                    self.step("ent-a", id, to, json!({})).await;
                }
                "published" => {
                    self.step("op", id, to, json!({})).await;
                    for who in ["inst", "ent-b"] {
                        let v = self
                            .ok(
                                who,
                                &format!("/api/v1/challenges/{id}/applications"),
                                json!({"plan": "方案", "pledge": "承诺", "submit": true}),
                            )
                            .await;
                        if who == "inst" {
                            app = v["applications"][0]["id"].as_i64().unwrap();
                        }
                    }
                    for n in ["赵评审", "钱评审", "孙评审"] {
                        self.ok(
                            "op",
                            &format!("/api/v1/challenges/{id}/reviewers"),
                            json!({"expert_id": self.expert(n)}),
                        )
                        .await;
                    }
                }
                "applications_closed" => {
                    day(&self.p, 11);
                    self.step("op", id, to, json!({})).await;
                }
                "under_review" => {
                    self.step("op", id, to, json!({})).await;
                    let (_, v) = self
                        .call("rev1", "GET", &format!("/api/v1/challenges/{id}"), None)
                        .await;
                    for a in v["applications"].as_array().unwrap() {
                        let aid = a["id"].as_i64().unwrap();
                        for (r, x) in [("rev1", 8), ("rev2", 7), ("rev3", 9)] {
                            let x = if aid == app { x } else { x - 1 };
                            self.ok(r, &format!("/api/v1/applications/{aid}/scores"),
                                json!({"scores": {"technical_route": x, "target_fit": x, "team": x, "budget_plan": x, "pledge": x}})).await;
                        }
                    }
                }
                "notice" => {
                    let v = self.step("op", id, to, json!({})).await;
                    for w in v["winners"].as_array().unwrap() {
                        self.ok("op", &format!("/api/v1/challenges/{id}/milestones"), json!({"application_id": w["id"], "milestones": [
                            {"title": "终验", "due_on": in_days(200), "metric": "≥ 300 Wh/kg", "tranche_fen": 1000}]})).await;
                    }
                    day(&self.p, 19);
                }
                "contracted" => {
                    self.step("op", id, to, json!({})).await;
                }
                "in_progress" => {
                    let v = self.step("ent-a", id, to, json!({})).await;
                    let (_, full) = self
                        .call("op", "GET", &format!("/api/v1/challenges/{id}"), None)
                        .await;
                    let _ = v;
                    for m in full["milestones"].as_array().unwrap() {
                        let a = m["application_id"].as_i64().unwrap();
                        let lead = if a == app { "inst" } else { "ent-b" };
                        let mid = m["id"].as_i64().unwrap();
                        self.ok(
                            lead,
                            &format!("/api/v1/challenges/{id}/milestones/{mid}/report"),
                            json!({"report": "达标"}),
                        )
                        .await;
                        self.ok(
                            "ent-c",
                            &format!("/api/v1/challenges/{id}/milestones/{mid}/decision"),
                            json!({"accept": true}),
                        )
                        .await;
                    }
                }
                "accepted" => {
                    self.step("ent-c", id, to, json!({"acceptance": {"measurements": [{"name": "能量密度", "value": 301.0}]}})).await;
                    self.ok(
                        "op",
                        &format!("/api/v1/challenges/{id}/market"),
                        json!({"months": 6, "figures": {"adopters": 1}}),
                    )
                    .await;
                }
                "market_graded" | "closed" | "terminated" => {
                    self.step("op", id, to, json!({})).await;
                }
                other => unreachable!("{other}"),
            }
        }
        let (_, v) = self
            .call("op", "GET", &format!("/api/v1/challenges/{id}"), None)
            .await;
        assert_eq!(v["stage"], stage, "walked to {stage}");
        (id, v["version"].as_i64().unwrap(), app)
    }

    async fn act(&self, who: &str, action: &str, id: i64, app: i64) -> (StatusCode, Value) {
        let app = if app < 0 { 999_999 } else { app };
        match action {
            "apply" => self.call(who, "POST", &format!("/api/v1/challenges/{id}/applications"), Some(json!({"plan": "另一方案", "pledge": "p"}))).await,
            "score" => self.call(who, "POST", &format!("/api/v1/applications/{app}/scores"),
                Some(json!({"scores": {"technical_route": 5, "target_fit": 5, "team": 5, "budget_plan": 5, "pledge": 5}}))).await,
            "assign" => self.call(who, "POST", &format!("/api/v1/challenges/{id}/reviewers"), Some(json!({"expert_id": self.expert("周评审")}))).await,
            "object" => self.call(who, "POST", &format!("/api/v1/challenges/{id}/objections"), Some(json!({"body": "异议"}))).await,
            "milestones" => self.call(who, "POST", &format!("/api/v1/challenges/{id}/milestones"), Some(json!({"application_id": app, "milestones": [
                {"title": "调整", "due_on": in_days(250), "metric": "m", "tranche_fen": 0}]}))).await,
            "market" => self.call(who, "POST", &format!("/api/v1/challenges/{id}/market"), Some(json!({"months": 12, "figures": {"adopters": 2}}))).await,
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn every_stage_role_move_and_action_is_answered_as_the_rules_say() {
    for (store, dir, pg) in backends().await {
        let (p, need) = challenge_platform(store, dir, pg).await;
        // A fifth expert nobody is conflicted with, for the assignment action.
        let mut e = model::Person::new(model::PersonKind::Expert, "周评审");
        e.affiliation = Some("南方评审处".into());
        p.state
            .store
            .write_batch(&[model::Record::Person(e)], "test")
            .await
            .unwrap();
        let (_, experts) = p.call("GET", "/api/v1/experts?limit=50", None, None).await;
        let experts: Vec<(String, i64)> = experts["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["record"]["name"].as_str().unwrap().to_string(),
                    e["id"].as_i64().unwrap(),
                )
            })
            .collect();
        p.user("rev5", "institution", None).await;
        let rev5 = p
            .state
            .store
            .user_by_name("rev5")
            .await
            .unwrap()
            .unwrap()
            .id;
        let zhou = experts.iter().find(|e| e.0 == "周评审").unwrap().1;
        p.state
            .store
            .set_user_expert(rev5, Some(zhou))
            .await
            .unwrap();
        let tk = Tokens::all(&p).await;
        let end_user = p.org_id("重庆丙制造有限公司").await;
        let b = Bench {
            p,
            tk,
            need,
            end_user,
            experts,
        };
        let mut checked = 0;
        for stage in STAGES {
            let (shared, version, _) = b.at(stage).await;
            for actor in ACTORS {
                for to in STAGES {
                    let want = expected_move(stage, actor, to);
                    let id = if want == StatusCode::OK {
                        b.at(stage).await.0
                    } else {
                        shared
                    };
                    let (_, cur) = b
                        .call("op", "GET", &format!("/api/v1/challenges/{id}"), None)
                        .await;
                    let body = json!({"to": to, "version": cur["version"], "note": "理由",
                        "acceptance": {"measurements": [{"name": "能量密度", "value": 301.0}]}});
                    let (s, v) = b
                        .call(
                            actor,
                            "POST",
                            &format!("/api/v1/challenges/{id}/transitions"),
                            Some(body),
                        )
                        .await;
                    assert_eq!(s, want, "{}: {stage} → {to} by {actor:?}: {v}", b.p.backend);
                    if want == StatusCode::OK {
                        assert_eq!(v["stage"], to);
                    }
                    checked += 1;
                }
            }
            let (_, v) = b
                .call("op", "GET", &format!("/api/v1/challenges/{shared}"), None)
                .await;
            assert_eq!(
                (v["stage"].as_str().unwrap(), v["version"].as_i64().unwrap()),
                (stage, version),
                "refusals changed nothing"
            );
            // The actions, on a challenge of their own at this stage.
            let (id, _, app) = b.at(stage).await;
            for action in ACTIONS {
                for actor in ACTORS {
                    let want = expected_action(stage, actor, action);
                    let (s, v) = b.act(actor, action, id, app).await;
                    assert_eq!(
                        s, want,
                        "{}: {action} at {stage} by {actor:?}: {v}",
                        b.p.backend
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 12 * 8 * 12 + 12 * 6 * 8);
        let check = b.p.state.store.verify_audit().await.unwrap();
        assert_eq!(check.broken, None);
        b.p.close().await;
    }
}
