//! The chain crate on constructed taxonomies whose right answers are known, and on the shipped one.

use std::collections::HashMap;

use chain::{
    cluster_gaps, rank, AssignConfig, Assigner, Filler, FillerKind, GapConfig, GapStatus, Locality,
    Member, MemberKind, Method, Provenance, Subject, Taxonomy,
};

const TAXONOMY: &str = r#"
version = "test"
effective_from = "2026-01-01"
[[tier]]
code = "trillion"
zh = "万亿级"
en = "Trillion"
rank = 1
"#;

/// A small vehicle cluster: materials → cells → packs → vehicles → recycling, recycling feeding back.
const CAR: &str = r#"
code = "CAR"
zh = "汽车"
en = "Cars"
[[membership]]
tier = "trillion"
status = "confirmed"
source = "test document"
effective_from = "2023-07-01"
[[chain]]
code = "CAR.main"
zh = "整车链"
en = "Vehicle chain"
[[node]]
code = "CAR.material"
chain = "CAR.main"
zh = "正极材料"
en = "Cathode materials"
stage = "upstream"
importance = 3
keywords_zh = ["正极材料", "磷酸铁锂"]
keywords_en = ["cathode material"]
ipc = ["H01M 4"]
provenance = "draft"
source = "draft by Shuanglian, to be confirmed"
[[node]]
code = "CAR.battery"
chain = "CAR.main"
zh = "动力电池系统"
en = "Power battery systems"
stage = "midstream"
importance = 5
keywords_zh = ["动力电池", "电池包"]
keywords_en = ["power battery", "battery pack"]
ipc = ["H01M"]
industry_codes = ["3841"]
provenance = "official"
source = "test parts plan"
[[node]]
code = "CAR.bms"
chain = "CAR.main"
parent = "CAR.battery"
zh = "电池管理系统"
en = "Battery management systems"
stage = "midstream"
importance = 5
keywords_zh = ["电池管理系统", "荷电状态"]
keywords_en = ["battery management system", "BMS"]
ipc = ["H01M 10/48"]
provenance = "draft"
source = "draft by Shuanglian, to be confirmed"
[[node]]
code = "CAR.ai"
chain = "CAR.main"
zh = "智能驾驶"
en = "Autonomous driving"
stage = "midstream"
importance = 4
keywords_zh = ["自动驾驶", "智能驾驶"]
keywords_en = ["AI driver", "AI"]
provenance = "draft"
source = "draft by Shuanglian, to be confirmed"
[[node]]
code = "CAR.recycling"
chain = "CAR.main"
zh = "电池回收"
en = "Battery recycling"
stage = "downstream"
importance = 2
keywords_zh = ["电池回收", "梯次利用"]
keywords_en = ["battery recycling"]
provenance = "draft"
source = "draft by Shuanglian, to be confirmed"
[[supply]]
from = "CAR.material"
to = "CAR.battery"
[[supply]]
from = "CAR.battery"
to = "CAR.recycling"
[[supply]]
from = "CAR.recycling"
to = "CAR.material"
declared_cycle = true
"#;

fn taxonomy(car: &str) -> Result<Taxonomy, chain::TaxonomyError> {
    Taxonomy::from_sources(
        ("taxonomy.toml", TAXONOMY),
        vec![("CAR.toml".into(), car.into())],
    )
}

