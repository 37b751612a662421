//! Scoring one enterprise profile with a card: stage, factor points, grade, credit line, and the
//! reason codes a loan officer reads.

use chrono::{Datelike, NaiveDate};
use rules::Profile;
use serde::{Deserialize, Serialize};

use crate::card::{Card, Factor};

/// One factor's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorResult {
    pub code: String,
    pub group: String,
    pub metric: String,
    pub value: Option<f64>,
    pub points: f64,
    pub max_points: f64,
    /// The metric could not be computed: the factor scored 0.
    pub unknown: bool,
}

/// Why the score is what it is; the first reasons are the largest losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    /// The factor this reason is about, if any.
    pub factor: Option<String>,
    pub lost_points: f64,
    pub zh: String,
    pub en: String,
}

/// A scored enterprise. `score + unknown_points` is the most the score could reach with full data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditScore {
    pub scheme: String,
    pub version: String,
    /// SHA-256 of the card text.
    pub card_fingerprint: String,
    pub as_of: NaiveDate,
    pub stage: String,
    pub score: f64,
    pub unknown_points: f64,
    pub grade: Option<String>,
    pub credit_line_yuan: u64,
    /// Tiers counted for the TIER factor: the profile's qualifications plus `extra_tiers`.
    pub tiers: Vec<String>,
    pub disqualified: bool,
    /// `Profile::check` problems; a profile with any gets no grade.
    pub profile_problems: Vec<String>,
    pub factors: Vec<FactorResult>,
    pub reasons: Vec<Reason>,
}

/// Rounded to cents of a point; `+ 0.0` turns the -0.0 an empty float sum gives into 0.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// The value of a metric a card may read: the crate's own or `Profile::metric`.
pub fn metric(
    card: &Card,
    profile: &Profile,
    tiers: &[String],
    name: &str,
    as_of: NaiveDate,
) -> Option<f64> {
    match name {
        // Class II (utility model, software copyright…) counts a quarter of class I.
        "ip_weighted" => match (profile.ip.class1, profile.ip.class2) {
            (None, None) => None,
            (a, b) => Some(f64::from(a.unwrap_or(0)) + 0.25 * f64::from(b.unwrap_or(0))),
        },
        // An empty award list is a known zero: awards are rare and absence is the normal case.
        "awards_weighted_5y" => Some(
            profile
                .awards
                .iter()
                .filter(|a| a.year >= as_of.year() - 5 && a.year <= as_of.year())
                .map(|a| match a.level.as_str() {
                    "national" => 2.0,
                    "provincial" => 1.0,
                    _ => 0.0,
                })
                .sum::<f64>()
                + 0.0, // an empty sum is -0.0
        ),
        "tier_level" => Some(
            tiers
                .iter()
                .filter_map(|t| card.tiers.levels.get(t))
                .copied()
                .max()
                .unwrap_or(0)
                .into(),
        ),
        "revenue_growth_last_year" => {
            let y = as_of.year() - 1;
            let rev = |yr: i32| {
                profile
                    .financials
                    .iter()
                    .find(|f| f.year == yr)
                    .and_then(|f| f.revenue)
            };
            match (rev(y), rev(y - 1)) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b - 1.0),
                _ => None,
            }
        }
        _ => profile.metric(name, as_of),
    }
}

/// The firm's stage under the card's stage rule.
pub fn stage_of(card: &Card, profile: &Profile, as_of: NaiveDate) -> String {
    let mut any_known = false;
    for s in &card.stages {
        if s.when_any.is_empty() {
            return if any_known {
                s.id.clone()
            } else {
                card.stage_rule.unknown_stage.clone()
            };
        }
        for c in &s.when_any {
            if let Some(v) = metric(card, profile, &[], &c.metric, as_of) {
                any_known = true;
                if v < c.below {
                    return s.id.clone();
                }
            }
        }
    }
    card.stage_rule.unknown_stage.clone()
}

/// Index of the band a value falls in (None: below the first band).
fn band_index(f: &Factor, v: f64) -> Option<usize> {
    f.bands.iter().rposition(|b| v >= b.from)
}

fn fmt_value(unit: &str, v: f64) -> String {
    match unit {
        "ratio" => format!("{:.1}%", v * 100.0),
        "years" => format!("{v:.1}"),
        _ if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    }
}

/// The nearest band that earns more, as a condition on the value ("≥ 5.0%", "< 50.0%").
fn better(f: &Factor, idx: Option<usize>) -> Option<String> {
    let current = idx.map_or(0.0, |i| f.bands[i].points);
    let here = idx.map_or(-1, |i| i as i64);
    let j = (0..f.bands.len())
        .filter(|&j| f.bands[j].points > current)
        .min_by_key(|&j| ((j as i64 - here).abs(), j as i64 <= here))?;
    if j as i64 > here {
        Some(format!("≥ {}", fmt_value(&f.unit, f.bands[j].from)))
    } else {
        Some(format!("< {}", fmt_value(&f.unit, f.bands[j + 1].from)))
    }
}

