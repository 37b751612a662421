//! `match`, `adopters` and `gen` end to end on the demo records.

use std::path::Path;

use super::{dictionary, english_encoder, install_dictionary, run, text, weights};

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{:?}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(o)))
}

/// A demo data directory (repository records only) with both indexes built.
fn demo(dir: &Path, model: Option<&str>) {
    let o = run(dir, &["demo", "--no-shared", "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut args = vec!["reindex"];
    if let Some(m) = model {
        args.extend(["--dense", "--model", m]);
    }
    let o = run(dir, &args);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// The id of the demo demand whose title holds `words`.
fn demand_titled(dir: &Path, words: &str) -> String {
    let db = dir.join("shuanglian.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM demands WHERE title LIKE $1 LIMIT 1")
            .bind(format!("%{words}%"))
            .fetch_one(&mut c)
            .await
            .unwrap();
        id.to_string()
    })
}

fn hits(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["hits"].as_array().expect("hits")
}

fn signal<'a>(hit: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    hit["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} signal in {hit}"))
}

#[test]
fn a_need_finds_explained_solutions_and_an_outcome_finds_adopters() {
    let Some(model) = weights() else { return };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    let need = "动力电池热失控早期预警，要求提前5分钟报警";
    let v = json(&run(
        &dir,
        &["match", need, "--need-trl", "7", "--json", "--model", m],
    ));
    assert_eq!(v["mode"], "hybrid", "{v}");
    let top = &hits(&v)[0];
    assert_eq!(top["record_kind"], "outcome");
    assert!(top["label"].as_str().unwrap().contains("热失控"), "{top}");
    // The explanation: both sides' evidence, the matched terms in a highlighted snippet, each signal.
    assert!(top["lexical"]["score"].as_f64().unwrap() > 0.0);
    assert!(top["similarity"].as_f64().unwrap() > 0.8);
    assert!(top["matched_terms"].as_array().unwrap().len() >= 3);
    assert!(top["snippet"].as_str().unwrap().contains("【"));
    assert!(signal(top, "locality")["contribution"].as_f64().unwrap() > 0.0);
    assert_eq!(signal(top, "trl_fit")["value"], 1.0);
    let score = top["score"].as_f64().unwrap();
    let parts: f64 = top["relevance"].as_f64().unwrap()
        + top["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["contribution"].as_f64().unwrap())
            .sum::<f64>();
    assert!(
        (score - parts).abs() < 1e-4,
        "score {score} ≠ parts {parts}"
    );
    for w in hits(&v).windows(2) {
        assert!(w[0]["score"].as_f64() >= w[1]["score"].as_f64());
    }

    // --kind restricts what is found; a filter that matches nothing answers empty, with a note.
    let v = json(&run(
        &dir,
        &["match", need, "--kind", "expert", "--json", "--model", m],
    ));
    assert!(!hits(&v).is_empty());
    assert!(hits(&v).iter().all(|h| h["record_kind"] == "person"));
    let v = json(&run(
        &dir,
        &[
            "match", need, "--kind", "outcome", "--trl", "1", "--json", "--model", m,
        ],
    ));
    assert!(hits(&v).is_empty(), "{v}");
    assert!(v["notes"].to_string().contains("no candidate"), "{v}");

    // The outcome's adopters: enterprises only, the one that posted the matching public need first.
    let outcome = top["id"].as_u64().unwrap().to_string();
    let v = json(&run(&dir, &["adopters", &outcome, "--json", "--model", m]));
    let first = &hits(&v)[0];
    assert!(hits(&v)
        .iter()
        .all(|h| h["record_kind"] == "organization" && h["kind"] == "enterprise"));
    assert!(
        first["label"].as_str().unwrap().contains("动力电池"),
        "{first}"
    );
    assert_eq!(signal(first, "related_need")["value"], 1.0);
}

#[test]
fn a_chinese_clinical_need_finds_english_outcomes_and_says_they_are_english() {
    let (Some(model), Some(dict)) = (weights(), dictionary()) else {
        return;
    };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    install_dictionary(&dir, &dict);
    // The demo holds Chinese and English outcomes; the answer to this need is an English paper.
    let need = "医院希望用单导联心电贴片早期筛查房颤患者";
    let v = json(&run(
        &dir,
        &["match", need, "--kind", "outcome", "--json", "--model", m],
    ));
    let english: Vec<&serde_json::Value> = hits(&v)
        .iter()
        .take(5)
        .filter(|h| h["cross_language"] == true)
        .collect();
    let af = english
        .iter()
        .find(|h| h["label"].as_str().unwrap().contains("Atrial fibrillation"))
        .unwrap_or_else(|| panic!("no English AF paper in the top 5: {v}"));
    let concepts: Vec<String> = af["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} → {}",
                c["from"].as_str().unwrap(),
                c["to"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        concepts.iter().any(|c| c.starts_with("房颤 → ")),
        "{concepts:?}"
    );
    // The text answer says it is an English-language record and what it was matched through.
    let o = run(&dir, &["match", need, "--kind", "outcome", "--model", m]);
    let out = text(&o).0;
    assert!(out.contains("英文文献") && out.contains("房颤 →"), "{out}");
}

#[test]
fn an_english_need_is_read_by_the_english_encoder_too_and_a_chinese_one_never() {
    let (Some(model), Some(bge)) = (weights(), english_encoder()) else {
        return;
    };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(&bge, models.join(encoder::registry::BGE_SMALL_EN.file)).unwrap();
    // reindex --dense embeds the English records with it and builds their index.
    let o = run(&dir, &["reindex", "--dense", "--model", m]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("English vector index"),
        "{:?}",
        text(&o)
    );
    let bge_id = encoder::registry::BGE_SMALL_EN.id;
    let v = json(&run(
        &dir,
        &[
            "match",
            "early screening of atrial fibrillation with a single-lead ECG patch",
            "--kind",
            "outcome",
            "--json",
            "--model",
            m,
        ],
    ));
    let encoders: Vec<&str> = v["encoders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(encoders.contains(&bge_id), "{v}");
    assert!(
        hits(&v)
            .iter()
            .take(3)
            .any(|h| h["label"].as_str().unwrap().contains("Atrial fibrillation")),
        "{v}"
    );
    let v = json(&run(
        &dir,
        &[
            "match",
            "早期筛查房颤的心电贴片",
            "--kind",
            "outcome",
            "--json",
            "--model",
            m,
        ],
    ));
    let encoders = v["encoders"].as_array().unwrap();
    assert!(
        !encoders.is_empty() && !encoders.iter().any(|x| x == bge_id),
        "{v}"
    );
}

#[test]
fn confidential_needs_never_mark_an_adopter() {
    let Some(model) = weights() else { return };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    // Outcome 1 (磷酸锰铁锂 cathode coating) resembles an NDA-only demo need; its owner must not be
    // marked as having a related public need, and the NDA need's text must not appear anywhere.
    let o = run(&dir, &["adopters", "1", "--json", "--model", m]);
    let v = json(&o);
    for h in hits(&v) {
        let s = signal(h, "related_need");
        if s["value"] == 1.0 {
            let reason = s["reason"].as_str().unwrap();
            assert!(
                !reason.contains("磷酸锰铁锂"),
                "an NDA need leaked: {reason}"
            );
        }
    }
    let demands = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/demands.csv"),
    )
    .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    for line in demands
        .lines()
        .filter(|l| l.contains(",nda,") || l.contains(",registered,"))
    {
        let title = line.split(',').nth(3).unwrap();
        assert!(!out.contains(title), "confidential need '{title}' leaked");
    }
}

#[test]
fn without_the_model_matching_is_lexical_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, None);
    let missing = tmp.path().join("none.bin");
    let v = json(&run(
        &dir,
        &[
            "match",
            "动力电池热失控预警",
            "--json",
            "--model",
            missing.to_str().unwrap(),
        ],
    ));
    assert_eq!(v["mode"], "lexical");
    assert!(v["notes"].to_string().contains("fetch-model"), "{v}");
    let top = &hits(&v)[0];
    assert!(
        top["dense"].is_null() && top["lexical"]["rank"] == 1,
        "{top}"
    );
    // Lexical-only relevance still spans the whole scale.
    assert!(
        (top["relevance"].as_f64().unwrap() - 1.0).abs() < 1e-6,
        "{top}"
    );
    let v = json(&run(&dir, &["adopters", "2", "--json", "--lexical-only"]));
    assert_eq!(v["mode"], "lexical");
    assert!(!hits(&v).is_empty());
    // A need looks for those who can solve it: the demo's bank and science bureau match the words of
    // this need but are never offered as solutions.
    let v = json(&run(
        &dir,
        &[
            "match",
            "知识价值信用贷款 科技成果转化 技术经纪",
            "--json",
            "--lexical-only",
        ],
    ));
    for h in hits(&v) {
        assert!(
            !["bank", "fund", "government", "broker"].contains(&h["kind"].as_str().unwrap()),
            "{h}"
        );
    }
}