fn problems(car: &str) -> Vec<String> {
    match taxonomy(car) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn the_fixture_is_valid() {
    let t = taxonomy(CAR).unwrap();
    assert_eq!(t.clusters.len(), 1);
    assert_eq!(
        t.node("CAR.bms").unwrap().parent.as_deref(),
        Some("CAR.battery")
    );
    assert_eq!(t.children("CAR.battery").count(), 1);
    assert_eq!(t.fingerprint.len(), 64);
}

#[test]
fn a_changed_file_changes_the_fingerprint() {
    let a = taxonomy(CAR).unwrap();
    let b = taxonomy(&CAR.replace("importance = 2", "importance = 3")).unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_eq!(a.fingerprint, taxonomy(CAR).unwrap().fingerprint);
}

#[test]
fn duplicate_codes_are_refused() {
    let dup = CAR.replace("code = \"CAR.recycling\"", "code = \"CAR.bms\"");
    let p = problems(&dup);
    assert!(
        p.iter()
            .any(|p| p.contains("node CAR.bms") && p.contains("already used")),
        "{p:?}"
    );
}

#[test]
fn an_undeclared_supply_cycle_is_refused_and_a_declared_one_passes() {
    let p = problems(&CAR.replace("declared_cycle = true", "declared_cycle = false"));
    assert!(
        p.iter()
            .any(|p| p.contains("form a cycle") && p.contains("CAR.recycling")),
        "{p:?}"
    );
    assert!(problems(CAR).is_empty());
}

#[test]
fn every_node_needs_provenance() {
    let p = problems(&CAR.replace("source = \"test parts plan\"", "source = \"\""));
    assert!(
        p.iter()
            .any(|p| p.contains("node CAR.battery: source") && p.contains("official document")),
        "{p:?}"
    );
    // A node without the provenance field at all does not parse, and says which file.
    let p = problems(&CAR.replacen("provenance = \"official\"\n", "", 1));
    assert!(
        p.iter()
            .any(|p| p.starts_with("clusters/CAR.toml") && p.contains("provenance")),
        "{p:?}"
    );
}

#[test]
fn parents_supply_edges_ipc_tiers_and_dates_are_checked() {
    let cases = [
        (
            CAR.replace("parent = \"CAR.battery\"", "parent = \"CAR.nowhere\""),
            "parent",
        ),
        (
            CAR.replace("to = \"CAR.recycling\"", "to = \"CAR.nowhere\""),
            "'CAR.nowhere' is not a node",
        ),
        (
            CAR.replace("ipc = [\"H01M 4\"]", "ipc = [\"H1M\"]"),
            "not an IPC prefix",
        ),
        (
            CAR.replace("tier = \"trillion\"", "tier = \"galactic\""),
            "unknown tier",
        ),
        (
            CAR.replace(
                "effective_from = \"2023-07-01\"",
                "effective_from = \"2023-13-01\"",
            ),
            "not a date",
        ),
        (
            CAR.replace("importance = 2", "importance = 7"),
            "outside 1–5",
        ),
        (
            CAR.replace("code = \"CAR\"", "code = \"AUTO\""),
            "file name",
        ),
        (
            CAR.replace(
                "chain = \"CAR.main\"\nparent",
                "chain = \"CAR.other\"\nparent",
            ),
            "not a chain of CAR",
        ),
    ];
    for (text, expected) in cases {
        let p = problems(&text);
        assert!(p.iter().any(|p| p.contains(expected)), "{expected}: {p:?}");
    }
    // A parent loop is caught.
    let looped = CAR.replace(
        "code = \"CAR.battery\"\nchain = \"CAR.main\"",
        "code = \"CAR.battery\"\nchain = \"CAR.main\"\nparent = \"CAR.bms\"",
    );
    let p = problems(&looped);
    assert!(p.iter().any(|p| p.contains("loops back")), "{p:?}");
}

#[test]
fn the_shipped_taxonomy_is_valid_and_complete_enough() {
    let t = Taxonomy::shipped().unwrap_or_else(|e| panic!("{e}"));
    for code in ["ICV-NEV", "EIM", "AM"] {
        let c = t.cluster(code).unwrap();
        assert!(c.nodes.len() >= 15, "{code} has {} nodes", c.nodes.len());
        assert!(c.memberships.iter().any(|m| m.tier == "trillion"));
        for stage in chain::Stage::ALL {
            assert!(
                c.nodes.iter().any(|n| n.stage == stage),
                "{code} has no {stage:?} node"
            );
        }
    }
    // 3 + 3 + 6 confirmed clusters, 18 rising stars (some unconfirmed), the 6 + 3 future list.
    let in_tier = |tier: &str| {
        t.clusters
            .iter()
            .filter(|c| c.memberships.iter().any(|m| m.tier == tier))
            .count()
    };
    assert_eq!(in_tier("trillion"), 3);
    assert_eq!(in_tier("pillar"), 3);
    assert_eq!(in_tier("characteristic"), 6);
    assert!(in_tier("rising_star") >= 18);
    assert_eq!(in_tier("future_priority"), 6);
    assert_eq!(in_tier("future_potential"), 3);
    assert!(t
        .clusters
        .iter()
        .flat_map(|c| &c.memberships)
        .any(|m| m.tier == "rising_star" && m.status == chain::Status::Unconfirmed));
    for c in &t.clusters {
        assert!(!c.nodes.is_empty(), "{}", c.code);
        for n in &c.nodes {
            assert!(!n.source.is_empty(), "{}", n.code);
            if n.provenance == Provenance::Draft {
                assert!(n.source.contains("draft"), "{}: {}", n.code, n.source);
            }
        }
    }
    // The ICV/NEV parts categories of the 2023 plan are official nodes.
    let icv = t.cluster("ICV-NEV").unwrap();
    for zh in ["动力电池系统", "智能底盘系统", "汽车软件", "热管理系统"] {
        assert!(
            icv.nodes
                .iter()
                .any(|n| n.zh.contains(zh) && n.provenance == Provenance::Official),
            "{zh}"
        );
    }
}

fn subject(title: &str, keywords: &[&str], body: &str) -> Subject {
    Subject {
        title: title.into(),
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        body: body.into(),
        ..Default::default()
    }
}

#[test]
fn assignment_follows_keywords_ipc_and_declarations() {
    let t = taxonomy(CAR).unwrap();
    let a = Assigner::new(&t, AssignConfig::shipped());

    // Keywords in the title: the specific child wins and its parent is dropped.
    let r = a.assign(
        &subject("一种动力电池电池管理系统的荷电状态估计方法", &["BMS"], ""),
        None,
    );
    assert_eq!(r[0].node, "CAR.bms", "{r:?}");
    assert!(r.iter().all(|x| x.node != "CAR.battery"), "{r:?}");
    assert_eq!(r[0].method, Method::Rules);
    assert!(r[0]
        .evidence
        .iter()
        .any(|e| e.detail.contains("电池管理系统")));

    // An acronym only counts as a whole word: "AI" inside "maintain" is no evidence.
    let r = a.assign(
        &subject("How to maintain roads", &[], "maintain and retain"),
        None,
    );
    assert!(r.is_empty(), "{r:?}");
    let r = a.assign(&subject("AI driver for city buses", &["AI"], ""), None);
    assert_eq!(r[0].node, "CAR.ai");

    // IPC: a main group says more than a subclass, and a class two nodes claim says less to each.
    let mut s = subject("一种装置", &[], "");
    s.ipc = vec!["H01M 4/58".into()];
    let ev = |r: &[chain::Assignment], node: &str| {
        r.iter()
            .find(|x| x.node == node)
            .map(|x| x.evidence[0].weight)
    };
    let mut loose = AssignConfig::shipped();
    loose.min_confidence = 0.01;
    loose.relative_floor = 0.0;
    let all = Assigner::new(&t, loose).assign(&s, None);
    let (group, subclass) = (
        ev(&all, "CAR.material").unwrap(),
        ev(&all, "CAR.battery").unwrap(),
    );
    let cfg = AssignConfig::shipped();
    assert!(
        (group - cfg.ipc_group / 2f32.sqrt()).abs() < 1e-6,
        "{all:?}"
    );
    assert!(
        (subclass - cfg.ipc_subclass / 2f32.sqrt()).abs() < 1e-6,
        "{all:?}"
    );
    // With the record's words as well, the main group's node is the one assigned.
    s.title = "一种磷酸铁锂的制备方法".into();
    let r = a.assign(&s, None);
    assert_eq!(r[0].node, "CAR.material", "{r:?}");
    assert!(r.iter().all(|x| x.node != "CAR.battery"), "{r:?}");
    assert!(r[0]
        .evidence
        .iter()
        .any(|e| e.detail == "H01M 4/58 ∈ H01M 4"));

    // Industry code of an enterprise.
    let mut s = subject("某某有限公司", &[], "");
    s.industry_codes = vec!["3841".into()];
    let r = a.assign(&s, None);
    assert_eq!(r[0].node, "CAR.battery");

    // Nothing said, nothing assigned.
    assert!(a
        .assign(&subject("年度工作总结", &[], "会议纪要"), None)
        .is_empty());

    // What the record declares is kept, with full confidence.
    let mut s = subject("年度工作总结", &[], "");
    s.declared = vec!["CAR.recycling".into(), "CAR.unknown".into()];
    let r = a.assign(&s, None);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].method, Method::Declared);
    assert_eq!(r[0].confidence, 1.0);

    // Declaring another cluster lowers the confidence of this one's nodes.
    let plain = a.assign(&subject("动力电池包", &["电池包"], ""), None);
    let mut s = subject("动力电池包", &["电池包"], "");
    s.clusters = vec!["FOOD".into()];
    let elsewhere = a.assign(&s, None);
    assert!(elsewhere.is_empty() || elsewhere[0].confidence < plain[0].confidence);
}

