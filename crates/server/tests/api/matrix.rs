//! Every stage × every role × every target stage, over the API: the move succeeds exactly where the
//! workflow allows it (200); a move the stage does not allow is a conflict (409); a move the stage
//! allows but not by this side is forbidden (403); someone who is no party finds nothing (404). The
//! expectations are written out by hand from the rules, so a change to the definition or to
//! how the engine maps people to parties shows here.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::engagements::{deal_platform, Ids};
use crate::support::{backends, Platform};

const STAGES: [&str; 9] = [
    "interest",
    "introduced",
    "nda_signed",
    "evaluation",
    "negotiation",
    "contracted",
    "follow_up",
    "closed_lost",
    "withdrawn",
];

/// The actors: the seeker (ent-a, the other side: the university opens), the provider (inst, the
/// opener), the assigned broker, an operator, and two outsiders.
const ACTORS: [&str; 6] = ["ent-a", "inst", "broker1", "op", "ent-b", "gov"];

/// What the rules say `actor` gets moving an engagement from `stage` to `to`.
fn expected(stage: &str, actor: &str, to: &str) -> StatusCode {
    if matches!(actor, "ent-b" | "gov") {
        return StatusCode::NOT_FOUND;
    }
    let open = matches!(
        stage,
        "interest" | "introduced" | "nda_signed" | "evaluation" | "negotiation"
    );
    // The moves the stage allows at all, and who makes each.
    let by: &[&str] = match (stage, to) {
        ("interest", "introduced") => &["ent-a"],
        ("introduced", "nda_signed") => &["inst"],
        ("introduced" | "nda_signed", "evaluation")
        | ("introduced" | "nda_signed" | "evaluation", "negotiation")
        | ("negotiation", "contracted")
        | ("contracted" | "follow_up", "follow_up") => &["ent-a", "inst", "broker1"],
        (_, "closed_lost") if open => &["ent-a", "inst", "broker1", "op"],
        (_, "withdrawn") if open => &["inst"],
        _ => return StatusCode::CONFLICT,
    };
    if !by.contains(&actor) {
        return StatusCode::FORBIDDEN;
    }
    // Moving to nda_signed needs the signature itself (POST …/nda), which a transition cannot carry.
    if to == "nda_signed" {
        return StatusCode::BAD_REQUEST;
    }
    StatusCode::OK
}

/// Everything any move may need, so only the rules decide.
fn body(to: &str, version: i64) -> Value {
    json!({
        "to": to, "version": version, "reason_code": "timing",
        "evaluation": {"kind": "sample_test"},
        "contract": {"contract_type": "service", "amount_fen": 100, "ip_ownership": "buyer", "signed_on": "2026-11-01"},
        "report": {"kind": "delivered"},
    })
}

struct Bench {
    p: Platform,
    ids: Ids,
    tokens: Vec<(String, String)>,
    broker: i64,
    opened: i64,
}

impl Bench {
    fn token(&self, who: &str) -> &str {
        &self.tokens.iter().find(|(n, _)| n == who).unwrap().1
    }