fn fill(template: &str, pairs: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in pairs {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn flag(profile: &Profile, name: &str) -> bool {
    match name {
        "prohibited_industry" => profile.flags.prohibited_industry,
        "major_accident" => profile.flags.major_accident,
        "serious_violation" => profile.flags.serious_violation,
        "abnormal_operation" => profile.flags.abnormal_operation,
        _ => false,
    }
}

/// Scores `profile` with `card` as of a date. `extra_tiers` are tiers the rule engine computed, added
/// to the profile's own qualifications. The same inputs always give the same result.
pub fn score(
    card: &Card,
    profile: &Profile,
    extra_tiers: &[String],
    as_of: NaiveDate,
) -> CreditScore {
    // Qualifications may be given by Chinese name (高新技术企业): counted by their scheme code.
    let mut tiers: Vec<String> = profile
        .qualifications
        .iter()
        .chain(extra_tiers)
        .map(|q| rules::qualification_code(q))
        .collect();
    tiers.sort();
    tiers.dedup();

    let stage = stage_of(card, profile, as_of);
    let mut factors = vec![];
    let mut factor_reasons = vec![];
    for f in &card.factors {
        let max = card.weight(&stage, &f.code);
        let value = metric(card, profile, &tiers, &f.metric, as_of);
        let (points, reason) = match value {
            None => (
                0.0,
                Some(Reason {
                    code: format!("DATA_MISSING_{}", f.code),
                    factor: Some(f.code.clone()),
                    lost_points: max,
                    zh: fill(
                        &card.missing_zh,
                        &[
                            ("name_zh", f.zh.clone()),
                            ("name_en", f.en.clone()),
                            ("metric", f.metric.clone()),
                            ("max", format!("{max:.1}")),
                        ],
                    ),
                    en: fill(
                        &card.missing_en,
                        &[
                            ("name_zh", f.zh.clone()),
                            ("name_en", f.en.clone()),
                            ("metric", f.metric.clone()),
                            ("max", format!("{max:.1}")),
                        ],
                    ),
                }),
            ),
            Some(v) => {
                let idx = band_index(f, v);
                let points = max * idx.map_or(0.0, |i| f.bands[i].points);
                let reason = better(f, idx).map(|b| {
                    let pairs = [
                        ("value", fmt_value(&f.unit, v)),
                        ("better", b),
                        ("points", format!("{points:.1}")),
                        ("max", format!("{max:.1}")),
                    ];
                    Reason {
                        code: f.reason_code.clone(),
                        factor: Some(f.code.clone()),
                        lost_points: max - points,
                        zh: fill(&f.reason_zh, &pairs),
                        en: fill(&f.reason_en, &pairs),
                    }
                });
                (points, reason)
            }
        };
        if let Some(r) = reason.filter(|r| r.lost_points > 1e-9) {
            factor_reasons.push(r);
        }
        factors.push(FactorResult {
            code: f.code.clone(),
            group: f.group.clone(),
            metric: f.metric.clone(),
            value,
            points,
            max_points: max,
            unknown: value.is_none(),
        });
    }
    let total = round2(factors.iter().map(|f| f.points).sum());
    let unknown_points = round2(
        factors
            .iter()
            .filter(|f| f.unknown)
            .map(|f| f.max_points)
            .sum(),
    );

    // Largest losses first; the card's factor order breaks ties (stable sort).
    factor_reasons.sort_by(|a, b| b.lost_points.total_cmp(&a.lost_points));
    factor_reasons.truncate(card.top_reasons);

    let mut reasons = vec![];
    let profile_problems = profile.check();
    if !profile_problems.is_empty() {
        reasons.push(Reason {
            code: "PROFILE_INVALID".into(),
            factor: None,
            lost_points: 0.0,
            zh: format!("企业数据有误，不予评级：{}", profile_problems.join("；")),
            en: format!(
                "The profile has errors, so no grade: {}",
                profile_problems.join("; ")
            ),
        });
    }
    let mut disqualified = false;
    for d in &card.disqualifiers {
        if flag(profile, &d.flag) {
            disqualified = true;
            reasons.push(Reason {
                code: d.code.clone(),
                factor: None,
                lost_points: 0.0,
                zh: d.zh.clone(),
                en: d.en.clone(),
            });
        }
    }
    let mut grade = None;
    let mut credit_line_yuan = 0;
    if !disqualified && profile_problems.is_empty() {
        match card.grades.iter().find(|g| total >= g.min_score) {
            Some(g) => {
                grade = Some(g.grade.clone());
                credit_line_yuan = g.credit_line_yuan;
            }
            None => {
                let min = card.grades.last().map_or(0.0, |g| g.min_score);
                let pairs = [
                    ("score", format!("{total:.1}")),
                    ("min", format!("{min:.1}")),
                ];
                reasons.push(Reason {
                    code: card.no_grade_code.clone(),
                    factor: None,
                    lost_points: 0.0,
                    zh: fill(&card.no_grade_zh, &pairs),
                    en: fill(&card.no_grade_en, &pairs),
                });
            }
        }
    }
    reasons.extend(factor_reasons);

    CreditScore {
        scheme: card.scheme.clone(),
        version: card.version.clone(),
        card_fingerprint: card.fingerprint.clone(),
        as_of,
        stage,
        score: total,
        unknown_points,
        grade,
        credit_line_yuan,
        tiers,
        disqualified,
        profile_problems,
        factors,
        reasons,
    }
}
