//! Hand-worked enterprise profiles for the MIIT quality-SME ladder: 创新型中小企业 (`innovative_sme`),
//! 专精特新中小企业 (`zjtx_sme`) and 专精特新"小巨人" (`little_giant`). Each expected result, score and
//! per-criterion point count was worked out by hand from `data/rules/<scheme>.toml` (the arithmetic is
//! in the comments), not read back from the evaluator: a pass with the assessor inputs it needs, a
//! fail for a named reason (with its gap in words), and unknowns from a missing fact or a missing
//! assessor input, which are never a pass. As of 2026-06-30, so "last year" is 2025. Money in yuan.

use chrono::NaiveDate;
use rules::{
    evaluate, load_shipped, AssessorInputs, Award, CriterionResult, Financials, Ip, Outcome,
    Profile, Scheme, SchemeResult,
};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

fn eval(scheme: &str, p: &Profile, inputs: &AssessorInputs) -> SchemeResult {
    assert!(p.check().is_empty(), "profile problems: {:?}", p.check());
    let all: Vec<Scheme> = load_shipped().unwrap_or_else(|p| panic!("{p:?}"));
    let s = all.iter().find(|s| s.scheme == scheme).unwrap();
    evaluate(s, &all, p, as_of(), inputs)
}

fn crit<'a>(r: &'a SchemeResult, id: &str) -> &'a CriterionResult {
    r.criteria
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{}: no criterion {id}", r.scheme))
}

fn points(r: &SchemeResult, id: &str) -> f64 {
    crit(r, id).points.unwrap()
}

fn gap(r: &SchemeResult, id: &str) -> String {
    crit(r, id)
        .gap
        .clone()
        .unwrap_or_else(|| panic!("{id}: no gap text: {:?}", crit(r, id)))
}