    async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.p
            .call("POST", path, Some(self.token(who)), Some(body))
            .await
    }

    /// A fresh engagement (a new outcome each time, so no pair repeats) walked to `stage`, with the
    /// broker assigned; its id and version.
    async fn at(&mut self, stage: &str) -> (i64, i64) {
        self.opened += 1;
        // Stay under the daily opening cap: each batch of 40 is stamped two days later.
        self.p
            .state
            .store
            .set_clock_offset((self.opened / 40) * 2 * 86_400);
        let outcome = self.outcome(self.opened).await;
        let (s, v) = self
            .post(
                "inst",
                "/api/v1/engagements",
                json!({"demand_id": self.ids.public, "item": {"kind": "outcome", "id": outcome}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = self
            .post(
                "ent-a",
                &format!("/api/v1/engagements/{id}/broker"),
                json!({"broker_user_id": self.broker, "version": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut version = v["version"].as_i64().unwrap();
        let path: &[(&str, &str)] = match stage {
            "interest" => &[],
            "introduced" => &[("ent-a", "introduced")],
            "nda_signed" => &[("ent-a", "introduced"), ("inst", "nda")],
            "evaluation" => &[("ent-a", "introduced"), ("inst", "evaluation")],
            "negotiation" => &[("ent-a", "introduced"), ("inst", "negotiation")],
            "contracted" => &[
                ("ent-a", "introduced"),
                ("inst", "negotiation"),
                ("ent-a", "contracted"),
            ],
            "follow_up" => &[
                ("ent-a", "introduced"),
                ("inst", "negotiation"),
                ("ent-a", "contracted"),
                ("ent-a", "follow_up"),
            ],
            "closed_lost" => &[("ent-a", "closed_lost")],
            _ => &[("inst", "withdrawn")],
        };
        for (who, to) in path {
            // An organization signs a need's NDA once; a later engagement on the same need moves
            // to nda_signed on that signature.
            let signed = {
                let (_, v) = self
                    .p
                    .call(
                        "GET",
                        &format!("/api/v1/engagements/{id}"),
                        Some(self.token(who)),
                        None,
                    )
                    .await;
                v["nda"]["signed"] == true
            };
            let (s, v) = if *to == "nda" && !signed {
                self.post(
                    who,
                    &format!("/api/v1/engagements/{id}/nda"),
                    json!({"version": version}),
                )
                .await
            } else if *to == "nda" {
                self.post(
                    who,
                    &format!("/api/v1/engagements/{id}/transitions"),
                    body("nda_signed", version),
                )
                .await
            } else {
                self.post(
                    who,
                    &format!("/api/v1/engagements/{id}/transitions"),
                    body(to, version),
                )
                .await
            };
            assert_eq!(s, StatusCode::OK, "walking to {stage}: {to}: {v}");
            version = v["version"].as_i64().unwrap();
        }
        (id, version)
    }

    /// The id of the n-th outcome of the university (made on demand).
    async fn outcome(&self, n: i64) -> i64 {
        let mut o = model::Outcome::new(model::OutcomeKind::Patent, format!("矩阵测试成果 {n}"));
        o.owners = vec!["重庆示例大学".into()];
        o.lang = model::Lang::zh();
        let done = self
            .p
            .state
            .store
            .write_batch(&[model::Record::Outcome(o)], "test")
            .await
            .unwrap();
        done[0].id()
    }
}

#[tokio::test]
async fn every_stage_role_and_target_is_answered_as_the_rules_say() {
    for (store, dir, pg) in backends().await {
        let (p, ids) = deal_platform(store, dir, pg).await;
        let mut tokens = vec![];
        for who in ACTORS {
            tokens.push((who.to_string(), p.login(who).await));
        }
        let broker = p
            .state
            .store
            .user_by_name("broker1")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut b = Bench {
            p,
            ids,
            tokens,
            broker,
            opened: 0,
        };
        let mut checked = 0;
        for stage in STAGES {
            // Refusals change nothing: one engagement at the stage answers all of them.
            let (shared, version) = b.at(stage).await;
            for actor in ACTORS {
                for to in STAGES {
                    let want = expected(stage, actor, to);
                    let id = if want == StatusCode::OK {
                        b.at(stage).await
                    } else {
                        (shared, version)
                    };
                    let (s, v) = b
                        .post(
                            actor,
                            &format!("/api/v1/engagements/{}/transitions", id.0),
                            body(to, id.1),
                        )
                        .await;
                    assert_eq!(s, want, "{}: {stage} → {to} by {actor}: {v}", b.p.backend);
                    checked += 1;
                }
            }
            // The shared engagement did not move.
            let (_, v) =
                b.p.call(
                    "GET",
                    &format!("/api/v1/engagements/{shared}"),
                    Some(b.token("op")),
                    None,
                )
                .await;
            assert_eq!(
                (v["stage"].as_str().unwrap(), v["version"].as_i64().unwrap()),
                (stage, version)
            );
        }
        assert_eq!(checked, 9 * 6 * 9);
        b.p.state.store.set_clock_offset(0);
        b.p.close().await;
    }
}
