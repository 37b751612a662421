//! Evaluation on hand-worked profiles: band boundaries (lower bounds inclusive), the pass line and its
//! guard, direct passes, unknown inputs that never become a pass, and the gap in plain words.

use chrono::NaiveDate;
use rules::{evaluate, load_shipped, AssessorInputs, Financials, Outcome, Profile, Scheme};

fn schemes() -> Vec<Scheme> {
    load_shipped().unwrap_or_else(|p| panic!("{p:?}"))
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

/// A small firm: 100 employees, ¥20m revenue in 2025 with `rd` R&D, total cost ¥30m.
fn firm(st_staff: u32, rd: f64, class2: u32) -> Profile {
    Profile {
        uscc: "915001127DEM000011".into(),
        name: "重庆示例科技有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2019, 1, 1),
        employees: Some(100),
        st_staff: Some(st_staff),
        rd_staff: Some(st_staff / 2),
        financials: vec![Financials {
            year: 2025,
            revenue: Some(20_000_000.0),
            rd_expense: Some(rd),
            total_cost: Some(30_000_000.0),
            total_assets: Some(15_000_000.0),
            ..Financials::default()
        }],
        ip: rules::Ip {
            class1: Some(0),
            class2: Some(class2),
            ..Default::default()
        },
        // Said, not left out: an unknown institution level keeps a direct pass open (unknown).
        rd_institution_level: Some("none".into()),
        ..Profile::default()
    }
}

fn assessed() -> AssessorInputs {
    [
        ("tech_sme_resident_enterprise".to_string(), 1.0),
        ("tech_sme_not_serious_dishonesty".to_string(), 1.0),
    ]
    .into_iter()
    .collect()
}

fn tech_sme(p: &Profile, inputs: &AssessorInputs) -> rules::SchemeResult {
    let all = schemes();
    let s = all.iter().find(|s| s.scheme == "tech_sme").unwrap();
    evaluate(s, &all, p, as_of(), inputs)
}

fn points(r: &rules::SchemeResult, id: &str) -> f64 {
    r.criteria
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .points
        .unwrap()
}

#[test]
fn st_staff_bands_include_their_lower_bound() {
    // (S&T staff of 100, expected points): every boundary and the value just under it.
    for (staff, pts) in [
        (30, 20.0),
        (29, 16.0),
        (25, 16.0),
        (24, 12.0),
        (20, 12.0),
        (19, 8.0),
        (15, 8.0),
        (14, 4.0),
        (10, 4.0),
        (9, 0.0),
    ] {
        let r = tech_sme(&firm(staff, 0.0, 0), &assessed());
        assert_eq!(points(&r, "st_staff"), pts, "{staff}%");
    }
}

#[test]
fn rd_takes_the_better_of_its_two_measures_at_every_boundary() {
    // R&D / sales bands on ¥20m sales; R&D / total cost (¥30m) gives less here except at the top.
    for (rd, pts) in [
        (1_200_000.0, 50.0),
        (1_199_999.0, 40.0),
        (1_000_000.0, 40.0),
        (800_000.0, 30.0),
        (600_000.0, 20.0),
        (400_000.0, 10.0),
        (399_999.0, 0.0),
    ] {
        let r = tech_sme(&firm(30, rd, 0), &assessed());
        assert_eq!(points(&r, "rd"), pts, "R&D ¥{rd}");
    }
    // ¥9m R&D on ¥30m cost = 30% → 50 by the second measure (sales ratio 45% → also 50).
    let r = tech_sme(&firm(30, 9_000_000.0, 0), &assessed());
    assert_eq!(points(&r, "rd"), 50.0);
}

#[test]
fn the_pass_line_and_the_staff_guard() {
    // 20 (staff 30%) + 30 (R&D 4%) + 12 (two Class-II IP) = 62 ≥ 60: pass.
    let r = tech_sme(&firm(30, 800_000.0, 2), &assessed());
    assert_eq!(r.score, Some(62.0));
    assert_eq!(r.result, Outcome::Pass);
    // 16 + 30 + 12 = 58 < 60: fail, and the S&T-staff gap is said in words.
    let r = tech_sme(&firm(25, 800_000.0, 2), &assessed());
    assert_eq!(r.score, Some(58.0));
    assert_eq!(r.result, Outcome::Fail);
    let staff = r.criteria.iter().find(|c| c.id == "st_staff").unwrap();
    assert!(
        staff
            .gap
            .as_deref()
            .unwrap()
            .contains("30.0% for 20 points"),
        "{staff:?}"
    );
    // 0 (staff 9%) + 50 + 30 (Class-I IP) = 80, but the staff score is 0: fail.
    let mut p = firm(9, 1_200_000.0, 0);
    p.ip.class1 = Some(1);
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.score, Some(80.0));
    assert_eq!(r.result, Outcome::Fail);
}

#[test]
fn direct_passes_skip_the_score_but_not_eligibility() {
    let mut p = firm(0, 0.0, 0);
    p.qualifications = vec!["hte".into()];
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.result, Outcome::Pass);
    assert_eq!(r.direct_pass.as_deref(), Some("hte_certificate"));
    // Too big for an SME: the certificate does not help.
    p.employees = Some(501);
    p.st_staff = Some(0);
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.result, Outcome::Fail);
    let size = r
        .criteria
        .iter()
        .find(|c| c.id == "size_employees")
        .unwrap();
    assert_eq!(size.result, Outcome::Fail);
    assert!(size.gap.as_deref().unwrap().contains("501"), "{size:?}");
}

