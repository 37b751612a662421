//! Pilot platforms over the API, on both back-ends: the library imported from files (bad rows named
//! with line and column, good rows kept), capability search with units converted and Chongqing
//! first, a machine's calendar that tells the public only which periods are taken, bookings with a
//! 409 that names the taken period only, the waiting queue, the platform's answers (confirm,
//! decline with a reason, propose), cancellations, maintenance, utilisation, who may read what,
//! and the audit chain whole at the end.

use axum::http::StatusCode;
use model::{OrgKind, Organization, Record, Region};
use serde_json::{json, Value};

use crate::support::{backends, enterprise, urlencode, uscc, Platform};

const PLATFORMS_CSV: &str = "平台名称,平台类型,平台形态,级别,服务类型,资质,服务成熟度,服务模式,收费标准,所属联盟,联系人,简介
重庆甲中试平台,中试平台,专业型,市级,工艺放大熟化;小批量试生产,CNAS;CMA,4-7,开放预约,反应釜使用|小时|800|640,成渝绵中试生态,刘工|主任|023-1111-2222|liu@example.cn|否,化工材料放大
成都乙中试基地,中试基地,综合型,省级,工艺放大熟化,CNAS,5-8,开放预约,,成渝绵中试生态,何工|总监|028-3333|he@example.cn|是,高温烧结
不存在的平台,中试平台,专业型,市级,,,4-7,,,,,
";

const EQUIPMENT_CSV: &str = "平台名称,设备名称,能力参数,开放时间,预约即确认,收费（元/小时）
重庆甲中试平台,500 L 反应釜,容积=500L; 最高温度=250°C; 设计压力=2.5MPa,24x7,否,800
重庆甲中试平台,高温炉,最高温度=350°C,mon-fri 08:00-18:00,否,300
成都乙中试基地,烧结炉,最高温度=600K,24x7,否,
重庆甲中试平台,坏设备,最高温度=300L,24x7,否,
";

/// Who is who: staff of 甲 (the Chongqing platform), ent-a and ent-b book, gov reads utilisation,
/// op operates, anyone else reads the public library.
async fn pilot_platform(
    store: store::Store,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
) -> (Platform, i64, i64) {
    let mut cq = Organization::new(OrgKind::PilotPlatform, "重庆甲中试平台");
    cq.region = Region::lookup("渝北区");
    let mut cd = Organization::new(OrgKind::PilotPlatform, "成都乙中试基地");
    cd.region = Region::lookup("成都市");
    let records = vec![
        Record::Organization(cq),
        Record::Organization(cd),
        enterprise("重庆甲用户企业有限公司", &uscc(1)),
        enterprise("重庆乙用户企业有限公司", &uscc(2)),
    ];
    let p = Platform::new(store, dir, pg, &records).await;
    let pf = p.org_id("重庆甲中试平台").await;
    let (a, b) = (
        p.org_id("重庆甲用户企业有限公司").await,
        p.org_id("重庆乙用户企业有限公司").await,
    );
    p.user("staff", "institution", Some(pf)).await;
    p.user("ent-a", "enterprise", Some(a)).await;
    p.user("ent-b", "enterprise", Some(b)).await;
    p.user("gov", "government", None).await;
    p.user("op", "platform_operator", None).await;
    // The operator imports the files.
    let dir = tempfile::tempdir().unwrap();
    let (pf_path, ef_path) = (dir.path().join("p.csv"), dir.path().join("e.csv"));
    std::fs::write(&pf_path, PLATFORMS_CSV).unwrap();
    std::fs::write(&ef_path, EQUIPMENT_CSV).unwrap();
    let op = engine::engagements::Actor {
        user_id: 0,
        username: "op".into(),
        org: None,
        operator: true,
        broker: false,
        official: false,
    };
    let s = p
        .state
        .library
        .import(&op, &pf_path, Some(&ef_path))
        .await
        .unwrap();
    assert_eq!(
        (s.platforms_created, s.equipment_created),
        (2, 3),
        "{:?}",
        s.problems
    );
    assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
    assert!(
        s.problems[0].contains("line 4") && s.problems[0].contains("不存在的平台"),
        "{}",
        s.problems[0]
    );
    assert!(
        s.problems[1].contains("line 5")
            && s.problems[1].contains("能力参数")
            && s.problems[1].contains("not a unit of temperature"),
        "{}",
        s.problems[1]
    );
    let cq_id = p.state.store.platform_of_org(pf).await.unwrap().unwrap().id;
    let reactor = p
        .state
        .store
        .equipment_of(cq_id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name.starts_with("500"))
        .unwrap()
        .id;
    (p, cq_id, reactor)
}