#[test]
fn bad_matching_input_gets_clear_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, None);
    let fails = |args: &[&str], says: &str| {
        let o = run(&dir, args);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{args:?} succeeded: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    fails(&["match", "  "], "nothing to match");
    fails(
        &["match", "电池", "--kind", "robot"],
        "--kind: unknown kind 'robot'",
    );
    fails(&["match", "电池", "--trl", "12"], "--trl: TRL '12'");
    fails(&["match", "电池", "--need-trl", "0"], "--need-trl 0");
    fails(
        &["match", "电池", "--region", "Atlantis"],
        "--region: unknown region",
    );
    fails(&["match", "--demand", "999"], "no demand #999");
    fails(&["match", "电池", "--limit", "0"], "--limit");
    fails(&["match", "电池", "--limit", "5000"], "--limit");
    // NDA-only and registered-only demo demands: the command line has no user to check, so it
    // refuses them and never echoes their text.
    let hidden = [
        demand_titled(&dir, "SiC功率模块封装降本"),
        demand_titled(&dir, "磷酸锰铁锂"),
    ];
    for id in &hidden {
        let o = run(&dir, &["match", "--demand", id, "--lexical-only"]);
        let (out, err) = text(&o);
        assert!(!o.status.success() && err.contains("not public"), "{err}");
        assert!(
            !out.contains("碳化硅") && !err.contains("SiC") && !err.contains("磷酸"),
            "{out}{err}"
        );
    }
    fails(&["adopters", "999"], "no outcome #999");
    // A ten-thousand-character need is cut, answered, and the cut is said.
    let long = "电池热失控预警".repeat(1500);
    let v = json(&run(&dir, &["match", &long, "--json", "--lexical-only"]));
    assert!(v["notes"].to_string().contains("cut"), "{}", v["notes"]);
    assert!(!hits(&v).is_empty());
    // A need with no known word answers empty, not an error.
    let v = json(&run(&dir, &["match", "zzqxv", "--json", "--lexical-only"]));
    assert!(hits(&v).is_empty());
}

