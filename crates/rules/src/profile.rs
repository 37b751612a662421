//! An enterprise's profile (the JSON names of issue 8, `docs/data-formats.md`) and the metrics the
//! rule tables read from it. A metric whose inputs are missing is `None` — unknown — and a criterion on
//! an unknown metric is never a pass.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One fiscal year's figures, money in yuan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Financials {
    pub year: i32,
    pub revenue: Option<f64>,
    pub main_revenue: Option<f64>,
    pub high_tech_revenue: Option<f64>,
    pub rd_expense: Option<f64>,
    pub rd_expense_domestic: Option<f64>,
    pub total_cost: Option<f64>,
    pub net_assets: Option<f64>,
    pub total_assets: Option<f64>,
    pub total_liabilities: Option<f64>,
    pub net_profit: Option<f64>,
    pub equity_financing: Option<f64>,
}

/// Valid intellectual property related to the main products.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ip {
    pub class1: Option<u32>,
    pub class1_self_developed: Option<u32>,
    pub class1_high_value: Option<u32>,
    pub class2: Option<u32>,
}

/// Disqualifying facts; absent means false (the default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    #[serde(default)]
    pub prohibited_industry: bool,
    #[serde(default)]
    pub major_accident: bool,
    #[serde(default)]
    pub serious_violation: bool,
    #[serde(default)]
    pub abnormal_operation: bool,
    /// On the serious-dishonesty list (严重失信主体名单), a list apart from the abnormal-operation one.
    #[serde(default)]
    pub serious_dishonesty: bool,
}

/// An S&T award: `national` or `provincial`, the year, the organisation's rank among the winners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    pub level: String,
    pub year: i32,
    pub rank: Option<u32>,
}

/// An enterprise as the tier rules read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub uscc: String,
    pub name: String,
    pub registered_on: Option<NaiveDate>,
    pub employees: Option<u32>,
    pub st_staff: Option<u32>,
    pub rd_staff: Option<u32>,
    #[serde(default)]
    pub financials: Vec<Financials>,
    #[serde(default)]
    pub ip: Ip,
    /// Codes held, e.g. `hte`.
    #[serde(default)]
    pub qualifications: Vec<String>,
    #[serde(default)]
    pub flags: Flags,
    #[serde(default)]
    pub awards: Vec<Award>,
    /// `none`, `below_municipal`, `municipal`, `provincial` or `national`.
    pub rd_institution_level: Option<String>,
    /// Years in which the enterprise led a national, industry or international standard.
    #[serde(default)]
    pub standards_led: Vec<i32>,
    pub years_in_niche: Option<f64>,
    /// Share of the national niche market, as a fraction.
    pub niche_market_share: Option<f64>,
    pub strategic_emerging_product: Option<bool>,
}

const LEVELS: [&str; 5] = [
    "none",
    "below_municipal",
    "municipal",
    "provincial",
    "national",
];

/// A derived value rounded to 12 significant digits, so that float noise does not move it across a
/// band boundary: ¥46m / ¥40m − 1 is 0.14999999999999991 in f64, but it is 15% growth and must score
/// as "≥ 15%".
pub fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v + 0.0;
    }
    let scale = 10f64.powi(11 - v.abs().log10().floor() as i32);
    if !scale.is_finite() || scale == 0.0 {
        return v;
    }
    (v * scale).round() / scale
}

impl Profile {
    /// Values no enterprise can have, each naming the field and the fix. A profile with problems is
    /// not evaluated (a wrong pass is worse than none).
    pub fn check(&self) -> Vec<String> {
        let mut out = vec![];
        if self.uscc.trim().is_empty() {
            out.push(
                "uscc: missing (fix: the 18-character unified social credit code)".to_string(),
            );
        }
        if let (Some(e), Some(s)) = (self.employees, self.st_staff) {
            if s > e {
                out.push(format!("st_staff: {s} > employees {e} (fix: S&T staff are counted among the employees)"));
            }
        }
        if let (Some(e), Some(r)) = (self.employees, self.rd_staff) {
            if r > e {
                out.push(format!("rd_staff: {r} > employees {e} (fix: R&D staff are counted among the employees)"));
            }
        }
        let mut years = std::collections::HashSet::new();
        for f in &self.financials {
            if !years.insert(f.year) {
                out.push(format!(
                    "financials: year {} given twice (fix: one entry per year)",
                    f.year
                ));
            }
            let money = [
                ("revenue", f.revenue),
                ("main_revenue", f.main_revenue),
                ("high_tech_revenue", f.high_tech_revenue),
                ("rd_expense", f.rd_expense),
                ("rd_expense_domestic", f.rd_expense_domestic),
                ("total_cost", f.total_cost),
                ("total_assets", f.total_assets),
                ("total_liabilities", f.total_liabilities),
                ("equity_financing", f.equity_financing),
            ];
            for (name, v) in money {
                if let Some(v) = v {
                    if !v.is_finite() || v < 0.0 {
                        out.push(format!(
                            "financials[{}].{name}: {v} (fix: a non-negative amount in yuan)",
                            f.year
                        ));
                    }
                }
            }
            for (part, whole, pname, wname) in [
                (f.main_revenue, f.revenue, "main_revenue", "revenue"),
                (
                    f.high_tech_revenue,
                    f.revenue,
                    "high_tech_revenue",
                    "revenue",
                ),
                (
                    f.rd_expense_domestic,
                    f.rd_expense,
                    "rd_expense_domestic",
                    "rd_expense",
                ),
            ] {
                if let (Some(p), Some(w)) = (part, whole) {
                    if p > w {
                        out.push(format!(
                            "financials[{}].{pname}: {p} > {wname} {w} (fix: a part cannot exceed its whole)",
                            f.year
                        ));
                    }
                }
            }
        }
        if let Some(s) = self.niche_market_share {
            if !(0.0..=1.0).contains(&s) {
                out.push(format!(
                    "niche_market_share: {s} (fix: a fraction from 0 to 1, e.g. 0.12 for 12%)"
                ));
            }
        }
        if let Some(l) = &self.rd_institution_level {
            if !LEVELS.contains(&l.as_str()) {
                out.push(format!(
                    "rd_institution_level: '{l}' (fix: one of {})",
                    LEVELS.join(", ")
                ));
            }
        }
        for a in &self.awards {
            if !matches!(a.level.as_str(), "national" | "provincial") {
                out.push(format!(
                    "awards: level '{}' (fix: national or provincial)",
                    a.level
                ));
            }
        }
        out
    }