/// A period `days` ahead at `hour` Beijing time, `YYYY-MM-DDTHH:00`.
fn ahead(days: i64, hour: i64) -> String {
    let t = chrono::Utc::now().timestamp() + 8 * 3600 + days * 86_400;
    let d = chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
    format!("{d}T{hour:02}:00")
}

fn names(v: &Value) -> Vec<String> {
    v["platforms"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn capability_search_converts_units_and_puts_chongqing_first() {
    for (store, dir, pg) in backends().await {
        let (p, _, _) = pilot_platform(store, dir, pg).await;
        let get = |q: String| {
            let p = &p;
            async move {
                p.call("GET", &format!("/api/v1/platforms?{q}"), None, None)
                    .await
            }
        };
        // ≥ 300 °C: the Chongqing furnace (350 °C) and the Chengdu one recorded as 600 K (326.85 °C);
        // not the 250 °C reactor. Chongqing first, Chengdu marked as an alliance member.
        let (s, v) = get(format!("filter={}", urlencode("最高温度>=300°C"))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            names(&v),
            ["重庆甲中试平台", "成都乙中试基地"],
            "{}",
            p.backend
        );
        let first = &v["platforms"][0];
        assert_eq!(first["local"], true);
        assert_eq!(first["equipment"][0]["name"], "高温炉");
        assert_eq!(v["platforms"][1]["alliance"], true);
        // 327 °C excludes 600 K (326.85 °C) but not 350 °C.
        let (_, v) = get(format!("filter={}", urlencode("max temperature > 327 C"))).await;
        assert_eq!(names(&v), ["重庆甲中试平台"]);
        // 0.5 m³ is the 500 L reactor; 5 bar ≤ 2.5 MPa.
        let (_, v) = get(format!("filter={}", urlencode("容积>=0.5m3;压力>=5bar"))).await;
        assert_eq!(names(&v), ["重庆甲中试平台"]);
        assert_eq!(v["platforms"][0]["equipment"][0]["name"], "500 L 反应釜");
        // One machine must meet every filter: none is both ≥ 0.5 m³ and ≥ 300 °C.
        let (_, v) = get(format!(
            "filter={}",
            urlencode("容积>=0.5m3;最高温度>=300°C")
        ))
        .await;
        assert!(names(&v).is_empty(), "{v}");
        // TRL 5→7: only 甲 serves 4→7 … and 乙 5→8: both; 3→7: none.
        let (_, v) = get("trl_from=5&trl_to=7".into()).await;
        assert_eq!(names(&v).len(), 2);
        let (_, v) = get("trl_from=3&trl_to=7".into()).await;
        assert!(names(&v).is_empty());
        // Qualification, scope, words.
        let (_, v) = get("qualification=CMA".into()).await;
        assert_eq!(names(&v), ["重庆甲中试平台"]);
        let (_, v) = get("scope=local".into()).await;
        assert_eq!(names(&v), ["重庆甲中试平台"]);
        let (_, v) = get(format!("q={}", urlencode("烧结"))).await;
        assert_eq!(names(&v), ["成都乙中试基地"]);
        // A filter the search cannot read is a 400 that says what to write.
        let (s, v) = get(format!("filter={}", urlencode("颜色>=3"))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not a capability parameter"),
            "{v}"
        );
        let (s, _) = get(format!("filter={}", urlencode("最高温度>=3L"))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = get("limit=0".into()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        p.close().await;
    }
}

#[tokio::test]
async fn booking_loop_with_queue_answers_and_utilisation() {
    for (store, dir, pg) in backends().await {
        let (p, platform, reactor) = pilot_platform(store, dir, pg).await;
        let (staff, a, b, gov) = (
            p.login("staff").await,
            p.login("ent-a").await,
            p.login("ent-b").await,
            p.login("gov").await,
        );
        let book = |token: &str, s: String, e: String, extra: Value| {
            let mut body = json!({"equipment_id": reactor, "starts_at": s, "ends_at": e, "purpose": "300 kg 放大批次"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            let token = token.to_string();
            let p = &p;
            async move {
                p.call("POST", "/api/v1/bookings", Some(&token), Some(body))
                    .await
            }
        };
        // ent-a requests a day; the platform has not answered yet.
        let (s, ba) = book(&a, ahead(10, 8), ahead(11, 8), json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{ba}");
        assert_eq!(ba["status"], "requested");
        assert_eq!(ba["fee_fen"], 24 * 80_000);
        // ent-b overlaps: 409 with the taken period only — never who holds it or why.
        let (s, v) = book(&b, ahead(10, 20), ahead(11, 2), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["period"]["starts_at"], ba["starts_at"]);
        let text = v.to_string();
        assert!(
            !text.contains("甲用户") && !text.contains("放大批次"),
            "{text}"
        );
        // Adjacent is fine; waiting in the queue is offered.
        let (s, adj) = book(&b, ahead(11, 8), ahead(11, 12), json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{adj}");
        let (s, w) = book(&b, ahead(10, 20), ahead(11, 2), json!({"wait": true})).await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        assert_eq!(w["status"], "waiting");
        // Off the hour, in the past, outside opening hours: 400 with the fix.
        let (s, _) = book(
            &b,
            format!("{}:30", &ahead(20, 8)[..13]),
            ahead(20, 10),
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = book(&b, ahead(-2, 8), ahead(-2, 10), json!({})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // The public calendar shows the held periods without ids; ent-a sees its own.
        let from = &ahead(10, 0)[..10];
        let (s, cal) = p
            .call(
                "GET",
                &format!("/api/v1/equipment/{reactor}/slots?from={from}&days=2"),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{cal}");
        let taken = cal["days"][0]["taken"].as_array().unwrap();
        assert!(
            !taken.is_empty()
                && taken
                    .iter()
                    .all(|t| t["booking_id"].is_null() && t["mine"] == false),
            "{cal}"
        );
        let (_, cal) = p
            .call(
                "GET",
                &format!("/api/v1/equipment/{reactor}/slots?from={from}&days=1"),
                Some(&a),
                None,
            )
            .await;
        assert!(
            cal["days"][0]["taken"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["mine"] == true && t["booking_id"] == ba["id"]),
            "{cal}"
        );
        // ent-b may not read ent-a's booking (404 as for none), nor answer it.
        let id = ba["id"].as_i64().unwrap();
        let (s, _) = p
            .call("GET", &format!("/api/v1/bookings/{id}"), Some(&b), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The platform declines without a reason: 400; confirms: 200.
        let mv = |token: &str, id: i64, body: Value| {
            let token = token.to_string();
            let p = &p;
            async move {
                p.call(
                    "POST",
                    &format!("/api/v1/bookings/{id}/transitions"),
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };
        let (s, v) = mv(
            &staff,
            id,
            json!({"to": "declined", "version": ba["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = mv(&a, id, json!({"to": "confirmed", "version": ba["version"]})).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the requester does not confirm its own request: {v}"
        );
        let (s, conf) = mv(
            &staff,
            id,
            json!({"to": "confirmed", "version": ba["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{conf}");
        assert_eq!(conf["status"], "confirmed");
        assert_eq!(conf["requester"], "重庆甲用户企业有限公司");
        let (s, _) = mv(
            &staff,
            id,
            json!({"to": "confirmed", "version": ba["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "a stale version");
        // Utilisation: the reactor's 24 confirmed hours, in the month(s) they fall in; the waiting
        // request counted; ent-a may not read it, gov may.
        let month = ahead(10, 8)[..7].to_string();
        let mut months = vec![month.clone()];
        if ahead(11, 8)[..7] != month {
            months.push(ahead(11, 8)[..7].to_string());
        }
        let mut booked = 0.0;
        for m in &months {
            let (s, u) = p
                .call(
                    "GET",
                    &format!("/api/v1/platforms/{platform}/utilisation?month={m}"),
                    Some(&staff),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{u}");
            let row = u["equipment"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["equipment_id"] == reactor)
                .unwrap()
                .clone();
            booked += row["booked_hours"].as_f64().unwrap();
            assert_eq!(u["waiting"], 1, "{u}");
            assert_eq!(u["awaiting_answer"], 1, "ent-b's adjacent request: {u}");
        }
        assert_eq!(booked, 24.0);
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}/utilisation?month={month}"),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}/utilisation?month={month}"),
                Some(&gov),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // Contacts: private details for staff and organizations that booked, not the public.
        let (_, pub_view) = p
            .call("GET", &format!("/api/v1/platforms/{platform}"), None, None)
            .await;
        assert_eq!(pub_view["detail"]["contacts"][0]["phone"], "", "{pub_view}");
        let (_, a_view) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}"),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(a_view["detail"]["contacts"][0]["phone"], "023-1111-2222");
        // ent-a cancels: the waiting request of ent-b moves up and awaits the platform.
        let (s, c) = mv(
            &a,
            id,
            json!({"to": "cancelled", "version": conf["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let (_, w2) = p
            .call(
                "GET",
                &format!("/api/v1/bookings/{}", w["id"]),
                Some(&b),
                None,
            )
            .await;
        assert_eq!(w2["status"], "requested", "{w2}");
        // … and the platform's staff have it to answer.
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&staff), None).await;
        assert!(
            inbox["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["booking_id"] == w["id"] && n["event"] == "booking_requested"),
            "{inbox}"
        );
        // The queue shows it; the platform proposes another period; ent-b accepts it.
        let (_, q) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}/queue"),
                Some(&staff),
                None,
            )
            .await;
        assert!(
            q["bookings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == w["id"]),
            "{q}"
        );
        let (s, _) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}/queue"),
                Some(&b),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, prop) = mv(&staff, w["id"].as_i64().unwrap(), json!({"to": "proposed", "note": "顺延一天", "starts_at": ahead(12, 8), "ends_at": ahead(12, 14), "version": w2["version"]})).await;
        assert_eq!(s, StatusCode::OK, "{prop}");
        // Proposing onto a taken period is a 409 with that period.
        let (s, v) = mv(&staff, adj["id"].as_i64().unwrap(), json!({"to": "proposed", "starts_at": ahead(12, 10), "ends_at": ahead(12, 11), "version": adj["version"]})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(v["period"]["starts_at"].is_i64());
        let (s, acc) = mv(
            &b,
            w["id"].as_i64().unwrap(),
            json!({"to": "confirmed", "version": prop["version"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{acc}");
        assert_eq!(acc["status"], "confirmed");
        // Maintenance: the staff blocks a day; an enterprise may not.
        let (s, m) = book(
            &staff,
            ahead(30, 0),
            ahead(31, 0),
            json!({"maintenance": true}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        assert_eq!(m["status"], "blocked");
        let (s, _) = book(&a, ahead(40, 0), ahead(41, 0), json!({"maintenance": true})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Notices reached the platform's staff (requests) and ent-b (the proposal).
        let (_, inbox) = p.call("GET", "/api/v1/inbox", Some(&b), None).await;
        let events: Vec<&str> = inbox["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["event"].as_str().unwrap())
            .collect();
        assert!(
            events.contains(&"booking_proposed") && events.contains(&"booking_promoted"),
            "{events:?}"
        );
        // The staff edits its entry but not its recognition (type, level); a stale or missing
        // version is refused.
        let (_, cur) = p
            .call(
                "GET",
                &format!("/api/v1/platforms/{platform}"),
                Some(&staff),
                None,
            )
            .await;
        let edit = json!({"kind": "poc_centre", "form": "specialised", "level": "national", "trl_in": 4, "trl_out": 7,
            "detail": {"summary": "更新的简介", "services": ["scale_up"]}, "version": cur["version"]});
        let (s, v) = p
            .call(
                "PUT",
                &format!("/api/v1/platforms/{platform}"),
                Some(&staff),
                Some(edit.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["kind"].as_str(), v["level"].as_str()),
            (Some("pilot_platform"), Some("municipal")),
            "{v}"
        );
        assert_eq!(v["detail"]["summary"], "更新的简介");
        let (s, _) = p
            .call(
                "PUT",
                &format!("/api/v1/platforms/{platform}"),
                Some(&staff),
                Some(edit),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "the version read is stale now");
        let (s, _) = p.call("PUT", &format!("/api/v1/platforms/{platform}"), Some(&a), Some(json!({"kind": "pilot_platform", "form": "specialised", "level": "municipal", "trl_in": 4, "trl_out": 7, "version": v["version"]}))).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "an enterprise does not edit a platform"
        );
        // Every step is on the audit chain, and it holds.
        let check = p.state.store.verify_audit().await.unwrap();
        assert!(check.broken.is_none(), "{check:?}");
        p.close().await;
    }
}
