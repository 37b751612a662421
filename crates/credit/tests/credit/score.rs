//! Scoring profiles with the shipped card; the expected points are worked by hand from the card.

use chrono::NaiveDate;
use credit::{score, shipped, stage_of};
use rules::{Award, Financials, Ip, Profile};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

/// A growth-stage firm (6.5 years old, ¥50 m revenue).
fn firm() -> Profile {
    Profile {
        uscc: "91500000TEST00001X".into(),
        name: "测试科技有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2020, 1, 1),
        employees: Some(100),
        st_staff: Some(25),
        rd_staff: Some(20),
        financials: vec![
            Financials {
                year: 2024,
                revenue: Some(40e6),
                ..Default::default()
            },
            Financials {
                year: 2025,
                revenue: Some(50e6),
                rd_expense: Some(3e6),
                total_assets: Some(100e6),
                total_liabilities: Some(30e6),
                net_profit: Some(4e6),
                ..Default::default()
            },
        ],
        ip: Ip {
            class1: Some(4),
            class2: Some(8),
            ..Default::default()
        },
        qualifications: vec!["hte".into()],
        awards: vec![Award {
            level: "provincial".into(),
            year: 2023,
            rank: Some(2),
        }],
        ..Default::default()
    }
}

#[test]
fn hand_worked_growth_firm() {
    let card = shipped();
    let s = score(&card, &firm(), &[], as_of());
    assert_eq!(s.stage, "growth");
    // IP 6 → 0.85×18 = 15.3; R&D 6% → 0.8×18 = 14.4; S&T 25% → 0.85×10 = 8.5; awards 1 → 0.6×6 = 3.6;
    // tier hte=2 → 0.7×10 = 7; growth 25% → 16; margin 8% → 0.9×10 = 9; debt 30% → 12. Sum 85.8.
    let pts: Vec<(&str, f64)> = s
        .factors
        .iter()
        .map(|f| (f.code.as_str(), f.points))
        .collect();
    let want = [
        ("IP", 15.3),
        ("RD_INTENSITY", 14.4),
        ("TALENT", 8.5),
        ("AWARDS", 3.6),
        ("TIER", 7.0),
        ("REVENUE_GROWTH", 16.0),
        ("PROFITABILITY", 9.0),
        ("LEVERAGE", 12.0),
    ];
    for ((c, p), (wc, wp)) in pts.iter().zip(want) {
        assert_eq!(*c, wc);
        assert!((p - wp).abs() < 1e-9, "{c}: {p} vs {wp}");
    }
    assert_eq!(s.score, 85.8);
    assert_eq!(s.unknown_points, 0.0);
    assert_eq!(s.grade.as_deref(), Some("A"));
    assert_eq!(s.credit_line_yuan, 5_000_000);
    let codes: Vec<&str> = s.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        ["RD_INTENSITY_LOW", "TIER_LOW", "IP_FEW", "AWARDS_FEW"]
    );
    let rd = &s.reasons[0];
    assert!(
        rd.en.contains("6.0%") && rd.en.contains("≥ 8.0%"),
        "{}",
        rd.en
    );
    assert!(
        rd.zh.contains("6.0%") && rd.zh.contains("≥ 8.0%"),
        "{}",
        rd.zh
    );
    assert!((rd.lost_points - 3.6).abs() < 1e-9);
    assert_eq!(s.card_fingerprint, card.fingerprint);
}

#[test]
fn extra_tiers_count_and_dedupe() {
    let card = shipped();
    let s = score(
        &card,
        &firm(),
        &["little_giant".into(), "hte".into()],
        as_of(),
    );
    assert_eq!(s.tiers, ["hte", "little_giant"]);
    assert_eq!(s.score, 88.8);
}

#[test]
fn missing_data_scores_zero_and_says_so() {
    let card = shipped();
    let mut p = firm();
    p.financials.clear();
    let s = score(&card, &p, &[], as_of());
    assert_eq!(s.stage, "growth"); // age alone decides
    assert_eq!(s.score, 34.4);
    assert_eq!(s.unknown_points, 56.0); // 18 + 16 + 10 + 12
    assert_eq!(s.grade, None);
    assert_eq!(s.credit_line_yuan, 0);
    let codes: Vec<&str> = s.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "SCORE_BELOW_GRADE_E",
            "DATA_MISSING_RD_INTENSITY",
            "DATA_MISSING_REVENUE_GROWTH",
            "DATA_MISSING_LEVERAGE",
            "DATA_MISSING_PROFITABILITY"
        ]
    );
    let rd = s.factors.iter().find(|f| f.code == "RD_INTENSITY").unwrap();
    assert!(rd.unknown && rd.value.is_none() && rd.points == 0.0);
    assert!(s.reasons[1].en.contains("rd_ratio_last_year"));
}