fn inputs(pairs: &[(&str, f64)]) -> AssessorInputs {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn year(y: i32) -> Financials {
    Financials {
        year: y,
        ..Financials::default()
    }
}

// =================================================================================================
// 创新型中小企业 innovative_sme: 100 points, pass line 60, block minimums innovation 20, growth 15,
// specialisation 15; a direct pass replaces the score.

/// Base profile, worked by hand:
///   ip: high-value 0, self-developed 0, Class-I 1               → ladder step "Class-I ≥ 1" = 10
///   rd_ratio 2025: ¥1.0m / ¥50m = 2%  (band 2–3%)                → 10      innovation  = 20 (≥ 20)
///   main growth 2025: ¥44m / ¥40m − 1 = 10% (band 10–15%)        → 15
///   debt 2025: ¥22m / ¥40m = 55% (55% itself is in 55–75%)      →  5      growth      = 20 (≥ 15)
///   strategic emerging: false (points_false)                    →  5
///   main share 2025: ¥44m / ¥50m = 88% (≥ 70%)                  → 20      specialisation = 25 (≥ 15)
///   total 10 + 10 + 15 + 5 + 5 + 20 = 65 ≥ 60.
/// Direct passes all fail: no HTE; municipal R&D institution (2 < 3); equity 2023–2025 ¥1.0m + ¥1.0m
/// + ¥2.9m = ¥4.9m < ¥5m; the two assessor flags are given separately (see `isme_no_direct`).
fn isme_base() -> Profile {
    Profile {
        uscc: "91500000MA5UISME01".into(),
        name: "重庆创新示例有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2018, 3, 1),
        employees: Some(120),
        st_staff: Some(30),
        rd_staff: Some(20),
        financials: vec![
            Financials {
                equity_financing: Some(1_000_000.0),
                ..year(2023)
            },
            Financials {
                revenue: Some(45_000_000.0),
                main_revenue: Some(40_000_000.0),
                equity_financing: Some(1_000_000.0),
                ..year(2024)
            },
            Financials {
                revenue: Some(50_000_000.0),
                main_revenue: Some(44_000_000.0),
                rd_expense: Some(1_000_000.0),
                total_assets: Some(40_000_000.0),
                total_liabilities: Some(22_000_000.0),
                equity_financing: Some(2_900_000.0),
                ..year(2025)
            },
        ],
        ip: Ip {
            class1: Some(1),
            class1_self_developed: Some(0),
            class1_high_value: Some(0),
            class2: Some(2),
        },
        rd_institution_level: Some("municipal".into()),
        strategic_emerging_product: Some(false),
        ..Profile::default()
    }
}

/// The assessor says no to both assessor direct passes (S&T award, other title).
fn isme_no_direct() -> AssessorInputs {
    inputs(&[("isme_st_award_3y", 0.0), ("isme_other_title", 0.0)])
}

/// Strong on innovation and growth, weak on specialisation. By hand:
///   ip: high-value Class-I 1 → 20; rd 2025 ¥5m / ¥100m = 5% → 20           innovation 40
///   growth ¥48m / ¥40m − 1 = 20% → 20; debt ¥12m / ¥40m = 30% (< 55%) → 10  growth 30
///   strategic false → 5; main share ¥48m / ¥100m = 48% (< 50%) → 0          specialisation 5
///   total 40 + 30 + 5 = 75 ≥ 60, but specialisation 5 < 15: the score route fails.
fn isme_lopsided() -> Profile {
    let mut p = isme_base();
    p.ip.class1_high_value = Some(1);
    p.ip.class1_self_developed = Some(1);
    let y25 = p.financials.iter_mut().find(|f| f.year == 2025).unwrap();
    y25.revenue = Some(100_000_000.0);
    y25.main_revenue = Some(48_000_000.0);
    y25.rd_expense = Some(5_000_000.0);
    y25.total_liabilities = Some(12_000_000.0);
    p
}

#[test]
fn isme_passes_at_65_with_blocks_at_their_minimums() {
    let r = eval("innovative_sme", &isme_base(), &isme_no_direct());
    assert_eq!(r.score, Some(65.0));
    assert_eq!(r.score_range, None);
    assert_eq!(r.result, Outcome::Pass);
    assert_eq!(r.direct_pass, None);
    assert_eq!(points(&r, "ip"), 10.0);
    assert_eq!(points(&r, "rd_ratio"), 10.0);
    assert_eq!(points(&r, "main_revenue_growth"), 15.0);
    assert_eq!(points(&r, "debt_ratio"), 5.0, "55% is in the 55–75% band");
    assert_eq!(points(&r, "strategic_emerging"), 5.0);
    assert_eq!(points(&r, "main_revenue_share"), 20.0);
    // The score route passed, so the direct passes (all failing here) do not matter.
    assert_eq!(crit(&r, "equity_financing").result, Outcome::Fail);
    // The score does not need the assessor at all: the same without any input.
    let r = eval("innovative_sme", &isme_base(), &AssessorInputs::new());
    assert_eq!((r.result, r.score), (Outcome::Pass, Some(65.0)));
}

#[test]
fn isme_fails_on_the_specialisation_block_minimum_despite_75_points() {
    let r = eval("innovative_sme", &isme_lopsided(), &isme_no_direct());
    // 20 + 20 + 20 + 10 + 5 + 0 = 75.
    assert_eq!(r.score, Some(75.0));
    assert_eq!(points(&r, "ip"), 20.0);
    assert_eq!(points(&r, "rd_ratio"), 20.0);
    assert_eq!(points(&r, "main_revenue_growth"), 20.0);
    assert_eq!(points(&r, "debt_ratio"), 10.0);
    assert_eq!(points(&r, "main_revenue_share"), 0.0);
    assert_eq!(r.result, Outcome::Fail, "specialisation 5 < 15");
    assert_eq!(r.direct_pass, None);
    // The weak indicator says what the next band needs: 48% → 50% for 5 points.
    let g = gap(&r, "main_revenue_share");
    assert!(
        g.contains("48.0%") && g.contains("50.0%") && g.contains("5 points"),
        "{g}"
    );
    // And each direct pass says why it does not apply.
    assert_eq!(crit(&r, "equity_financing").result, Outcome::Fail);
    let g = gap(&r, "equity_financing");
    assert!(g.contains("¥4.90m") && g.contains("short by ¥0.10m"), "{g}");
    assert_eq!(crit(&r, "rd_institution").result, Outcome::Fail);
    assert_eq!(crit(&r, "hte_certificate").result, Outcome::Fail);
    let g = gap(&r, "st_award");
    // Named by what is judged, not by the input's key.
    assert!(
        g.contains("assessor's judgment") && g.contains("false") && !g.contains("isme_st_award_3y"),
        "{g}"
    );
}

#[test]
fn isme_direct_pass_by_the_assessors_award_replaces_the_block_minimum() {
    let r = eval(
        "innovative_sme",
        &isme_lopsided(),
        &inputs(&[("isme_st_award_3y", 1.0), ("isme_other_title", 0.0)]),
    );
    assert_eq!(r.result, Outcome::Pass);
    assert_eq!(r.direct_pass.as_deref(), Some("st_award"));
    assert_eq!(r.score, Some(75.0), "the score is still reported");
}

#[test]
fn isme_missing_assessor_input_on_a_direct_pass_is_unknown() {
    // Score route fails (above); isme_other_title not given → that direct pass is unknown, so the
    // scheme is unknown, never a pass.
    let r = eval(
        "innovative_sme",
        &isme_lopsided(),
        &inputs(&[("isme_st_award_3y", 0.0)]),
    );
    assert_eq!(r.result, Outcome::Unknown);
    assert_eq!(crit(&r, "other_title").result, Outcome::Unknown);
    assert!(gap(&r, "other_title").contains("not given"));
}

#[test]
fn isme_missing_ip_counts_make_the_score_a_range_and_the_result_unknown() {
    // IP unknown: the ladder may score 0..20. Innovation 0+10 .. 20+10 = 10..30 (minimum 20);
    // total 55..75 (line 60): both undecided, direct passes all fail → unknown.
    let mut p = isme_base();
    p.ip = Ip::default();
    let r = eval("innovative_sme", &p, &isme_no_direct());
    assert_eq!(r.score, None);
    assert_eq!(r.score_range, Some((55.0, 75.0)));
    assert_eq!(r.result, Outcome::Unknown);
    assert_eq!(crit(&r, "ip").result, Outcome::Unknown);
    assert_eq!(points(&r, "ip"), 0.0, "points are the lower bound");
}

#[test]
fn isme_a_missing_fact_that_cannot_change_the_outcome_still_passes() {
    // Strategic-emerging unknown: 5 or 10. Total 65..70, specialisation 25..30: passes either way.
    let mut p = isme_base();
    p.strategic_emerging_product = None;
    let r = eval("innovative_sme", &p, &isme_no_direct());
    assert_eq!(r.score_range, Some((65.0, 70.0)));
    assert_eq!(r.result, Outcome::Pass);
}

#[test]
fn isme_growth_of_exactly_15_percent_scores_20() {
    // Base with 2025 main revenue ¥46m: growth 46/40 − 1 = 15% → 20; share 46/50 = 92% → 20.
    // 10 + 10 + 20 + 5 + 5 + 20 = 70.
    let mut p = isme_base();
    p.financials[2].main_revenue = Some(46_000_000.0);
    let r = eval("innovative_sme", &p, &isme_no_direct());
    assert_eq!(points(&r, "main_revenue_growth"), 20.0);
    assert_eq!(r.score, Some(70.0));
}

// =================================================================================================
// 专精特新中小企业 zjtx_sme: conditions 1–3 all required; condition 4 is 100 points ≥ 60 or a direct
// route; requires innovative_sme (marked unconfirmed in the table).

/// Worked by hand (2023 / 2024 / 2025):
///   revenue ¥45m / ¥52m / ¥55m; main ¥40m / ¥46m / ¥50.6m; R&D 2024 ¥3.0m, 2025 ¥4.0m;
///   2025 net profit ¥4.4m, assets ¥50m, liabilities ¥25m; 200 staff, 30 in R&D; 7 years in niche;
///   IP self-developed Class-I 2; provincial R&D institution.
/// Conditions: niche 7 ≥ 2; R&D ¥4.0m ≥ ¥1m; R&D 4/55 = 7.27% ≥ 3%; revenue ¥55m ≥ ¥10m: all pass.
/// Specialisation: share 50.6/55 = 92% → 5; growth ½(46/40 − 1 + 50.6/46 − 1) = ½(15% + 10%) = 12.5%
///   → 10; years 7 (three full 2-year spans) → 3; main product field (assessor) 3     = 21
/// Refinement: digitalisation (assessor) 3; quality (assessor 6, capped at 5) 5; net margin
///   4.4/55 = 8% → 8; debt 25/50 = 50% (not < 50%, < 60%) → 3                         = 19
/// Distinctiveness: regional (assessor) 9                                              =  9
/// Innovation: IP self-developed → 8; R&D best of ¥4.0m → 8 and 7.27% → 6 = 8;
///   R&D staff 30/200 = 15% → 3; provincial institution → 8                           = 27
/// Total 21 + 19 + 9 + 27 = 76 ≥ 60.
/// innovative_sme (required) on the same profile: IP 15 + R&D 7.27% 20 + growth 10% 15 + debt 50% 10
///   + strategic 10 + share 92% 20 = 90, and the provincial institution is a direct pass: pass.
fn zjtx_base() -> Profile {
    Profile {
        uscc: "91500000MA5UZJTX02".into(),
        name: "重庆专精示例有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2016, 5, 1),
        employees: Some(200),
        st_staff: Some(60),
        rd_staff: Some(30),
        financials: vec![
            Financials {
                revenue: Some(45_000_000.0),
                main_revenue: Some(40_000_000.0),
                equity_financing: Some(0.0),
                ..year(2023)
            },
            Financials {
                revenue: Some(52_000_000.0),
                main_revenue: Some(46_000_000.0),
                rd_expense: Some(3_000_000.0),
                equity_financing: Some(0.0),
                ..year(2024)
            },
            Financials {
                revenue: Some(55_000_000.0),
                main_revenue: Some(50_600_000.0),
                rd_expense: Some(4_000_000.0),
                net_profit: Some(4_400_000.0),
                total_assets: Some(50_000_000.0),
                total_liabilities: Some(25_000_000.0),
                equity_financing: Some(0.0),
                ..year(2025)
            },
        ],
        ip: Ip {
            class1: Some(3),
            class1_self_developed: Some(2),
            class1_high_value: Some(0),
            class2: Some(5),
        },
        rd_institution_level: Some("provincial".into()),
        years_in_niche: Some(7.0),
        strategic_emerging_product: Some(true),
        ..Profile::default()
    }
}

fn zjtx_assessed() -> AssessorInputs {
    inputs(&[
        ("zjtx_main_product_field", 3.0),
        ("zjtx_digitalisation", 3.0),
        ("zjtx_quality_management", 6.0),
        ("zjtx_regional", 9.0),
    ])
}

/// Every assessor input 0 (and no Maker China top 500): spec 18, refinement 11, regional 0,
/// innovation 27 = 56.
fn zjtx_assessed_low() -> AssessorInputs {
    inputs(&[
        ("zjtx_main_product_field", 0.0),
        ("zjtx_digitalisation", 0.0),
        ("zjtx_quality_management", 0.0),
        ("zjtx_regional", 0.0),
        ("zjtx_maker_china_top500_3y", 0.0),
    ])
}

fn zjtx(p: &Profile, i: &AssessorInputs) -> SchemeResult {
    eval("zjtx_sme", p, i)
}

#[test]
fn zjtx_passes_at_76() {
    let r = zjtx(&zjtx_base(), &zjtx_assessed());
    assert_eq!(r.score, Some(76.0));
    assert_eq!(r.result, Outcome::Pass);
    assert_eq!(r.direct_pass, None);
    for c in [
        "years_in_niche",
        "rd_expense_1m",
        "rd_ratio_3pct",
        "revenue_or_financing",
    ] {
        assert_eq!(crit(&r, c).result, Outcome::Pass, "{c}");
    }
    assert_eq!(points(&r, "main_revenue_share"), 5.0);
    assert_eq!(points(&r, "main_revenue_growth_2y"), 10.0);
    assert_eq!(points(&r, "years_in_niche_points"), 3.0);
    assert_eq!(points(&r, "quality_management"), 5.0, "6 capped at 5");
    assert_eq!(points(&r, "net_margin"), 8.0);
    assert_eq!(points(&r, "debt_ratio"), 3.0, "50% is not < 50%");
    assert_eq!(points(&r, "ip"), 8.0);
    assert_eq!(
        points(&r, "rd_spend"),
        8.0,
        "best of ¥4.0m (8) and 7.27% (6)"
    );
    assert_eq!(points(&r, "rd_staff"), 3.0);
    assert_eq!(points(&r, "rd_institution"), 8.0);
    // The required scheme, by hand above.
    let i = eval("innovative_sme", &zjtx_base(), &zjtx_assessed());
    assert_eq!((i.result, i.score), (Outcome::Pass, Some(90.0)));
}

#[test]
fn zjtx_fails_the_rd_ratio_condition_even_with_a_direct_route() {
    // 2025 R&D ¥1.5m: ¥1.5m ≥ ¥1m passes; 1.5/55 = 2.73% < 3% fails (3% of ¥55m = ¥1.65m: +¥0.15m).
    // A provincial award (2024, rank 2) is a direct route, but it replaces only the score.
    // Score: R&D best of ¥1.5m → 2 and 2.73% → 0 = 2; innovation 8 + 2 + 3 + 8 = 21;
    // total 21 + 19 + 9 + 21 = 70.
    let mut p = zjtx_base();
    p.financials[2].rd_expense = Some(1_500_000.0);
    p.awards = vec![Award {
        level: "provincial".into(),
        year: 2024,
        rank: Some(2),
    }];
    let r = zjtx(&p, &zjtx_assessed());
    assert_eq!(r.score, Some(70.0));
    assert_eq!(points(&r, "rd_spend"), 2.0);
    assert_eq!(r.direct_pass.as_deref(), Some("provincial_award"));
    assert_eq!(crit(&r, "rd_expense_1m").result, Outcome::Pass);
    assert_eq!(crit(&r, "rd_ratio_3pct").result, Outcome::Fail);
    let g = gap(&r, "rd_ratio_3pct");
    assert!(
        g.contains("2.7%") && g.contains("3.0%") && g.contains("+¥0.15m R&D needed"),
        "{g}"
    );
    assert_eq!(r.result, Outcome::Fail);
}

#[test]
fn zjtx_fails_the_score_at_56_with_no_direct_route() {
    // Assessor inputs all 0: spec 5 + 10 + 3 + 0 = 18; refinement 0 + 0 + 8 + 3 = 11; regional 0;
    // innovation 27. Total 56 < 60. Direct routes: no awards; R&D avg ½(3.0 + 4.0) = ¥3.5m < ¥10m
    // (short ¥6.5m); equity 2024–2025 ¥0 < ¥60m; Maker China: no.
    let r = zjtx(&zjtx_base(), &zjtx_assessed_low());
    assert_eq!(r.score, Some(56.0));
    assert_eq!(points(&r, "regional"), 0.0);
    assert_eq!(points(&r, "net_margin"), 8.0);
    assert_eq!(r.result, Outcome::Fail);
    assert_eq!(r.direct_pass, None);
    let g = gap(&r, "rd_expense_avg_10m");
    assert!(g.contains("¥3.50m") && g.contains("short by ¥6.50m"), "{g}");
    let g = gap(&r, "net_margin");
    assert!(
        g.contains("8.0%") && g.contains("10.0%") && g.contains("10 points"),
        "{g}"
    );
    for d in [
        "provincial_award",
        "national_award",
        "equity_financing_60m",
        "maker_china_top500",
    ] {
        assert_eq!(crit(&r, d).result, Outcome::Fail, "{d}");
    }
}

#[test]
fn zjtx_missing_regional_score_is_unknown() {
    // As the 56 above but the regional score not given: 56..71 straddles 60 → unknown.
    let mut i = zjtx_assessed_low();
    i.remove("zjtx_regional");
    let r = zjtx(&zjtx_base(), &i);
    assert_eq!(r.score, None);
    assert_eq!(r.score_range, Some((56.0, 71.0)));
    assert_eq!(crit(&r, "regional").result, Outcome::Unknown);
    assert_eq!(r.result, Outcome::Unknown);
}

#[test]
fn zjtx_missing_years_in_niche_is_unknown_never_a_pass() {
    // Years in niche not given: condition 1 unknown; its points 0..5 instead of 3 → 73..78.
    let mut p = zjtx_base();
    p.years_in_niche = None;
    let r = zjtx(&p, &zjtx_assessed());
    assert_eq!(r.score_range, Some((73.0, 78.0)));
    assert_eq!(crit(&r, "years_in_niche").result, Outcome::Unknown);
    assert_eq!(r.result, Outcome::Unknown);
}

#[test]
fn zjtx_fails_when_the_required_innovative_sme_fails() {
    // 2025 revenue ¥100m (main ¥50.6m), municipal institution, not strategic emerging.
    // innovative_sme: IP 15 + R&D 4% 15 = 30; growth 50.6/46 = 10% → 15 + debt 50% 10 = 25;
    //   strategic false 5 + share 50.6% 5 = 10 < 15 → block minimum fails; no direct pass
    //   (municipal 2 < 3, equity ¥0, assessor flags 0, no HTE): fail at 65.
    // zjtx on its own: conditions pass (R&D ¥4.0m, 4%, revenue ¥100m);
    //   spec: share 50.6% → 0, growth 12.5% → 10, years 3, field 3 = 16;
    //   refinement: 3 + 5 + net margin 4.4% → 4 + debt 3 = 15; regional 9;
    //   innovation: IP 8, R&D best of ¥4.0m → 8 and 4% → 4 = 8, staff 3, municipal 4 = 23;
    //   total 16 + 15 + 9 + 23 = 63 ≥ 60 — but the required scheme fails.
    let mut p = zjtx_base();
    p.financials[2].revenue = Some(100_000_000.0);
    p.rd_institution_level = Some("municipal".into());
    p.strategic_emerging_product = Some(false);
    let mut i = zjtx_assessed();
    i.insert("isme_st_award_3y".into(), 0.0);
    i.insert("isme_other_title".into(), 0.0);
    let isme = eval("innovative_sme", &p, &i);
    assert_eq!((isme.result, isme.score), (Outcome::Fail, Some(65.0)));
    let r = zjtx(&p, &i);
    assert_eq!(r.score, Some(63.0));
    assert_eq!(points(&r, "main_revenue_share"), 0.0);
    assert_eq!(points(&r, "net_margin"), 4.0);
    assert_eq!(points(&r, "rd_institution"), 4.0);
    for c in [
        "years_in_niche",
        "rd_expense_1m",
        "rd_ratio_3pct",
        "revenue_or_financing",
    ] {
        assert_eq!(crit(&r, c).result, Outcome::Pass, "{c}");
    }
    assert_eq!(r.result, Outcome::Fail);
    // The failure is explained where it is: the required scheme's criterion names its gap.
    let req = crit(&r, "requires_innovative_sme");
    assert_eq!(req.result, Outcome::Fail);
    let gap = req.gap.as_deref().unwrap_or("");
    assert!(
        gap.contains("required scheme innovative_sme fails"),
        "{gap}"
    );
}

// =================================================================================================
// 专精特新"小巨人" little_giant: no score; every condition (专/精/特/新/链/品) must hold.

/// Worked by hand (2023 / 2024 / 2025): revenue ¥60m / ¥68m / ¥80m; main ¥50m / ¥56m / ¥64m;
/// R&D 2025 ¥5.6m; 2025 assets ¥70m, liabilities ¥35m; 5 years in niche, 12% national share;
/// 3 Class-I IP; municipal R&D institution.
///   专: niche 5 ≥ 3; share 64/80 = 80% ≥ 70%; growth ½(56/50 − 1 + 64/56 − 1) = ½(12% + 14.29%)
///       = 13.14% ≥ 5%
///   精: information system (assessor) yes; certification (assessor) yes; debt 35/70 = 50% ≤ 70%
///   特: share 12% ≥ 10%; brand (assessor) yes
///   新: general route — revenue ¥80m is the ¥50–100m band: R&D 5.6/80 = 7% ≥ 6% and the earlier
///       year ≥ 6% (assessor); institution level 2 ≥ 1; Class-I 3 ≥ 2 and in use (assessor)
///   链, 品: assessor yes.
fn lg_base() -> Profile {
    Profile {
        uscc: "91500000MA5ULGNT03".into(),
        name: "重庆小巨人示例有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2012, 9, 1),
        employees: Some(150),
        st_staff: Some(50),
        rd_staff: Some(40),
        financials: vec![
            Financials {
                revenue: Some(60_000_000.0),
                main_revenue: Some(50_000_000.0),
                ..year(2023)
            },
            Financials {
                revenue: Some(68_000_000.0),
                main_revenue: Some(56_000_000.0),
                rd_expense: Some(4_500_000.0),
                ..year(2024)
            },
            Financials {
                revenue: Some(80_000_000.0),
                main_revenue: Some(64_000_000.0),
                rd_expense: Some(5_600_000.0),
                total_assets: Some(70_000_000.0),
                total_liabilities: Some(35_000_000.0),
                ..year(2025)
            },
        ],
        ip: Ip {
            class1: Some(3),
            class1_self_developed: Some(3),
            class1_high_value: Some(1),
            class2: Some(4),
        },
        rd_institution_level: Some("municipal".into()),
        years_in_niche: Some(5.0),
        niche_market_share: Some(0.12),
        ..Profile::default()
    }
}

fn lg_assessed() -> AssessorInputs {
    inputs(&[
        ("lg_core_business_information_system", 1.0),
        ("lg_management_or_product_certification", 1.0),
        ("lg_well_known_brand", 1.0),
        ("lg_rd_ratio_prev_year_6pct", 1.0),
        ("lg_ip_class1_in_use", 1.0),
        ("lg_chain_role", 1.0),
        ("lg_product_field", 1.0),
    ])
}

const LG_CONDITIONS: [&str; 11] = [
    "zhuan_years_in_niche",
    "zhuan_main_revenue_share",
    "zhuan_main_revenue_growth",
    "jing_information_system",
    "jing_certification",
    "jing_debt_ratio",
    "te_market_share",
    "te_brand",
    "xin",
    "lian",
    "pin",
];

fn lg(p: &Profile, i: &AssessorInputs) -> SchemeResult {
    eval("little_giant", p, i)
}

#[test]
fn lg_passes_on_the_general_innovation_route() {
    let r = lg(&lg_base(), &lg_assessed());
    for c in LG_CONDITIONS {
        assert_eq!(crit(&r, c).result, Outcome::Pass, "{c}");
    }
    assert_eq!(r.result, Outcome::Pass);
    assert_eq!(r.score, None, "little giant is not scored");
    assert_eq!(r.score_range, None);
    let v = crit(&r, "zhuan_main_revenue_growth").value.unwrap();
    assert!((v - (0.12 + 8.0 / 56.0) / 2.0).abs() < 1e-12, "{v}");
}

#[test]
fn lg_fails_on_national_niche_share() {
    // 9% < 10%: 特 fails, short by 1 point; everything else passes.
    let mut p = lg_base();
    p.niche_market_share = Some(0.09);
    let r = lg(&p, &lg_assessed());
    assert_eq!(r.result, Outcome::Fail);
    assert_eq!(crit(&r, "te_market_share").result, Outcome::Fail);
    let g = gap(&r, "te_market_share");
    assert!(
        g.contains("9.0%") && g.contains("10.0%") && g.contains("short by 1.0%"),
        "{g}"
    );
    let failing: Vec<&str> = r
        .criteria
        .iter()
        .filter(|c| c.result != Outcome::Pass)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(failing, ["te_market_share"]);
}

/// 2025 R&D ¥4.0m on ¥80m = 5% < 6% (the ¥50–100m band); the ¥100m band needs revenue ≥ ¥100m and
/// the small band revenue < ¥50m, so (i) fails, the general route fails, and with the assessor's
/// "no" to both direct routes 新 fails.
fn lg_weak_rd() -> (Profile, AssessorInputs) {
    let mut p = lg_base();
    p.financials[2].rd_expense = Some(4_000_000.0);
    let mut i = lg_assessed();
    i.insert("lg_national_award_top3_3y".into(), 0.0);
    i.insert("lg_maker_china_top50_3y".into(), 0.0);
    (p, i)
}

#[test]
fn lg_fails_on_innovation_when_rd_intensity_is_below_its_revenue_band() {
    let (p, i) = lg_weak_rd();
    let r = lg(&p, &i);
    assert_eq!(crit(&r, "xin").result, Outcome::Fail);
    assert_eq!(r.result, Outcome::Fail);
    // A direct route restores it: a national award ranked top 3 in 3 years (assessor).
    let mut i = i;
    i.insert("lg_national_award_top3_3y".into(), 1.0);
    assert_eq!(lg(&p, &i).result, Outcome::Pass);
}

#[test]
fn lg_failing_innovation_says_what_is_missing() {
    let (p, i) = lg_weak_rd();
    let r = lg(&p, &i);
    assert_eq!(crit(&r, "xin").result, Outcome::Fail);
    let g = gap(&r, "xin");
    assert!(g.contains("6"), "{g}");
}

#[test]
fn lg_missing_assessor_judgment_is_unknown() {
    // 链 not judged: unknown, and so is the scheme (never a pass).
    let mut i = lg_assessed();
    i.remove("lg_chain_role");
    let r = lg(&lg_base(), &i);
    assert_eq!(crit(&r, "lian").result, Outcome::Unknown);
    let g = gap(&r, "lian");
    assert!(
        g.contains("assessor's judgment") && !g.contains("lg_chain_role"),
        "{g}"
    );
    assert_eq!(r.result, Outcome::Unknown);
}

#[test]
fn lg_missing_rd_institution_is_unknown_unless_a_direct_route_holds() {
    // Institution level not given: (ii) unknown → general route unknown; direct routes not given →
    // 新 unknown → unknown.
    let mut p = lg_base();
    p.rd_institution_level = None;
    let r = lg(&p, &lg_assessed());
    assert_eq!(crit(&r, "xin").result, Outcome::Unknown);
    assert_eq!(r.result, Outcome::Unknown);
    // With the assessor's "no" to both direct routes it is still unknown (the general route may hold).
    let mut i = lg_assessed();
    i.insert("lg_national_award_top3_3y".into(), 0.0);
    i.insert("lg_maker_china_top50_3y".into(), 0.0);
    assert_eq!(lg(&p, &i).result, Outcome::Unknown);
    // A Maker China top 50 (assessor yes) passes 新 whatever the institution: pass.
    i.insert("lg_maker_china_top50_3y".into(), 1.0);
    let r = lg(&p, &i);
    assert_eq!(crit(&r, "xin").result, Outcome::Pass);
    assert_eq!(r.result, Outcome::Pass);
}