#[test]
fn semantic_similarity_adds_evidence_when_vectors_exist() {
    let t = taxonomy(CAR).unwrap();
    // A semantic weight above the assignment threshold, so similarity alone can place a record.
    let mut cfg = AssignConfig::shipped();
    cfg.semantic.weight = 0.6;
    let a = Assigner::new(&t, cfg);
    let n = a.node_texts().len();
    // Orthonormal node vectors; the record points at the recycling node (index 4).
    let vectors: Vec<Vec<f32>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let a = a.with_node_vectors(vectors);
    assert!(a.semantic());
    let mut v = vec![0.0; n];
    v[4] = 1.0;
    let r = a.assign(&subject("年度工作总结", &[], ""), Some(&v));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].node, "CAR.recycling");
    assert_eq!(r[0].method, Method::Semantic);
    let r = a.assign(&subject("电池回收与梯次利用", &[], ""), Some(&v));
    assert_eq!(r[0].method, Method::Combined);
}

fn member(kind: MemberKind, id: i64, local: bool, trl: Option<u8>) -> Member {
    Member {
        kind,
        id,
        local,
        trl,
        open: true,
        tiers: vec![],
    }
}

#[test]
fn gap_statuses_follow_the_thresholds() {
    let t = taxonomy(CAR).unwrap();
    let cfg = GapConfig::shipped();
    assert_eq!(cfg.status.strong_min_enterprises, 3);
    let mut m: HashMap<String, Vec<Member>> = HashMap::new();
    use MemberKind::*;
    // materials: three local enterprises and three pieces of local supply → strong.
    m.insert(
        "CAR.material".into(),
        vec![
            member(Enterprise, 1, true, None),
            member(Enterprise, 2, true, None),
            member(Enterprise, 3, true, None),
            member(Lab, 10, true, None),
            member(Expert, 11, true, None),
            member(Outcome, 12, true, Some(5)),
        ],
    );
    // BMS (child of battery): one local enterprise, two foreign ones; research-stage outcomes only,
    // two open needs → battery is weak and, being important with needs and no mature local
    // technology, a bottleneck.
    m.insert(
        "CAR.bms".into(),
        vec![
            member(Enterprise, 4, true, None),
            member(Enterprise, 5, false, None),
            member(Enterprise, 6, false, None),
            member(Outcome, 13, true, Some(2)),
            member(Outcome, 14, false, Some(8)),
            member(Demand, 20, true, None),
            member(Demand, 21, false, None),
        ],
    );
    // autonomous driving: only foreign enterprises and a local lab → missing.
    m.insert(
        "CAR.ai".into(),
        vec![
            member(Enterprise, 7, false, None),
            member(Lab, 15, true, None),
        ],
    );
    let g = cluster_gaps(&t, "CAR", "500000", &m, &cfg).unwrap();
    let by = |code: &str| g.nodes.iter().find(|n| n.node == code).unwrap();
    assert_eq!(by("CAR.material").status, GapStatus::Strong);
    assert!(!by("CAR.material").bottleneck);
    let battery = by("CAR.battery");
    assert_eq!(battery.status, GapStatus::Weak);
    assert_eq!(
        battery.counts.local_enterprises, 1,
        "the child's members count for the parent"
    );
    assert_eq!(battery.counts.enterprises, 3);
    assert_eq!(battery.counts.open_needs, 2);
    assert_eq!(battery.counts.local_outcomes.research, 1);
    assert!(battery.bottleneck);
    let rules: Vec<&str> = battery.reasons.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["weak.few_enterprises", "weak.little_supply", "bottleneck"]
    );
    assert!(battery.reasons[0].zh.contains("1 家") && battery.reasons[0].zh.contains("3 家"));
    assert_eq!(by("CAR.ai").status, GapStatus::Missing);
    assert_eq!(by("CAR.ai").counts.local_labs, 1);
    assert_eq!(by("CAR.recycling").status, GapStatus::Missing);
    // Key technologies: importance × weakness (+ bottleneck): battery 5 × 1.1, bms 5 × 1.1 (same
    // members), ai 4 × 1.0, recycling 2 × 1.0; the strong materials link is not listed.
    assert_eq!(
        g.key_technologies,
        ["CAR.battery", "CAR.bms", "CAR.ai", "CAR.recycling"]
    );
    assert!((battery.priority - 5.5).abs() < 1e-5);

    // A stricter threshold turns the strong link weak, and says so.
    let mut strict = cfg.clone();
    strict.status.strong_min_enterprises = 4;
    let g = cluster_gaps(&t, "CAR", "500000", &m, &strict).unwrap();
    let material = g.nodes.iter().find(|n| n.node == "CAR.material").unwrap();
    assert_eq!(material.status, GapStatus::Weak);
    assert!(material.reasons[0].en.contains("fewer than the 4"));
}

