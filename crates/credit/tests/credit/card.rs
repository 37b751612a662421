//! The shipped card and the loader's checks.

use credit::card::{parse_card, shipped, SHIPPED_CARD};
use credit::CardError;

#[test]
fn shipped_card_is_valid_and_weights_sum_to_100() {
    let card = shipped();
    assert_eq!(card.scheme, "cq_knowledge_value");
    assert_eq!(card.version, "2026.1-draft");
    let stages: Vec<&str> = card.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(stages, ["startup", "growth", "mature"]);
    for s in &stages {
        let sum: f64 = card.weights[*s].factors.values().sum();
        assert_eq!(sum, 100.0, "{s}");
    }
    let innovation = |s: &str| -> f64 {
        card.factors
            .iter()
            .filter(|f| f.group == "innovation")
            .map(|f| card.weight(s, &f.code))
            .sum()
    };
    assert!(innovation("startup") > innovation("growth"));
    assert!(innovation("growth") > innovation("mature"));
    let lines: Vec<(String, u64)> = card
        .grades
        .iter()
        .map(|g| (g.grade.clone(), g.credit_line_yuan))
        .collect();
    assert_eq!(
        lines,
        [
            ("A".to_string(), 5_000_000),
            ("B".into(), 4_000_000),
            ("C".into(), 3_000_000),
            ("D".into(), 1_600_000),
            ("E".into(), 800_000)
        ]
    );
    assert!(card.grades.iter().all(|g| g
        .line_source
        .contains("Chongqing default, policy-rules.md §4a, confirmed")));
    assert!(card
        .weights
        .values()
        .all(|w| w.source.contains("official weights unpublished")));
}

#[test]
fn fingerprint_is_sha256_of_the_text() {
    let card = shipped();
    assert_eq!(card.fingerprint.len(), 64);
    assert_eq!(card.fingerprint, credit::fingerprint(SHIPPED_CARD));
    assert_ne!(
        card.fingerprint,
        credit::fingerprint(&format!("{SHIPPED_CARD}\n"))
    );
}

#[test]
fn loader_reports_every_problem_with_key_and_fix() {
    let broken = SHIPPED_CARD
        .replace("IP = 22, RD_INTENSITY = 22", "IP = 30, RD_INTENSITY = 22")
        .replace("metric = \"st_staff_ratio\"", "metric = \"staff_share\"")
        .replace(
            "{ from = 0.03, points = 0.5 }",
            "{ from = 0.005, points = 0.5 }",
        )
        .replace("min_score = 75.0", "min_score = 90.0")
        .replace("unknown_stage = \"growth\"", "unknown_stage = \"teen\"");
    let err = parse_card("broken.toml", &broken).unwrap_err();
    let CardError::Invalid { file, problems } = &err else {
        panic!("expected Invalid, got {err}");
    };
    assert_eq!(file, "broken.toml");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for want in [
        "weights.startup.factors",
        "factor[2] (TALENT).metric",
        "factor[1] (RD_INTENSITY).bands[2].from",
        "grade[1] (B).min_score",
        "stage_rule.unknown_stage",
    ] {
        assert!(keys.contains(&want), "missing {want} in {keys:?}");
    }
    assert!(problems.iter().all(|p| p.message.contains("fix:")), "{err}");
    let text = err.to_string();
    assert!(text.contains("weights sum to 108"), "{text}");
}

#[test]
fn loader_names_missing_weights_and_bad_syntax() {
    let broken = SHIPPED_CARD.replace(", LEVERAGE = 18 }", " }");
    let err = parse_card("w.toml", &broken).unwrap_err().to_string();
    assert!(
        err.contains("weights.mature.factors.LEVERAGE: missing"),
        "{err}"
    );
    let err = parse_card("s.toml", "scheme = ").unwrap_err().to_string();
    assert!(
        err.starts_with("s.toml: not a valid scorecard file"),
        "{err}"
    );
    let err = credit::load_card(std::path::Path::new("/nonexistent/card.toml")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/card.toml"));
}

#[test]
fn load_card_from_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.toml");
    std::fs::write(&path, SHIPPED_CARD).unwrap();
    let card = credit::load_card(&path).unwrap();
    assert_eq!(card.fingerprint, shipped().fingerprint);
}
