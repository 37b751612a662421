//! The market grade (市场阅卷): what the market did with an accepted result — adopting enterprises,
//! sales revenue, cost saved, orders — set against the challenge's market targets by weights kept as
//! data (`data/challenges/market-grade.toml`), so a grade always shows its inputs.

use std::collections::{BTreeMap, HashSet};

use crate::DataError;

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub letter: String,
    pub from: f64,
}

/// The market-grade rules.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketRules {
    pub indicators: Vec<Indicator>,
    pub bands: Vec<Band>,
}

/// Values by indicator code (the latest record's, or a challenge's targets).
pub type MarketValues = BTreeMap<String, i64>;

/// One indicator's part of a grade.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GradePart {
    pub code: String,
    pub value: i64,
    pub target: i64,
    /// value / target, capped at 1.
    pub attainment: f64,
    /// The weight's share once indicators without a target are left out (sums to 1).
    pub share: f64,
}

/// A market grade with its inputs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Grade {
    /// 0–100, one decimal.
    pub score: f64,
    pub letter: String,
    pub parts: Vec<GradePart>,
}

impl MarketRules {
    pub fn load(file: &str, text: &str) -> Result<MarketRules, DataError> {
        let r: MarketRules = toml::from_str(text).map_err(|e| DataError {
            file: file.into(),
            message: e.to_string(),
        })?;
        let bad = |m: String| DataError {
            file: file.into(),
            message: m,
        };
        let mut seen = HashSet::new();
        for i in &r.indicators {
            if !seen.insert(i.code.as_str()) || i.weight == 0 {
                return Err(bad(format!(
                    "indicator `{}`: list each once with a positive weight",
                    i.code
                )));
            }
        }
        if r.indicators.is_empty() || !r.bands.iter().any(|b| b.from <= 0.0) {
            return Err(bad(
                "list at least one indicator and a band that starts at 0".into(),
            ));
        }
        Ok(r)
    }

    pub fn shipped() -> MarketRules {
        MarketRules::load("market-grade.toml", crate::MARKET).expect("shipped market-grade.toml")
    }

    pub fn codes(&self) -> Vec<&str> {
        self.indicators.iter().map(|i| i.code.as_str()).collect()
    }
}

/// The grade of `values` against `targets` (`None`: no indicator has a positive target).
pub fn grade(rules: &MarketRules, targets: &MarketValues, values: &MarketValues) -> Option<Grade> {
    let used: Vec<&Indicator> = rules
        .indicators
        .iter()
        .filter(|i| targets.get(&i.code).is_some_and(|t| *t > 0))
        .collect();
    let total: u32 = used.iter().map(|i| i.weight).sum();
    if total == 0 {
        return None;
    }
    let mut score = 0.0;
    let mut parts = vec![];
    for i in used {
        let target = targets[&i.code];
        let value = values.get(&i.code).copied().unwrap_or(0).max(0);
        let attainment = (value as f64 / target as f64).min(1.0);
        let share = f64::from(i.weight) / f64::from(total);
        score += attainment * share * 100.0;
        parts.push(GradePart {
            code: i.code.clone(),
            value,
            target,
            attainment,
            share,
        });
    }
    let score = (score * 10.0).round() / 10.0;
    let letter = rules
        .bands
        .iter()
        .filter(|b| score >= b.from)
        .max_by(|a, b| a.from.total_cmp(&b.from))
        .map(|b| b.letter.clone())
        .unwrap_or_default();
    Some(Grade {
        score,
        letter,
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(v: &[(&str, i64)]) -> MarketValues {
        v.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn met_targets_grade_a_and_half_grades_lower() {
        let r = MarketRules::shipped();
        let t = vals(&[
            ("adopters", 4),
            ("revenue_fen", 10_000_000),
            ("cost_saved_fen", 5_000_000),
            ("orders", 10),
        ]);
        let g = grade(&r, &t, &t).unwrap();
        assert_eq!((g.score, g.letter.as_str()), (100.0, "A"));
        let half = vals(&[
            ("adopters", 2),
            ("revenue_fen", 5_000_000),
            ("cost_saved_fen", 2_500_000),
            ("orders", 5),
        ]);
        let g = grade(&r, &t, &half).unwrap();
        assert_eq!((g.score, g.letter.as_str()), (50.0, "D"));
        // Beyond the target counts as the target.
        let more = vals(&[
            ("adopters", 40),
            ("revenue_fen", 0),
            ("cost_saved_fen", 0),
            ("orders", 0),
        ]);
        assert_eq!(grade(&r, &t, &more).unwrap().score, 30.0);
    }

    #[test]
    fn indicators_without_target_leave_the_grade() {
        let r = MarketRules::shipped();
        let t = vals(&[("adopters", 2)]);
        let g = grade(&r, &t, &vals(&[("adopters", 2), ("orders", 0)])).unwrap();
        assert_eq!(g.parts.len(), 1);
        assert_eq!(g.parts[0].share, 1.0);
        assert_eq!(g.score, 100.0);
        assert!(grade(&r, &vals(&[]), &t).is_none());
    }
}