#[test]
fn bad_config_is_refused_with_the_field_named() {
    let bad = chain::taxonomy::GAPS_FILE
        .replace("strong_min_enterprises = 3", "strong_min_enterprises = 0");
    assert!(GapConfig::parse(&bad)
        .unwrap_err()
        .contains("strong_min_enterprises"));
    let bad =
        chain::taxonomy::ASSIGNMENT_FILE.replace("min_confidence = 0.45", "min_confidence = 1.5");
    assert!(AssignConfig::parse(&bad)
        .unwrap_err()
        .contains("min_confidence"));
    let low = format!("low = {}", AssignConfig::shipped().semantic.low);
    assert!(chain::taxonomy::ASSIGNMENT_FILE.contains(&low));
    let bad = chain::taxonomy::ASSIGNMENT_FILE.replace(&low, "low = 0.99");
    assert!(AssignConfig::parse(&bad)
        .unwrap_err()
        .contains("semantic.low"));
}

fn filler(id: i64, locality: Locality, score: f32) -> Filler {
    Filler {
        kind: FillerKind::Outcome,
        record_kind: "outcome".into(),
        id,
        name: format!("o{id}"),
        sub_kind: "patent".into(),
        region: None,
        locality,
        trl: None,
        score,
        reasons_zh: vec![format!("r{id}")],
        reasons_en: vec![],
    }
}

#[test]
fn fillers_are_local_first_then_by_fit() {
    let f = rank(
        vec![
            filler(1, Locality::Elsewhere, 0.99),
            filler(2, Locality::Chengyu, 0.5),
            filler(3, Locality::Local, 0.2),
            filler(4, Locality::Local, 0.9),
            filler(3, Locality::Local, 0.7),
        ],
        10,
    );
    let ids: Vec<i64> = f.outcomes.iter().map(|f| f.id).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    assert_eq!(
        f.outcomes[1].score, 0.7,
        "a twice-found candidate keeps its best score"
    );
    assert_eq!(
        rank(vec![filler(1, Locality::Local, 0.1); 3], 1)
            .outcomes
            .len(),
        1
    );
}
