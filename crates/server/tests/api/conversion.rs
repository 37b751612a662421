//! The conversion chain over the API, on both back-ends: the PoC seed list and who may read it,
//! selection and an application to a PoC centre with the centre's answer; patent filings (who reads
//! an unpublished application, the fast-track guard, dates, grant times); and an outcome's path,
//! whose financing step and bottleneck depend on the credit the reader may see.

use axum::http::StatusCode;
use model::{OrgKind, Organization, Outcome, OutcomeKind, Record, Region};
use serde_json::{json, Value};

use crate::support::{backends, demand, enterprise, uscc, Platform};

const H: i64 = 3600;

async fn conversion_platform(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> (Platform, i64, i64, i64) {
    let mut uni = Organization::new(OrgKind::University, "重庆甲大学");
    uni.region = Region::lookup("沙坪坝区");
    let mut centre = Organization::new(OrgKind::PocCentre, "重庆甲概念验证中心");
    centre.region = Region::lookup("沙坪坝区");
    let mut pilot = Organization::new(OrgKind::PilotPlatform, "重庆甲电池中试平台");
    pilot.region = Region::lookup("长寿区");
    let mut o1 = Outcome::new(OutcomeKind::Patent, "动力电池热失控早期预警方法");
    o1.abstract_text = Some("动力电池包热失控早期预警，基于气体传感与电压温度融合。".into());
    o1.keywords = vec!["动力电池".into(), "热失控".into(), "预警".into()];
    o1.owners = vec!["重庆甲大学".into()];
    o1.trl = Some("4".parse().unwrap());
    o1.patent_no = Some("CN202410000001.1".parse().unwrap());
    o1.ipc = vec!["H01M 10/48".parse().unwrap()];
    o1.clusters = vec!["ICV-NEV".into()];
    let mut o2 = Outcome::new(OutcomeKind::Process, "电池包成熟量产工艺");
    o2.owners = vec!["重庆甲大学".into()];
    o2.trl = Some("8".parse().unwrap());
    let records = vec![
        Record::Organization(uni),
        Record::Organization(centre),
        Record::Organization(pilot),
        enterprise("重庆乙动力电池有限公司", &uscc(1)),
        enterprise("重庆丙科技有限公司", &uscc(2)),
        demand(
            "重庆乙动力电池有限公司",
            "动力电池热失控预警",
            "需要动力电池包热失控早期预警方案，预算 300 万元。",
            model::Confidentiality::Public,
        ),
        Record::Outcome(o1),
        Record::Outcome(o2),
    ];
    let p = Platform::new(store, dir, pg, &records).await;
    let org = |n: &'static str| p.org_id(n);
    let (u, c, pf, e, other) = (
        org("重庆甲大学").await,
        org("重庆甲概念验证中心").await,
        org("重庆甲电池中试平台").await,
        org("重庆乙动力电池有限公司").await,
        org("重庆丙科技有限公司").await,
    );
    for (name, role, o) in [
        ("uni", "institution", Some(u)),
        ("centre", "institution", Some(c)),
        ("ent", "enterprise", Some(e)),
        ("other", "enterprise", Some(other)),
        ("gov", "government", None),
        ("op", "platform_operator", None),
        ("bank", "financier", None),
    ] {
        p.user(name, role, o).await;
    }
    let s = &p.state.store;
    let fields = |kind: &str, cluster: &str, trl: (i64, i64)| store::PlatformFields {
        kind: kind.into(),
        form: "specialised".into(),
        level: "municipal".into(),
        field: String::new(),
        cluster: cluster.into(),
        region_code: Some("500115".into()),
        trl_in: trl.0,
        trl_out: trl.1,
        detail: "{}".into(),
        search_text: String::new(),
    };
    let centre_id = s
        .upsert_platform(c, &fields("poc_centre", "ICV-NEV", (2, 5)), "t")
        .await
        .unwrap()
        .id();
    let pilot_id = s
        .upsert_platform(pf, &fields("pilot_platform", "ICV-NEV", (4, 7)), "t")
        .await
        .unwrap()
        .id();
    // A machine at ¥20,000 an hour: a 72-hour run costs ¥1.44 million.
    s.upsert_equipment(
        pilot_id,
        &store::EquipmentFields {
            name: "电池包测试线".into(),
            model: String::new(),
            hours: "24x7".into(),
            auto_confirm: false,
            active: true,
            detail: json!({"parameters": [], "fee_fen_per_hour": 2_000_000}).to_string(),
            search_text: String::new(),
        },
        "t",
    )
    .await
    .unwrap();
    // The adopter's tech credit: grade E, a ¥800,000 line.
    s.add_credit_evaluation(&store::CreditEvaluationRow {
        id: 0,
        uscc: uscc(1),
        scheme: "knowledge_value".into(),
        version: "t".into(),
        card_fingerprint: "t".into(),
        as_of: "2026-01-01".into(),
        inputs: "{}".into(),
        result: json!({"credit_line_yuan": 800_000}).to_string(),
        grade: Some("E".into()),
        score: 40.0,
        created_by: "t".into(),
        created_at: 0,
    })
    .await
    .unwrap();
    let o1 = p
        .state
        .store
        .list(model::RecordKind::Outcome, 0, 10)
        .await
        .unwrap()[0]
        .id;
    (p, o1, centre_id, pilot_id)
}

#[tokio::test]
async fn seeds_selection_and_a_poc_application() {
    for (store, dir, pg) in backends().await {
        let (p, o1, centre, pilot) = conversion_platform(store, dir, pg).await;
        let (gov, uni, centre_user, ent) = (
            p.login("gov").await,
            p.login("uni").await,
            p.login("centre").await,
            p.login("ent").await,
        );
        let (s, _) = p.call("GET", "/api/v1/poc/seeds", Some(&ent), None).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "an enterprise does not read the seed list"
        );
        let (s, v) = p.call("GET", "/api/v1/poc/seeds", Some(&gov), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let seeds = v["seeds"].as_array().unwrap();
        assert_eq!(
            seeds.len(),
            1,
            "only the TRL 4 outcome is in the 3–5 band: {v}"
        );
        let seed = &seeds[0];
        assert_eq!(seed["outcome_id"], o1);
        assert_eq!(seed["parts"].as_array().unwrap().len(), 4);
        assert!(
            seed["pull"].as_f64().unwrap() > 0.0,
            "the enterprise's public need pulls: {seed}"
        );
        assert_eq!(
            seed["ip"], "application",
            "a patent number without a filing: an application"
        );
        let (s, v) = p
            .call("GET", "/api/v1/poc/seeds", Some(&centre_user), None)
            .await;
        assert_eq!(s, StatusCode::OK, "a PoC centre's staff reads it: {v}");
        // Selection: officials only; sending: only selected seeds, only to PoC centres, once.
        let select = |token: &str, selected: bool| {
            let (p, t) = (&p, token.to_string());
            async move {
                p.call(
                    "POST",
                    &format!("/api/v1/poc/seeds/{o1}/selection"),
                    Some(&t),
                    Some(json!({"selected": selected, "note": "优先"})),
                )
                .await
                .0
            }
        };
        assert_eq!(select(&uni, true).await, StatusCode::FORBIDDEN);
        let send = |token: &str, platform: i64| {
            let (p, t) = (&p, token.to_string());
            async move {
                p.call(
                    "POST",
                    "/api/v1/poc/applications",
                    Some(&t),
                    Some(json!({"outcome_id": o1, "platform_id": platform, "note": "请评估"})),
                )
                .await
            }
        };
        assert_eq!(
            send(&uni, centre).await.0,
            StatusCode::BAD_REQUEST,
            "not selected yet"
        );
        assert_eq!(select(&gov, true).await, StatusCode::NO_CONTENT);
        let (_, v) = p.call("GET", "/api/v1/poc/seeds", Some(&gov), None).await;
        assert_eq!(v["seeds"][0]["selected"], true);
        assert_eq!(
            send(&uni, pilot).await.0,
            StatusCode::BAD_REQUEST,
            "a pilot platform is no PoC centre"
        );
        assert_eq!(
            send(&ent, centre).await.0,
            StatusCode::FORBIDDEN,
            "not the outcome's owner"
        );
        let (s, app) = send(&uni, centre).await;
        assert_eq!(s, StatusCode::CREATED, "{app}");
        assert_eq!(
            send(&uni, centre).await.0,
            StatusCode::CONFLICT,
            "one open application per centre"
        );
        // The centre hears of it; declines need a reason; it accepts.
        let (_, inbox) = p
            .call("GET", "/api/v1/inbox", Some(&centre_user), None)
            .await;
        assert!(
            inbox["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["event"] == "poc_sent"),
            "{inbox}"
        );
        let id = app["id"].as_i64().unwrap();
        let decide = |token: &str, body: Value| {
            let (p, t) = (&p, token.to_string());
            async move {
                p.call(
                    "POST",
                    &format!("/api/v1/poc/applications/{id}/decision"),
                    Some(&t),
                    Some(body),
                )
                .await
            }
        };
        assert_eq!(
            decide(
                &centre_user,
                json!({"to": "declined", "version": app["version"]})
            )
            .await
            .0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            decide(&uni, json!({"to": "accepted", "version": app["version"]}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (s, v) = decide(
            &centre_user,
            json!({"to": "accepted", "answer": "下月启动", "version": app["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "accepted");
        let (_, list) = p
            .call("GET", "/api/v1/poc/applications", Some(&uni), None)
            .await;
        assert_eq!(list["applications"][0]["status"], "accepted");
        let (_, list) = p
            .call("GET", "/api/v1/poc/applications", Some(&ent), None)
            .await;
        assert!(
            list["applications"].as_array().unwrap().is_empty(),
            "an outsider reads none: {list}"
        );
        p.close().await;
    }
}

#[tokio::test]
async fn filings_are_their_applicants_secret_and_the_fast_track_is_guarded() {
    for (store, dir, pg) in backends().await {
        let (p, o1, _, _) = conversion_platform(store, dir, pg).await;
        let (gov, uni, ent) = (
            p.login("gov").await,
            p.login("uni").await,
            p.login("ent").await,
        );
        let add = |token: &str, body: Value| {
            let (p, t) = (&p, token.to_string());
            async move {
                p.call("POST", "/api/v1/ip/filings", Some(&t), Some(body))
                    .await
            }
        };
        let body = json!({"application_no": "CN202410000001.1", "ipc": ["H01M 10/48"], "title": "动力电池热失控早期预警方法", "outcome_id": o1, "filed_on": "2025-01-10", "claims": 8});
        assert_eq!(
            add(&ent, body.clone()).await.0,
            StatusCode::FORBIDDEN,
            "not the outcome's owner"
        );
        let (s, f) = add(&uni, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        assert_eq!(f["industry"], "automotive");
        assert_eq!(f["kind"], "invention", "read from the number");
        assert_eq!(
            add(&uni, body).await.0,
            StatusCode::CONFLICT,
            "recorded once"
        );
        let id = f["id"].as_i64().unwrap();
        let (s, _) = p
            .call("GET", &format!("/api/v1/ip/filings/{id}"), Some(&ent), None)
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "an unpublished application is its applicant's"
        );
        let (_, list) = p.call("GET", "/api/v1/ip/filings", Some(&ent), None).await;
        assert!(list["filings"].as_array().unwrap().is_empty());
        let mv = |to: &str, on: &str, version: &Value| {
            let (p, t) = (&p, uni.clone());
            let body = json!({"to": to, "on_date": on, "version": version});
            async move {
                p.call(
                    "POST",
                    &format!("/api/v1/ip/filings/{id}/transitions"),
                    Some(&t),
                    Some(body),
                )
                .await
            }
        };
        assert_eq!(
            mv("pre_examined", "2025-01-05", &f["version"]).await.0,
            StatusCode::BAD_REQUEST,
            "before the last stage"
        );
        assert_eq!(
            mv("pre_examined", "2099-01-05", &f["version"]).await.0,
            StatusCode::BAD_REQUEST,
            "in the future"
        );
        let (s, f) = mv("pre_examined", "2025-01-30", &f["version"]).await;
        assert_eq!(s, StatusCode::OK, "{f}");
        let (_, f) = mv("fast_track", "2025-02-14", &f["version"]).await;
        let (s, f) = mv("granted", "2025-05-10", &f["version"]).await;
        assert_eq!(s, StatusCode::OK, "{f}");
        assert_eq!(
            (f["fast_track"].as_bool(), f["days_to_grant"].as_i64()),
            (Some(true), Some(120))
        );
        // The seed list: officials read the grant from the filing; a PoC centre's staff read only
        // what is public (the patent number), never the unpublished filing behind it.
        let centre_user = p.login("centre").await;
        let (_, v) = p.call("GET", "/api/v1/poc/seeds", Some(&gov), None).await;
        assert_eq!(v["seeds"][0]["ip"], "granted_invention", "{v}");
        let (_, v) = p
            .call("GET", "/api/v1/poc/seeds", Some(&centre_user), None)
            .await;
        assert_eq!(v["seeds"][0]["ip"], "application", "{v}");
        // Another organization recording the same number blocks nobody and learns nothing.
        let (s, _) = add(&ent, json!({"application_no": "CN202410000001.1", "ipc": ["H01M 10/48"], "title": "同号", "filed_on": "2025-01-10"})).await;
        assert_eq!(s, StatusCode::CREATED);
        // A field the centre does not serve cannot enter pre-examination.
        let (_, g) = add(&uni, json!({"application_no": "CN202410000009.9", "ipc": ["A61K 9/20"], "title": "缓释片", "filed_on": "2025-03-01"})).await;
        assert!(g["industry"].is_null());
        let (s, v) = p
            .call(
                "POST",
                &format!("/api/v1/ip/filings/{}/transitions", g["id"]),
                Some(&uni),
                Some(
                    json!({"to": "pre_examined", "on_date": "2025-03-05", "version": g["version"]}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ordinary route"),
            "{v}"
        );
        // Grant times: officials; the automotive fast-track median is the one grant's 120 days.
        let (s, t) = p
            .call("GET", "/api/v1/ip/grant-times", Some(&gov), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
        let auto = t["industries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["industry"] == "automotive")
            .unwrap()
            .clone();
        assert_eq!(
            (
                auto["granted_fast"].as_i64(),
                auto["median_days_fast"].as_f64()
            ),
            (Some(1), Some(120.0))
        );
        assert_eq!(
            p.call("GET", "/api/v1/ip/grant-times", Some(&ent), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        p.close().await;
    }
}

#[tokio::test]
async fn the_path_shows_credit_only_to_readers_who_may_see_it() {
    for (store, dir, pg) in backends().await {
        let (p, o1, centre, pilot) = conversion_platform(store, dir, pg).await;
        let bank = p.login("bank").await;
        let step = |v: &Value, s: &str| {
            v["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["step"] == s)
                .unwrap()
                .clone()
        };
        // Anyone: a PoC centre first (TRL 4), the local test line, the likely adopter; its credit
        // hidden, so financing is never the bottleneck for this reader.
        let (s, anon) = p
            .call("GET", &format!("/api/v1/outcomes/{o1}/path"), None, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{anon}");
        assert_eq!(step(&anon, "poc")["choice_id"], centre);
        assert_eq!(step(&anon, "pilot")["choice_id"], pilot);
        assert_eq!(step(&anon, "pilot")["status"], "ok");
        assert_eq!(
            step(&anon, "adopter")["choice"],
            "重庆乙动力电池有限公司",
            "{anon}"
        );
        assert_eq!(step(&anon, "financing")["status"], "hidden");
        assert!(
            !anon.to_string().contains("\"E\""),
            "no grade reaches the anonymous: {anon}"
        );
        assert_ne!(anon["bottleneck"], "financing");
        // A financier: grade E, a ¥800,000 line below the ¥1.44 million run — the bottleneck.
        let (_, b) = p
            .call(
                "GET",
                &format!("/api/v1/outcomes/{o1}/path"),
                Some(&bank),
                None,
            )
            .await;
        let f = step(&b, "financing");
        assert_eq!(
            (f["status"].as_str(), f["reason"].as_str()),
            (Some("blocked"), Some("financing_short")),
            "{b}"
        );
        assert_eq!(f["values"], json!(["E", "80000000", "144000000"]));
        assert_eq!(b["bottleneck"], "financing");
        // Booking the line out for the horizon makes pilot capacity the bottleneck instead.
        let line = p.state.store.equipment_of(pilot).await.unwrap()[0].id;
        let now = p.state.store.now_ts() / H * H;
        for k in 0..8 {
            let start = now + k * 744 * H;
            p.state
                .store
                .book(&store::NewBooking {
                    equipment_id: line,
                    platform_id: pilot,
                    status: "confirmed".into(),
                    starts_at: start,
                    ends_at: start + 744 * H,
                    requester_org: None,
                    requester_user: None,
                    purpose: String::new(),
                    engagement_id: None,
                    challenge_id: None,
                    note: String::new(),
                    hold_secs: 0,
                    wait: false,
                    max_waiting: 1,
                    max_pending: 1,
                    max_future_hours: 1,
                    actor: "t".into(),
                    notify: vec![],
                })
                .await
                .unwrap();
        }
        let (_, full) = p
            .call("GET", &format!("/api/v1/outcomes/{o1}/path"), None, None)
            .await;
        assert_eq!(step(&full, "pilot")["status"], "blocked", "{full}");
        assert_eq!(full["bottleneck"], "pilot");
        let (s, _) = p
            .call("GET", "/api/v1/outcomes/999999/path", None, None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        p.close().await;
    }
}
