//! Golden tests at the boundaries of issue 25, worked out by hand from the policy text
//! (`../shared/reference/policy-rules.md` §2) and `data/rules/*.toml`, not read back from the engine:
//!
//! 1. the award routes read the profile's awards (present, absent, too old, ranked too low), an
//!    official's flag only adding an award the profile lacks;
//! 2. little giant's R&D band for the year before last is computed from the financials (just under and
//!    at each band), the flag standing in only where that year is missing — never over the data;
//! 3. "registered one year or more" counts by the calendar: exactly one year, a day less, a day more,
//!    across a leap day;
//! 4. gap texts show the precision that makes the shortfall visible.

use chrono::NaiveDate;
use rules::{
    evaluate, load_shipped, AssessorInputs, Award, Financials, Ip, Outcome, Profile, Scheme,
    SchemeResult,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// As of 2026-06-30: "last year" is 2025, the year before last 2024, awards count from 2023.
fn as_of() -> NaiveDate {
    day(2026, 6, 30)
}

fn eval_on(scheme: &str, p: &Profile, inputs: &AssessorInputs, on: NaiveDate) -> SchemeResult {
    let all: Vec<Scheme> = load_shipped().unwrap_or_else(|p| panic!("{p:?}"));
    let s = all.iter().find(|s| s.scheme == scheme).unwrap();
    evaluate(s, &all, p, on, inputs)
}

fn result_of(r: &SchemeResult, id: &str) -> Outcome {
    r.criteria
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{}: no criterion {id}", r.scheme))
        .result
}

fn gap_of(r: &SchemeResult, id: &str) -> String {
    r.criteria
        .iter()
        .find(|c| c.id == id)
        .and_then(|c| c.gap.clone())
        .unwrap_or_default()
}

fn inputs(pairs: &[(&str, f64)]) -> AssessorInputs {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn award(level: &str, year: i32, rank: u32) -> Award {
    Award {
        level: level.into(),
        year,
        rank: Some(rank),
    }
}

fn fy(year: i32, revenue: f64, rd: f64) -> Financials {
    Financials {
        year,
        revenue: Some(revenue),
        rd_expense: Some(rd),
        ..Financials::default()
    }
}

// -------------------------------------------------------------------------------------------------
// 1. Award routes.

/// A little giant whose general route fails on (ii) (no R&D institution) and who is not in 创客中国:
/// 新 is decided by the award route alone.
fn lg_award_only(awards: Vec<Award>) -> Profile {
    Profile {
        uscc: "91500000MA00000008".into(),
        rd_institution_level: Some("none".into()),
        awards,
        ..Profile::default()
    }
}

#[test]
fn little_giants_award_route_reads_the_profiles_awards() {
    let no_maker = inputs(&[("lg_maker_china_top50_3y", 0.0)]);
    let xin = |awards: Vec<Award>, i: &AssessorInputs| {
        result_of(
            &eval_on("little_giant", &lg_award_only(awards), i, as_of()),
            "xin",
        )
    };
    // No award: the route fails (it stayed unknown while it read only a flag).
    assert_eq!(xin(vec![], &no_maker), Outcome::Fail);
    // A national award in 2024 ranked first: passes.
    assert_eq!(
        xin(vec![award("national", 2024, 1)], &no_maker),
        Outcome::Pass
    );
    // Ranked third: the last rank that counts.
    assert_eq!(
        xin(vec![award("national", 2023, 3)], &no_maker),
        Outcome::Pass
    );
    // Ranked fourth, too old (2022 is outside 2023–2026), or only provincial: fails.
    assert_eq!(
        xin(vec![award("national", 2024, 4)], &no_maker),
        Outcome::Fail
    );
    assert_eq!(
        xin(vec![award("national", 2022, 1)], &no_maker),
        Outcome::Fail
    );
    assert_eq!(
        xin(vec![award("provincial", 2025, 1)], &no_maker),
        Outcome::Fail
    );
    // An official's flag adds an award the profile does not list.
    let flagged = inputs(&[
        ("lg_maker_china_top50_3y", 0.0),
        ("lg_national_award_top3_3y", 1.0),
    ]);
    assert_eq!(xin(vec![], &flagged), Outcome::Pass);
}

#[test]
fn innovative_smes_award_pass_reads_any_national_or_provincial_award_of_three_years() {
    let p = |awards: Vec<Award>| Profile {
        uscc: "91500000MA00000008".into(),
        awards,
        ..Profile::default()
    };
    let st = |awards: Vec<Award>, i: &AssessorInputs| {
        result_of(
            &eval_on("innovative_sme", &p(awards), i, as_of()),
            "st_award",
        )
    };
    let none = AssessorInputs::default();
    assert_eq!(
        st(vec![], &none),
        Outcome::Fail,
        "no award is a fail, not unknown"
    );
    // Any rank counts; provincial counts.
    assert_eq!(st(vec![award("provincial", 2025, 7)], &none), Outcome::Pass);
    assert_eq!(st(vec![award("national", 2023, 9)], &none), Outcome::Pass);
    assert_eq!(st(vec![award("national", 2022, 1)], &none), Outcome::Fail);
    let flagged = inputs(&[("isme_st_award_3y", 1.0)]);
    assert_eq!(st(vec![], &flagged), Outcome::Pass);
    let r = eval_on(
        "innovative_sme",
        &p(vec![award("provincial", 2025, 7)]),
        &none,
        as_of(),
    );
    assert_eq!(r.direct_pass.as_deref(), Some("st_award"));
}

// -------------------------------------------------------------------------------------------------
// 2. Little giant: both years' R&D ratio from the financials.

/// A little giant meeting (ii) and (iii), not on a direct route; (i) decides 新. 2025: revenue
/// `revenue`, R&D `rd_2025`; 2024 as given.
fn lg_rd(revenue: f64, rd_2025: f64, y2024: Option<(f64, f64)>) -> Profile {
    let mut financials = vec![fy(2025, revenue, rd_2025)];
    if let Some((rev, rd)) = y2024 {
        financials.push(fy(2024, rev, rd));
    }
    Profile {
        uscc: "91500000MA00000008".into(),
        rd_institution_level: Some("municipal".into()),
        ip: Ip {
            class1: Some(3),
            ..Ip::default()
        },
        financials,
        ..Profile::default()
    }
}

fn lg_rd_inputs(extra: &[(&str, f64)]) -> AssessorInputs {
    let mut i = inputs(&[
        ("lg_ip_class1_in_use", 1.0),
        ("lg_maker_china_top50_3y", 0.0),
    ]);
    for (k, v) in extra {
        i.insert(k.to_string(), *v);
    }
    i
}

fn xin_of(p: &Profile, i: &AssessorInputs) -> Outcome {
    result_of(&eval_on("little_giant", p, i, as_of()), "xin")
}

#[test]
fn the_year_before_lasts_rd_band_comes_from_the_financials() {
    let none = lg_rd_inputs(&[]);
    // ¥50–100 m band, 6 %: 2025 at 8 %; 2024 just under, at, and well under.
    let band_50 = |rd_2024: f64| lg_rd(80_000_000.0, 6_400_000.0, Some((70_000_000.0, rd_2024)));
    assert_eq!(
        xin_of(&band_50(4_193_000.0), &none),
        Outcome::Fail,
        "5.99 %"
    );
    assert_eq!(
        xin_of(&band_50(4_200_000.0), &none),
        Outcome::Pass,
        "6.00 %"
    );
    assert_eq!(xin_of(&band_50(3_500_000.0), &none), Outcome::Fail, "5.0 %");
    // ¥100 m band, 3 %: 2025 at 3 %; 2024 just under and at.
    let band_100 = |rd_2024: f64| lg_rd(120_000_000.0, 3_600_000.0, Some((110_000_000.0, rd_2024)));
    assert_eq!(
        xin_of(&band_100(3_289_000.0), &none),
        Outcome::Fail,
        "2.99 %"
    );
    assert_eq!(
        xin_of(&band_100(3_300_000.0), &none),
        Outcome::Pass,
        "3.00 %"
    );
}

#[test]
fn the_flag_stands_in_only_where_the_year_is_missing_never_over_the_data() {
    let yes = lg_rd_inputs(&[("lg_rd_ratio_prev_year_6pct", 1.0)]);
    // 2024 at 1 % with the flag set: the data decides — fail (the flag passed it before).
    let low = lg_rd(80_000_000.0, 6_400_000.0, Some((70_000_000.0, 700_000.0)));
    assert_eq!(xin_of(&low, &yes), Outcome::Fail);
    // No 2024 figures: the flag decides; without it the band is unknown, never a pass.
    let missing = lg_rd(80_000_000.0, 6_400_000.0, None);
    assert_eq!(xin_of(&missing, &yes), Outcome::Pass);
    assert_eq!(xin_of(&missing, &lg_rd_inputs(&[])), Outcome::Unknown);
    let no = lg_rd_inputs(&[("lg_rd_ratio_prev_year_6pct", 0.0)]);
    assert_eq!(xin_of(&missing, &no), Outcome::Fail);
}

// -------------------------------------------------------------------------------------------------
// 3. Anniversaries by the calendar.

fn registered(on: NaiveDate) -> Profile {
    Profile {
        uscc: "91500000MA00000008".into(),
        registered_on: Some(on),
        ..Profile::default()
    }
}

fn registered_1y(from: NaiveDate, on: NaiveDate) -> Outcome {
    result_of(
        &eval_on("hte", &registered(from), &AssessorInputs::default(), on),
        "registered_1y",
    )
}

#[test]
fn one_year_of_registration_holds_on_the_first_anniversary() {
    let reg = day(2025, 6, 30);
    assert_eq!(
        registered_1y(reg, day(2026, 6, 29)),
        Outcome::Fail,
        "a day short"
    );
    assert_eq!(
        registered_1y(reg, day(2026, 6, 30)),
        Outcome::Pass,
        "the anniversary itself"
    );
    assert_eq!(
        registered_1y(reg, day(2026, 7, 1)),
        Outcome::Pass,
        "a day more"
    );
    assert_eq!(
        registered(reg).metric("years_registered", day(2026, 6, 30)),
        Some(1.0)
    );
}

#[test]
fn a_leap_day_registration_has_its_anniversary_on_the_last_day_of_february() {
    let reg = day(2024, 2, 29);
    assert_eq!(registered_1y(reg, day(2025, 2, 27)), Outcome::Fail);
    assert_eq!(registered_1y(reg, day(2025, 2, 28)), Outcome::Pass);
    assert_eq!(registered_1y(reg, day(2025, 3, 1)), Outcome::Pass);
    let p = registered(reg);
    assert_eq!(p.metric("years_registered", day(2028, 2, 29)), Some(4.0));
    assert_eq!(p.metric("years_registered", day(2025, 2, 28)), Some(1.0));
    // A year registered across 29 February 2028 counts 366 days to its anniversary.
    let q = registered(day(2027, 6, 1));
    assert_eq!(q.metric("years_registered", day(2028, 6, 1)), Some(1.0));
    assert!(q.metric("years_registered", day(2028, 5, 31)).unwrap() < 1.0);
}

// -------------------------------------------------------------------------------------------------
// 4. Gaps show what is missing.

#[test]
fn gap_texts_show_the_precision_that_makes_the_shortfall_visible() {
    let r = eval_on(
        "hte",
        &registered(day(2025, 7, 1)),
        &AssessorInputs::default(),
        as_of(),
    );
    let g = gap_of(&r, "registered_1y");
    assert!(
        g.contains("0.997") && g.contains("1.000") && !g.contains("short by 0 "),
        "{g}"
    );
    // 2.99 % against the 3 % band reads 2.99 %, not 3.0 %.
    let p = lg_rd(
        120_000_000.0,
        3_588_000.0,
        Some((110_000_000.0, 3_300_000.0)),
    );
    let r = eval_on("little_giant", &p, &lg_rd_inputs(&[]), as_of());
    let g = gap_of(&r, "xin");
    assert!(g.contains("2.99%") && g.contains("3.00%"), "{g}");
}