    /// The year's figures, if given.
    fn year(&self, y: i32) -> Option<&Financials> {
        self.financials.iter().find(|f| f.year == y)
    }

    /// The last completed fiscal year before `as_of`.
    fn last_year(as_of: NaiveDate) -> i32 {
        as_of.year() - 1
    }

    /// `field` of the year `y`.
    fn of(&self, y: i32, field: fn(&Financials) -> Option<f64>) -> Option<f64> {
        self.year(y).and_then(field)
    }

    /// Σ over the last `n` years of `field`; unknown when any year is missing.
    fn sum_years(
        &self,
        as_of: NaiveDate,
        n: i32,
        field: fn(&Financials) -> Option<f64>,
    ) -> Option<f64> {
        let y = Self::last_year(as_of);
        (0..n).map(|k| self.of(y - k, field)).sum()
    }

    /// The value of a metric named in `data/rules/README.md`, or `None` when unknown. "Last year" is
    /// the calendar year before `as_of`; "the last N years" of awards and standards are the years from
    /// `as_of`'s year − N to `as_of`'s year.
    pub fn metric(&self, name: &str, as_of: NaiveDate) -> Option<f64> {
        self.raw_metric(name, as_of).map(tidy)
    }

    fn raw_metric(&self, name: &str, as_of: NaiveDate) -> Option<f64> {
        let y = Self::last_year(as_of);
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        let flag = |b: bool| Some(if b { 1.0 } else { 0.0 });
        let revenue = |f: &Financials| f.revenue;
        let rd = |f: &Financials| f.rd_expense;
        let main = |f: &Financials| f.main_revenue;
        let growth = |a: Option<f64>, b: Option<f64>| ratio(a, b).map(|r| r - 1.0);
        let awards = |level: &str, years: i32, top: u32| {
            Some(self.awards.iter().any(|a| {
                a.level == level
                    && a.year >= as_of.year() - years
                    && a.year <= as_of.year()
                    && a.rank.is_some_and(|r| r <= top)
            }) as u8 as f64)
        };
        match name {
            "employees" => self.employees.map(f64::from),
            "st_staff_ratio" => ratio(self.st_staff.map(f64::from), self.employees.map(f64::from)),
            "rd_staff_ratio" => ratio(self.rd_staff.map(f64::from), self.employees.map(f64::from)),
            "years_registered" => self.registered_on.map(|d| years_between(d, as_of)),
            "revenue_last_year" => self.of(y, revenue),
            "total_assets_last_year" => self.of(y, |f| f.total_assets),
            "rd_expense_last_year" => self.of(y, rd),
            "rd_expense_avg_2y" => self.sum_years(as_of, 2, rd).map(|s| s / 2.0),
            "rd_ratio_last_year" => ratio(self.of(y, rd), self.of(y, revenue)),
            "rd_ratio_3y" => ratio(
                self.sum_years(as_of, 3, rd),
                self.sum_years(as_of, 3, revenue),
            ),
            "rd_domestic_share_3y" => ratio(
                self.sum_years(as_of, 3, |f| f.rd_expense_domestic),
                self.sum_years(as_of, 3, rd),
            ),
            "rd_to_total_cost_last_year" => ratio(self.of(y, rd), self.of(y, |f| f.total_cost)),
            "high_tech_revenue_share" => {
                ratio(self.of(y, |f| f.high_tech_revenue), self.of(y, revenue))
            }
            "main_revenue_share" => ratio(self.of(y, main), self.of(y, revenue)),
            "main_revenue_growth_last_year" => growth(self.of(y, main), self.of(y - 1, main)),
            "main_revenue_growth_avg_2y" => {
                match (
                    growth(self.of(y, main), self.of(y - 1, main)),
                    growth(self.of(y - 1, main), self.of(y - 2, main)),
                ) {
                    (Some(a), Some(b)) => Some((a + b) / 2.0),
                    _ => None,
                }
            }
            "debt_ratio_last_year" => ratio(
                self.of(y, |f| f.total_liabilities),
                self.of(y, |f| f.total_assets),
            ),
            "net_margin_last_year" => ratio(self.of(y, |f| f.net_profit), self.of(y, revenue)),
            "net_asset_growth_hte" => self.hte_growth(as_of, |f| f.net_assets),
            "sales_growth_hte" => self.hte_growth(as_of, revenue),
            "equity_financing_2y" => self.sum_years(as_of, 2, |f| f.equity_financing),
            "equity_financing_3y" => self.sum_years(as_of, 3, |f| f.equity_financing),
            "ip_class1" => self.ip.class1.map(f64::from),
            "ip_class1_self_developed" => self.ip.class1_self_developed.map(f64::from),
            "ip_class1_high_value" => self.ip.class1_high_value.map(f64::from),
            "ip_class2" => self.ip.class2.map(f64::from),
            "has_hte" => flag(
                self.qualifications
                    .iter()
                    .any(|q| crate::scheme::qualification_code(q) == "hte"),
            ),
            "prohibited_industry" => flag(self.flags.prohibited_industry),
            "major_accident" => flag(self.flags.major_accident),
            "serious_violation" => flag(self.flags.serious_violation),
            "abnormal_operation" => flag(self.flags.abnormal_operation),
            "serious_dishonesty" => flag(self.flags.serious_dishonesty),
            // A valid unified social credit code is issued only to bodies registered in mainland
            // China (GB 32100-2015), so it shows residence; anything else leaves it unknown.
            "registered_in_mainland" => self.uscc.parse::<model::Uscc>().is_ok().then_some(1.0),
            "national_award_top3_5y" => awards("national", 5, 3),
            "national_award_top3_3y" => awards("national", 3, 3),
            "award_3y" => Some(self.awards.iter().any(|a| {
                matches!(a.level.as_str(), "national" | "provincial")
                    && a.year >= as_of.year() - 3
                    && a.year <= as_of.year()
            }) as u8 as f64),
            "rd_ratio_prev_year" => ratio(self.of(y - 1, rd), self.of(y - 1, revenue)),
            "provincial_award_top3_3y" => awards("provincial", 3, 3),
            "national_award_top5_3y" => awards("national", 3, 5),
            "rd_institution_level" => self
                .rd_institution_level
                .as_deref()
                .and_then(|l| LEVELS.iter().position(|x| *x == l))
                .map(|p| p as f64),
            "standards_led_5y" => Some(
                self.standards_led
                    .iter()
                    .filter(|&&yr| yr >= as_of.year() - 5 && yr <= as_of.year())
                    .count() as f64,
            ),
            "years_in_niche" => self.years_in_niche,
            "niche_market_share" => self.niche_market_share,
            "strategic_emerging_product" => {
                self.strategic_emerging_product
                    .map(|b| if b { 1.0 } else { 0.0 })
            }
            _ => None,
        }
    }

