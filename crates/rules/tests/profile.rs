//! Metrics of a hand-worked profile, the HTE growth formula's edge cases, and bad input named.

use chrono::NaiveDate;
use rules::{Financials, Profile, METRICS};

fn year(y: i32, revenue: f64, main: f64, rd: f64, net_assets: f64) -> Financials {
    Financials {
        year: y,
        revenue: Some(revenue),
        main_revenue: Some(main),
        high_tech_revenue: Some(revenue * 0.7),
        rd_expense: Some(rd),
        rd_expense_domestic: Some(rd * 0.9),
        total_cost: Some(revenue * 0.8),
        net_assets: Some(net_assets),
        total_assets: Some(net_assets * 2.0),
        total_liabilities: Some(net_assets),
        net_profit: Some(revenue * 0.1),
        equity_financing: Some(1_000_000.0),
    }
}

fn profile() -> Profile {
    Profile {
        uscc: "915001127DEM000011".into(),
        name: "重庆示例科技有限公司".into(),
        registered_on: NaiveDate::from_ymd_opt(2018, 3, 1),
        employees: Some(200),
        st_staff: Some(50),
        rd_staff: Some(30),
        financials: vec![
            year(2023, 40_000_000.0, 36_000_000.0, 2_000_000.0, 10_000_000.0),
            year(2024, 50_000_000.0, 45_000_000.0, 2_500_000.0, 12_000_000.0),
            year(2025, 60_000_000.0, 54_000_000.0, 3_000_000.0, 15_000_000.0),
        ],
        qualifications: vec!["hte".into()],
        rd_institution_level: Some("provincial".into()),
        standards_led: vec![2019, 2024],
        ..Profile::default()
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn metrics_of_a_hand_worked_profile() {
    let p = profile();
    assert!(p.check().is_empty(), "{:?}", p.check());
    let d = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let m = |n: &str| p.metric(n, d);
    assert!(close(m("st_staff_ratio"), 0.25));
    assert!(close(m("revenue_last_year"), 60_000_000.0));
    assert!(close(m("rd_ratio_last_year"), 0.05));
    // (2.0 + 2.5 + 3.0) / (40 + 50 + 60) = 7.5 / 150
    assert!(close(m("rd_ratio_3y"), 0.05));
    assert!(close(m("rd_domestic_share_3y"), 0.9));
    assert!(close(m("main_revenue_share"), 0.9));
    assert!(close(m("main_revenue_growth_last_year"), 0.2));
    assert!(close(m("main_revenue_growth_avg_2y"), (0.25 + 0.2) / 2.0));
    assert!(close(m("debt_ratio_last_year"), 0.5));
    assert!(close(m("equity_financing_2y"), 2_000_000.0));
    // HTE growth: ½ (12/10 + 15/12) − 1 = 0.225; sales ½ (50/40 + 60/50) − 1 = 0.225
    assert!(close(m("net_asset_growth_hte"), 0.225));
    assert!(close(m("sales_growth_hte"), 0.225));
    assert!(close(m("has_hte"), 1.0));
    assert!(close(m("rd_institution_level"), 3.0));
    assert!(
        close(m("standards_led_5y"), 1.0),
        "2019 is outside 2021–2026"
    );
    assert!(m("years_registered").unwrap() > 8.0);
    // Unknown stays unknown: no IP counts given, no figures for years before 2023.
    assert_eq!(m("ip_class1"), None);
    assert_eq!(m("equity_financing_3y"), Some(3_000_000.0));
    let early = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    assert_eq!(p.metric("rd_ratio_3y", early), None, "2022 is missing");
    // Every metric the tables may name is known to the profile (some may be unknown for this one).
    for name in METRICS {
        let _ = p.metric(name, d);
    }
    assert_eq!(p.metric("no_such_metric", d), None);
}

#[test]
fn the_hte_growth_formula_follows_the_guidance_at_zero() {
    let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut p = profile();
    // Year 1 is 0: the last two years only (15/12 − 1).
    p.financials[0].net_assets = Some(0.0);
    assert!(close(p.metric("net_asset_growth_hte", d), 0.25));
    // Year 2 is 0: the rate is 0.
    p.financials[1].net_assets = Some(0.0);
    assert!(close(p.metric("net_asset_growth_hte", d), 0.0));
}

#[test]
fn impossible_values_are_named_with_their_fix() {
    let mut p = profile();
    p.st_staff = Some(500);
    p.financials[2].revenue = Some(-1.0);
    p.financials[1].main_revenue = Some(60_000_000.0);
    p.niche_market_share = Some(12.0);
    p.rd_institution_level = Some("city".into());
    p.financials.push(year(2025, 1.0, 1.0, 0.0, 1.0));
    let problems = p.check().join("\n");
    for expected in [
        "st_staff: 500 > employees 200",
        "financials[2025].revenue: -1",
        "financials[2024].main_revenue: 60000000 > revenue 50000000",
        "niche_market_share: 12",
        "rd_institution_level: 'city'",
        "year 2025 given twice",
    ] {
        assert!(
            problems.contains(expected),
            "{expected} not in:\n{problems}"
        );
    }
    // Unknown fields are refused when reading JSON, with the field named.
    let e =
        serde_json::from_str::<Profile>(r#"{"uscc": "x", "name": "y", "revenue": 1}"#).unwrap_err();
    assert!(e.to_string().contains("revenue"), "{e}");
}
