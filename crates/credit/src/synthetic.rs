//! SYNTHETIC loan outcomes drawn from a known logistic model, so that fitting can be checked against
//! the truth. Nothing here describes real Chongqing loans; ids are `SYN-…`.
//!
//! True model (default log-odds):
//!   logit = −1.3 − 12·rd_intensity − 1.5·st_staff_share − 0.35·ln(1 + ip_count)
//!           − 1.2·revenue_growth − 6·net_margin + 2.5·debt_ratio − 0.04·years_registered
//!           + 0.3 if rd_intensity is missing + 0.2 if net_margin is missing
//! Missing values are missing at random (10% of rd_intensity, 5% of net_margin) and the truth charges
//! a fixed amount for them, so the true model is a function of what is observed.

use std::collections::BTreeMap;

use crate::fit::LabelledRow;
use crate::rng::SplitMix64;

/// How the truth reads a feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    Identity,
    /// ln(1 + x), for counts.
    Log1p,
}

/// One term of the true model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueTerm {
    pub feature: &'static str,
    pub transform: Transform,
    pub coefficient: f64,
    pub missing_rate: f64,
    /// Added to the log-odds when the value is missing.
    pub missing_effect: f64,
}

pub const TRUE_INTERCEPT: f64 = -1.3;

pub const TRUE_TERMS: &[TrueTerm] = &[
    TrueTerm {
        feature: "rd_intensity",
        transform: Transform::Identity,
        coefficient: -12.0,
        missing_rate: 0.10,
        missing_effect: 0.3,
    },
    TrueTerm {
        feature: "st_staff_share",
        transform: Transform::Identity,
        coefficient: -1.5,
        missing_rate: 0.0,
        missing_effect: 0.0,
    },
    TrueTerm {
        feature: "ip_count",
        transform: Transform::Log1p,
        coefficient: -0.35,
        missing_rate: 0.0,
        missing_effect: 0.0,
    },
    TrueTerm {
        feature: "revenue_growth",
        transform: Transform::Identity,
        coefficient: -1.2,
        missing_rate: 0.0,
        missing_effect: 0.0,
    },
    TrueTerm {
        feature: "net_margin",
        transform: Transform::Identity,
        coefficient: -6.0,
        missing_rate: 0.05,
        missing_effect: 0.2,
    },
    TrueTerm {
        feature: "debt_ratio",
        transform: Transform::Identity,
        coefficient: 2.5,
        missing_rate: 0.0,
        missing_effect: 0.0,
    },
    TrueTerm {
        feature: "years_registered",
        transform: Transform::Identity,
        coefficient: -0.04,
        missing_rate: 0.0,
        missing_effect: 0.0,
    },
];

/// The true default log-odds of a row.
pub fn true_logit(row: &LabelledRow) -> f64 {
    TRUE_INTERCEPT
        + TRUE_TERMS
            .iter()
            .map(|t| match row.get(t.feature) {
                None => t.missing_effect,
                Some(x) => {
                    t.coefficient
                        * match t.transform {
                            Transform::Identity => x,
                            Transform::Log1p => x.ln_1p(),
                        }
                }
            })
            .sum::<f64>()
}

/// The true probability of default of a row.
pub fn true_pd(row: &LabelledRow) -> f64 {
    1.0 / (1.0 + (-true_logit(row)).exp())
}

fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// `n` SYNTHETIC rows (ids `SYN-000001`…) from the true model; the same seed gives the same rows.
pub fn synthetic_loans(n: usize, seed: u64) -> Vec<LabelledRow> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|i| {
            // Draw every value (and every missing coin) in a fixed order, so one row's draws never
            // depend on another's missingness.
            let rd = round_to((0.04f64.ln() + 0.7 * rng.normal()).exp().min(0.5), 1e-4);
            let st = round_to(0.02 + 0.58 * rng.uniform(), 1e-4);
            let ip = (1.5 + rng.normal()).exp().floor();
            let growth = round_to(0.12 + 0.25 * rng.normal(), 1e-4);
            let margin = round_to(0.05 + 0.08 * rng.normal(), 1e-4);
            let debt = round_to(0.05 + 0.9 * rng.uniform(), 1e-4);
            let years = round_to(0.5 + 19.5 * rng.uniform(), 0.1);
            let mut features = BTreeMap::new();
            for (t, v) in TRUE_TERMS
                .iter()
                .zip([rd, st, ip, growth, margin, debt, years])
            {
                let missing = rng.uniform() < t.missing_rate;
                features.insert(t.feature.to_string(), (!missing).then_some(v));
            }
            let mut row = LabelledRow {
                id: Some(format!("SYN-{:06}", i + 1)),
                features,
                default: false,
            };
            row.default = rng.uniform() < true_pd(&row);
            row
        })
        .collect()
}