#[test]
fn disqualifying_flag_means_no_grade() {
    let card = shipped();
    let mut p = firm();
    p.flags.major_accident = true;
    let s = score(&card, &p, &[], as_of());
    assert!(s.disqualified);
    assert_eq!(s.grade, None);
    assert_eq!(s.credit_line_yuan, 0);
    assert_eq!(s.reasons[0].code, "DISQUALIFIED_MAJOR_ACCIDENT");
    assert_eq!(s.score, 85.8); // still shown, for the record
}

#[test]
fn invalid_profile_gets_no_grade() {
    let card = shipped();
    let mut p = firm();
    p.st_staff = Some(200);
    let s = score(&card, &p, &[], as_of());
    assert_eq!(s.grade, None);
    assert_eq!(s.reasons[0].code, "PROFILE_INVALID");
    assert!(s.reasons[0].en.contains("st_staff"));
}

#[test]
fn stage_rule() {
    let card = shipped();
    let mut p = firm();
    p.registered_on = NaiveDate::from_ymd_opt(2025, 1, 1);
    assert_eq!(stage_of(&card, &p, as_of()), "startup");
    let mut p = firm();
    p.registered_on = NaiveDate::from_ymd_opt(2010, 1, 1);
    p.financials[1].revenue = Some(200e6);
    assert_eq!(stage_of(&card, &p, as_of()), "mature");
    p.financials[1].revenue = Some(3e6);
    assert_eq!(stage_of(&card, &p, as_of()), "startup");
    let empty = Profile {
        uscc: "x".into(),
        ..Default::default()
    };
    assert_eq!(stage_of(&card, &empty, as_of()), "growth"); // unknown_stage
}

#[test]
fn lower_is_better_reason_points_down() {
    let card = shipped();
    let mut p = firm();
    p.financials[1].total_liabilities = Some(60e6); // 60% → 0.75 of 12
    let s = score(&card, &p, &[], as_of());
    let lev = s.factors.iter().find(|f| f.code == "LEVERAGE").unwrap();
    assert!((lev.points - 9.0).abs() < 1e-9);
    let r = s
        .reasons
        .iter()
        .find(|r| r.code == "DEBT_RATIO_HIGH")
        .unwrap();
    assert!(
        r.en.contains("60.0%") && r.en.contains("< 50.0%"),
        "{}",
        r.en
    );
}

#[test]
fn deterministic_and_serialisable() {
    let card = shipped();
    let a = serde_json::to_string(&score(&card, &firm(), &[], as_of())).unwrap();
    let b = serde_json::to_string(&score(&card, &firm(), &[], as_of())).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("\"grade\":\"A\""));
}

#[test]
fn no_awards_and_nothing_unknown_are_plain_zeros_not_minus_zero() {
    let card = shipped();
    let mut p = firm();
    p.awards.clear();
    let s = score(&card, &p, &[], as_of());
    let awards = s.factors.iter().find(|f| f.code == "AWARDS").unwrap();
    assert_eq!(awards.value, Some(0.0));
    assert!(awards.value.unwrap().is_sign_positive(), "{awards:?}");
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("-0.0"), "{json}");
    for r in &s.reasons {
        assert!(!r.en.contains("-0"), "{}", r.en);
    }
}

#[test]
fn a_qualification_given_by_its_chinese_name_counts_as_its_tier() {
    let card = shipped();
    let mut by_code = firm();
    by_code.qualifications = vec!["hte".into()];
    let mut by_name = firm();
    by_name.qualifications = vec!["高新技术企业".into()];
    let a = score(&card, &by_code, &[], as_of());
    let b = score(&card, &by_name, &[], as_of());
    assert_eq!(a.tiers, vec!["hte".to_string()]);
    assert_eq!(b.tiers, a.tiers);
    assert_eq!(b.score, a.score);
}