    /// The HTE growth rate: ½ × (Y2/Y1 + Y3/Y2) − 1 over the last three years; from the last two
    /// years only when year 1 is 0; 0 when year 2 is 0 (the guidance's rules).
    fn hte_growth(&self, as_of: NaiveDate, field: fn(&Financials) -> Option<f64>) -> Option<f64> {
        let y = Self::last_year(as_of);
        let (y1, y2, y3) = (
            self.of(y - 2, field)?,
            self.of(y - 1, field)?,
            self.of(y, field)?,
        );
        if y2 == 0.0 {
            return Some(0.0);
        }
        if y1 == 0.0 {
            return Some(y3 / y2 - 1.0);
        }
        Some(0.5 * (y2 / y1 + y3 / y2) - 1.0)
    }
}

/// The date `years` after `from`, by the calendar: the same month and day, or the month's last day
/// where that day does not exist (29 February → 28 February), as 《民法典》第二百零三条 counts periods.
pub fn anniversary(from: NaiveDate, years: i32) -> NaiveDate {
    let y = from.year() + years;
    NaiveDate::from_ymd_opt(y, from.month(), from.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, from.month(), 28))
        .unwrap_or(from)
}

/// Years from `from` to `to` by date arithmetic: whole years up to the last anniversary on or before
/// `to` (so the day a year after registration is exactly 1), then the share of the year after it.
pub fn years_between(from: NaiveDate, to: NaiveDate) -> f64 {
    if to < from {
        return -years_between(to, from);
    }
    let mut n = to.year() - from.year();
    while n > 0 && anniversary(from, n) > to {
        n -= 1;
    }
    let last = anniversary(from, n);
    let next = anniversary(from, n + 1);
    let span = (next - last).num_days().max(1) as f64;
    f64::from(n) + (to - last).num_days() as f64 / span
}