#[test]
fn unknown_inputs_never_become_a_pass() {
    // Residence and the dishonesty list come from the profile: a valid USCC and no list flag
    // pass without an assessor's word.
    let r = tech_sme(&firm(30, 1_200_000.0, 4), &AssessorInputs::new());
    assert_eq!(r.result, Outcome::Pass);
    // A code that is not a valid USCC leaves residence to an assessor: unknown, never a pass.
    let mut p = firm(30, 1_200_000.0, 4);
    p.uscc = "HK-12345678".into();
    let r = tech_sme(&p, &AssessorInputs::new());
    assert_eq!(r.result, Outcome::Unknown);
    let mut yes = AssessorInputs::new();
    yes.insert("tech_sme_resident_enterprise".to_string(), 1.0);
    assert_eq!(tech_sme(&p, &yes).result, Outcome::Pass);
    // Flagged on the serious-dishonesty list: never a pass on the data; an assessor settles it
    // (a "no" fails it).
    let mut p = firm(30, 1_200_000.0, 4);
    p.flags.serious_dishonesty = true;
    assert_eq!(
        tech_sme(&p, &AssessorInputs::new()).result,
        Outcome::Unknown
    );
    let mut no = AssessorInputs::new();
    no.insert("tech_sme_not_serious_dishonesty".to_string(), 0.0);
    assert_eq!(tech_sme(&p, &no).result, Outcome::Fail);
    // Without IP counts the score is a range; it passes only if the known part already passes.
    let mut p = firm(30, 1_200_000.0, 0);
    p.ip = rules::Ip::default();
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.score, None);
    assert_eq!(r.score_range, Some((70.0, 100.0)));
    assert_eq!(r.result, Outcome::Pass, "70 is already over the line");
    let mut p = firm(10, 400_000.0, 0);
    p.ip = rules::Ip::default();
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.score_range, Some((14.0, 44.0)));
    assert_eq!(
        r.result,
        Outcome::Fail,
        "even full IP points cannot reach 60"
    );
    let mut p = firm(20, 800_000.0, 0);
    p.ip = rules::Ip::default();
    let r = tech_sme(&p, &assessed());
    assert_eq!(r.result, Outcome::Unknown, "42 to 72: it depends on the IP");
}

#[test]
fn a_missing_fact_that_could_pass_directly_keeps_the_result_unknown() {
    let mut p = firm(9, 1_200_000.0, 0);
    p.rd_institution_level = None;
    let r = tech_sme(&p, &assessed());
    assert_eq!(
        r.result,
        Outcome::Unknown,
        "a provincial R&D institution would pass it directly"
    );
}

#[test]
fn more_rd_never_lowers_a_score() {
    let mut last = -1.0;
    for k in 0..60 {
        let rd = k as f64 * 50_000.0;
        let r = tech_sme(&firm(20, rd, 1), &assessed());
        let s = r.score.unwrap();
        assert!(s >= last, "R&D ¥{rd}: {s} < {last}");
        last = s;
    }
}

#[test]
fn the_hte_rd_condition_says_what_is_missing_in_money() {
    let all = schemes();
    let hte = all.iter().find(|s| s.scheme == "hte").unwrap();
    let mut p = firm(30, 0.0, 0);
    // ¥100m sales each year (the 4% tier), ¥3.2m R&D each year: 3.2% < 4%, short ¥2.4m over 3 years.
    p.financials = (2023..=2025)
        .map(|y| Financials {
            year: y,
            revenue: Some(100_000_000.0),
            rd_expense: Some(3_200_000.0),
            rd_expense_domestic: Some(3_200_000.0),
            high_tech_revenue: Some(70_000_000.0),
            net_assets: Some(10_000_000.0),
            total_assets: Some(20_000_000.0),
            ..Financials::default()
        })
        .collect();
    let r = evaluate(hte, &all, &p, as_of(), &AssessorInputs::new());
    let rd = r
        .criteria
        .iter()
        .find(|c| c.metric.as_deref() == Some("rd_ratio_3y"))
        .unwrap();
    assert_eq!(rd.result, Outcome::Fail);
    let gap = rd.gap.as_deref().unwrap();
    assert!(
        gap.contains("3.2%") && gap.contains("4.0%") && gap.contains("+¥2.40m R&D needed"),
        "{gap}"
    );
    // Chinese first: the same gap with the metric's Chinese name and the money in 万元.
    let zh = rd.gap_zh.as_deref().unwrap();
    assert!(
        zh.contains("近三年研发费用占同期销售收入比例")
            && zh.contains("3.2%")
            && zh.contains("≥ 4.0%")
            && zh.contains("还需增加研发投入 ¥240.0万"),
        "{zh}"
    );
    assert_ne!(r.result, Outcome::Pass);
}

#[test]
fn every_metric_has_a_chinese_name_for_gaps() {
    assert!(
        rules::metrics_without_names().is_empty(),
        "add them to data/rules/metrics.toml: {:?}",
        rules::metrics_without_names()
    );
}
