//! `shuanglian tier evaluate` on a file of hand-made profiles: the JSON shape the issue asks for,
//! results and gaps, the next tier, bad profiles reported without losing the good ones.

use super::{fixture, run, text};

#[test]
fn tier_evaluate_reports_each_scheme_and_criterion_and_keeps_good_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    let file = fixture("profiles.json");
    let inputs = tmp.path().join("assessor.json");
    std::fs::write(
        &inputs,
        r#"{"tech_sme_resident_enterprise": true, "tech_sme_not_serious_dishonesty": true}"#,
    )
    .unwrap();
    let o = run(
        tmp.path(),
        &[
            "tier",
            "evaluate",
            file.to_str().unwrap(),
            "--json",
            "--as-of",
            "2026-06-30",
            "--assessor",
            inputs.to_str().unwrap(),
        ],
    );
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(3),
        "the bad profile is reported: {err}"
    );
    assert!(err.contains("item 3: st_staff: 50 > employees 10"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 2, "the two good profiles are evaluated");
    let first = &all[0];
    assert_eq!(first["uscc"], "915001127DEM000011");
    let schemes = first["schemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 5);
    let tech = schemes.iter().find(|s| s["scheme"] == "tech_sme").unwrap();
    // 30% staff → 20; R&D 2.6/42 = 6.2% → 50; a Class-I IP → 30: 100.
    assert_eq!(tech["score"], 100.0);
    assert_eq!(tech["result"], "pass");
    for c in tech["criteria"].as_array().unwrap() {
        for key in ["id", "result", "kind"] {
            assert!(!c[key].is_null(), "{c}");
        }
    }
    let small = &all[1];
    let tech = small["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == "tech_sme")
        .unwrap();
    assert_eq!(tech["result"], "fail");

    // Text: results and the next tier's gaps.
    let o = run(
        tmp.path(),
        &[
            "tier",
            "evaluate",
            file.to_str().unwrap(),
            "--as-of",
            "2026-06-30",
            "--scheme",
            "tech_sme",
        ],
    );
    let (out, _) = text(&o);
    assert!(
        out.contains("tech_sme") && out.contains("未通过 fail"),
        "{out}"
    );
    assert!(out.contains("next (tech_enterprise): tech_sme"), "{out}");
    assert!(
        !out.contains("has_hte is false"),
        "direct routes are alternatives, not gaps: {out}"
    );
    // Unknown scheme and bad date are named.
    let o = run(
        tmp.path(),
        &[
            "tier",
            "evaluate",
            file.to_str().unwrap(),
            "--scheme",
            "unicorn",
        ],
    );
    assert!(
        text(&o).1.contains("unknown scheme 'unicorn'"),
        "{:?}",
        text(&o)
    );
    let o = run(
        tmp.path(),
        &[
            "tier",
            "evaluate",
            file.to_str().unwrap(),
            "--as-of",
            "June",
        ],
    );
    assert!(text(&o).1.contains("--as-of June"), "{:?}", text(&o));
}