#[test]
fn a_stored_demand_is_matched_with_its_stage_and_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, None);
    let id = demand_titled(&dir, "热失控");
    let v = json(&run(
        &dir,
        &["match", "--demand", &id, "--json", "--lexical-only"],
    ));
    let top = &hits(&v)[0];
    assert!(top["label"].as_str().unwrap().contains("热失控"), "{top}");
    // The demand's TRL 7 and cluster reach the signals.
    assert!(signal(top, "trl_fit")["reason"]
        .as_str()
        .unwrap()
        .contains("TRL 7"));
}

#[test]
fn gen_makes_the_same_labelled_records_for_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        let o = run(
            tmp.path(),
            &[
                "gen",
                "--outcomes",
                "300",
                "--seed",
                "7",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{:?}", text(&o));
    }
    let outcomes = std::fs::read_to_string(a.join("outcomes.jsonl")).unwrap();
    assert_eq!(
        outcomes,
        std::fs::read_to_string(b.join("outcomes.jsonl")).unwrap()
    );
    assert_eq!(outcomes.lines().count(), 300);
    assert!(outcomes.lines().all(|l| l.contains("合成数据 (synthetic")));
    // Into the store: every kind arrives, and imports again as unchanged records.
    let store = tmp.path().join("store");
    let o = run(&store, &["gen", "--outcomes", "200", "--seed", "3"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let s = super::stats(&store);
    assert_eq!(s["outcomes"], 200);
    assert_eq!(s["organizations"], 20);
    assert_eq!(s["persons"], 10);
    assert_eq!(s["demands"], 10);
}

#[test]
fn the_vector_index_follows_imports_through_the_outbox() {
    let Some(model) = weights() else { return };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    // A new outcome arrives after the indexes were built; the next match embeds and finds it.
    let file = tmp.path().join("new.jsonl");
    std::fs::write(
        &file,
        r#"{"kind": "patent", "title": "一种氢燃料电池双极板的激光焊接密封方法", "abstract": "采用激光焊接替代胶粘密封，双极板气密性提高，适合燃料电池电堆批量生产。", "owners": ["重庆示例理工大学"], "trl": 5}"#,
    )
    .unwrap();
    let o = run(&dir, &["import", "outcome", file.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let v = json(&run(
        &dir,
        &[
            "match",
            "燃料电池双极板密封",
            "--kind",
            "outcome",
            "--json",
            "--model",
            m,
        ],
    ));
    let top = &hits(&v)[0];
    assert!(top["label"].as_str().unwrap().contains("双极板"), "{top}");
    assert!(
        !top["dense"].is_null(),
        "the new outcome is in the vector index: {top}"
    );
}

#[test]
fn an_outcome_holder_is_not_its_own_adopter_and_regions_take_their_districts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, None);
    // An enterprise's own outcome on the topic of its own need.
    let file = tmp.path().join("own.jsonl");
    std::fs::write(
        &file,
        r#"{"kind": "patent", "title": "动力电池包热失控早期预警与BMS报警方法", "abstract": "电池包热失控前给出预警，BMS报警，误报率低。", "owners": ["重庆长江动力电池系统有限公司"], "trl": 6}"#,
    )
    .unwrap();
    let o = run(&dir, &["import", "outcome", file.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let found = run(
        &dir,
        &[
            "search",
            "热失控早期预警与BMS报警方法",
            "--kind",
            "outcome",
            "--json",
        ],
    );
    let (out, _) = text(&found);
    let id = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|h| h["title"].as_str().unwrap().contains("BMS报警方法"))
        .unwrap_or_else(|| panic!("the new outcome is searchable: {out}"))["id"]
        .to_string();
    let v = json(&run(&dir, &["adopters", &id, "--json", "--lexical-only"]));
    assert!(!hits(&v).is_empty(), "{v}");
    for h in hits(&v) {
        assert!(
            !h["label"].as_str().unwrap().contains("长江动力电池"),
            "the holder is listed as an adopter: {h}"
        );
    }
    // --region 重庆 takes every Chongqing district; 成都 none of them.
    let cq = json(&run(
        &dir,
        &[
            "match",
            "电池",
            "--region",
            "重庆",
            "--json",
            "--lexical-only",
        ],
    ));
    assert!(!hits(&cq).is_empty(), "{cq}");
    let cd = json(&run(
        &dir,
        &[
            "match",
            "电池",
            "--region",
            "成都",
            "--kind",
            "enterprise",
            "--json",
            "--lexical-only",
        ],
    ));
    for h in hits(&cd) {
        assert!(!h["label"].as_str().unwrap().contains("重庆"), "{h}");
    }
}

#[test]
fn a_damaged_vector_index_falls_back_to_lexical_with_a_note() {
    let Some(model) = weights() else { return };
    let m = model.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir, Some(m));
    let path = dir.join("index").join("vectors").join("hnsw.bin");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let v = json(&run(
        &dir,
        &["match", "动力电池热失控预警", "--json", "--model", m],
    ));
    assert_eq!(v["mode"], "lexical", "{v}");
    assert!(v["notes"].to_string().contains("reindex --dense"), "{v}");
    assert!(!hits(&v).is_empty());
}
