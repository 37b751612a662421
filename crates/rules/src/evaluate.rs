//! Evaluation of a profile against a scheme. Every criterion is pass, fail or unknown; a score is
//! carried as a range (unknown parts at 0 and at their maximum), so a scheme passes only when it passes
//! whatever the unknowns turn out to be, fails only when it fails whatever they are, and is `unknown`
//! otherwise — never a guessed pass.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::profile::Profile;
use crate::scheme::{Indicator, Scheme, Status, Test};

mod ctx;
use ctx::Ctx;

/// Pass, fail or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
}

impl Outcome {
    fn all(items: impl IntoIterator<Item = Outcome>) -> Outcome {
        let mut out = Outcome::Pass;
        for o in items {
            match o {
                Outcome::Fail => return Outcome::Fail,
                Outcome::Unknown => out = Outcome::Unknown,
                Outcome::Pass => {}
            }
        }
        out
    }

    fn any(items: impl IntoIterator<Item = Outcome>) -> Outcome {
        let mut out = Outcome::Fail;
        for o in items {
            match o {
                Outcome::Pass => return Outcome::Pass,
                Outcome::Unknown => out = Outcome::Unknown,
                Outcome::Fail => {}
            }
        }
        out
    }
}

/// Inputs an assessor gives for what the data cannot hold: points for assessor indicators, 1 / 0 for
/// yes/no assessor tests, keyed by the `assessor` names of the tables.
pub type AssessorInputs = HashMap<String, f64>;

/// One criterion's result, with what it needs in plain words when it fails.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionResult {
    pub id: String,
    /// `eligibility`, `condition`, `indicator`, `direct_pass` or `requires` (another scheme).
    pub kind: String,
    pub zh: String,
    pub en: String,
    pub metric: Option<String>,
    /// The assessor input this criterion takes (judgment the data cannot hold), if any.
    pub assessor: Option<String>,
    pub value: Option<f64>,
    pub threshold: Option<String>,
    /// Points scored (indicators), lower bound when part is unknown.
    pub points: Option<f64>,
    pub max_points: Option<f64>,
    pub result: Outcome,
    /// What is missing, e.g. "rd_ratio_3y 3.2% < 4% (tier: revenue_last_year ≤ ¥200.00m)".
    pub gap: Option<String>,
    /// The same in Chinese, with the metrics' Chinese names (`data/rules/metrics.toml`).
    pub gap_zh: Option<String>,
    pub confirmed: bool,
}

/// A scheme's result for one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeResult {
    pub scheme: String,
    pub version: String,
    pub result: Outcome,
    /// The score when every scored part is known; `score_range` otherwise.
    pub score: Option<f64>,
    pub score_range: Option<(f64, f64)>,
    /// Passed by a direct route (the score did not matter).
    pub direct_pass: Option<String>,
    pub criteria: Vec<CriterionResult>,
}

fn fmt_value(metric: &str, v: f64) -> String {
    if metric.contains("ratio")
        || metric.contains("share")
        || metric.contains("growth")
        || metric.contains("margin")
    {
        format!("{:.1}%", v * 100.0)
    } else if metric.contains("revenue")
        || metric.contains("expense")
        || metric.contains("assets")
        || metric.contains("financing")
    {
        format!("¥{:.2}m", v / 1_000_000.0)
    } else {
        let r = (v * 100.0).round() / 100.0;
        format!("{r}")
    }
}

/// A value and its threshold in words, with as many more decimals as it takes (at most 4 more) for
/// them to read differently: 2.99 % against 3 % reads "2.99%" and "3.00%", not "3.0%" and "3.0%".
fn fmt_apart(metric: &str, v: f64, x: f64) -> (String, String) {
    let (vs, xs) = (fmt_value(metric, v), fmt_value(metric, x));
    if vs != xs || v == x {
        return (vs, xs);
    }
    let percent = fmt_value(metric, 0.5).ends_with('%');
    let money = fmt_value(metric, 0.5).starts_with('¥');
    for extra in 1..=4usize {
        let (a, b) = if percent {
            let d = 1 + extra;
            (format!("{:.d$}%", v * 100.0), format!("{:.d$}%", x * 100.0))
        } else if money {
            let d = 2 + extra;
            (
                format!("¥{:.d$}m", v / 1_000_000.0),
                format!("¥{:.d$}m", x / 1_000_000.0),
            )
        } else {
            let d = 2 + extra;
            (format!("{v:.d$}"), format!("{x:.d$}"))
        };
        if a != b {
            return (a, b);
        }
    }
    (vs, xs)
}

/// A gap in words, Chinese and English.
#[derive(Debug, Clone, PartialEq)]
struct Gap {
    zh: String,
    en: String,
}

const METRIC_NAMES: &str = include_str!("../../../data/rules/metrics.toml");

#[derive(serde::Deserialize)]
struct MetricNames {
    metric: HashMap<String, Names>,
}

#[derive(serde::Deserialize)]
struct Names {
    zh: String,
}

/// A metric's Chinese name (`data/rules/metrics.toml`), or the metric itself.
pub fn metric_zh(m: &str) -> String {
    static NAMES: std::sync::OnceLock<HashMap<String, Names>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            toml::from_str::<MetricNames>(METRIC_NAMES)
                .map(|f| f.metric)
                .unwrap_or_default()
        })
        .get(m)
        .map(|n| n.zh.clone())
        .unwrap_or_else(|| m.to_string())
}

/// Every metric name the table of names lacks (tested: none).
pub fn metrics_without_names() -> Vec<&'static str> {
    let names: MetricNames = toml::from_str(METRIC_NAMES).expect("metrics.toml parses");
    crate::validate::METRICS
        .iter()
        .copied()
        .filter(|m| !names.metric.contains_key(*m))
        .collect()
}

fn not_given(m: &str) -> Gap {
    Gap {
        en: format!("{m}: not given"),
        zh: format!("{}：未提供", metric_zh(m)),
    }
}

/// An assessor's judgment not given, named by what it judges (never by the input's key).
fn assessor_not_given(zh: &str, en: &str) -> Gap {
    Gap {
        en: format!("an assessor's judgment ({en}): not given"),
        zh: format!("评审意见（{zh}）：未提供"),
    }
}

fn zh_op(op: &str) -> &'static str {
    match op {
        ">=" => "≥",
        ">" => ">",
        "<=" => "≤",
        "<" => "<",
        _ => "=",
    }
}

/// Whether `v` meets `op threshold`; lower bounds (`>=`) are inclusive.
pub fn meets(op: &str, v: f64, threshold: f64) -> bool {
    match op {
        "<=" => v <= threshold,
        "<" => v < threshold,
        ">=" => v >= threshold,
        ">" => v > threshold,
        _ => (v - threshold).abs() < 1e-12,
    }
}

/// The tier a tiered threshold takes for the `by` metric's value: the first whose `upto` is at or
/// above it (so `upto` is inclusive), or the open-ended last one.
pub fn tier_for(tiers: &[crate::scheme::Tier], by: f64) -> Option<&crate::scheme::Tier> {
    tiers.iter().find(|tier| tier.upto.is_none_or(|u| by <= u))
}

/// Points of the first band (descending `min`) whose lower bound the value reaches, inclusive.
pub fn band_points(v: f64, bands: &[crate::scheme::Band]) -> f64 {
    bands
        .iter()
        .find(|b| v >= b.min)
        .map(|b| b.points)
        .unwrap_or(0.0)
}

/// Points of the first band (ascending `max`) the value is at or (exclusive) below.
pub fn band_desc_points(bands: &[crate::scheme::BandDesc], v: f64) -> f64 {
    bands
        .iter()
        .find(|b| if b.exclusive { v < b.max } else { v <= b.max })
        .map(|b| b.points)
        .unwrap_or(0.0)
}

fn criterion(kind: &str, t: &Test, c: &Ctx) -> CriterionResult {
    let (result, value, threshold, gap) = c.test(t);
    CriterionResult {
        id: t.id.clone().unwrap_or_default(),
        kind: kind.to_string(),
        zh: t.zh.clone().unwrap_or_default(),
        en: t.en.clone().unwrap_or_default(),
        metric: t.metric.clone(),
        assessor: t.assessor.clone(),
        value,
        threshold,
        points: None,
        max_points: None,
        result,
        gap: gap.as_ref().map(|g| g.en.clone()),
        gap_zh: gap.map(|g| g.zh),
        confirmed: t.status == Some(Status::Confirmed),
    }
}

/// Evaluates `scheme` (and the schemes it requires, from `all`) for a profile on `as_of`.
pub fn evaluate(
    scheme: &Scheme,
    all: &[Scheme],
    profile: &Profile,
    as_of: NaiveDate,
    inputs: &AssessorInputs,
) -> SchemeResult {
    let c = Ctx {
        profile,
        as_of,
        inputs,
    };
    let mut criteria = vec![];
    let mut parts = vec![];

    let elig: Vec<CriterionResult> = scheme
        .eligibility
        .iter()
        .map(|t| criterion("eligibility", t, &c))
        .collect();
    parts.push(Outcome::all(elig.iter().map(|r| r.result)));
    criteria.extend(elig);

    let conds: Vec<CriterionResult> = scheme
        .conditions
        .iter()
        .map(|t| criterion("condition", t, &c))
        .collect();
    if scheme.pass.all_conditions {
        parts.push(Outcome::all(conds.iter().map(|r| r.result)));
    }
    criteria.extend(conds);

    // The score as a range, with block caps.
    let mut blocks: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut guard_outcomes = vec![];
    for ind in &scheme.indicators {
        let ((lo, hi), value, gap) = c.points(ind);
        let e = blocks
            .entry(ind.block.clone().unwrap_or_default())
            .or_default();
        e.0 += lo;
        e.1 += hi;
        let result = if (lo - hi).abs() < 1e-9 {
            Outcome::Pass
        } else {
            Outcome::Unknown
        };
        if scheme.pass.guards.contains(&ind.id) {
            guard_outcomes.push(if lo > 0.0 {
                Outcome::Pass
            } else if hi <= 0.0 {
                Outcome::Fail
            } else {
                Outcome::Unknown
            });
        }
        criteria.push(CriterionResult {
            id: ind.id.clone(),
            kind: "indicator".into(),
            zh: ind.zh.clone(),
            en: ind.en.clone(),
            metric: ind.metric.clone(),
            assessor: ind.assessor.clone(),
            value,
            threshold: None,
            points: Some(lo),
            max_points: Some(ind.max_points),
            result,
            gap: gap.as_ref().map(|g| g.en.clone()),
            gap_zh: gap.map(|g| g.zh),
            confirmed: ind.status == Status::Confirmed,
        });
    }
    let capped: BTreeMap<String, (f64, f64)> = blocks
        .into_iter()
        .map(|(b, (lo, hi))| {
            let cap = scheme
                .blocks
                .iter()
                .find(|x| x.id == b)
                .and_then(|x| x.max_points);
            (b, cap.map_or((lo, hi), |cap| (lo.min(cap), hi.min(cap))))
        })
        .collect();
    let (lo, hi) = capped
        .values()
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let score_route = match scheme.pass.min_score {
        None => Outcome::Pass,
        Some(min) => {
            let total = if lo >= min {
                Outcome::Pass
            } else if hi < min {
                Outcome::Fail
            } else {
                Outcome::Unknown
            };
            let blocks = scheme.pass.block_min.iter().map(|(b, need)| {
                let (blo, bhi) = capped.get(b).copied().unwrap_or((0.0, 0.0));
                if blo >= *need {
                    Outcome::Pass
                } else if bhi < *need {
                    Outcome::Fail
                } else {
                    Outcome::Unknown
                }
            });
            Outcome::all(
                [total]
                    .into_iter()
                    .chain(guard_outcomes.clone())
                    .chain(blocks),
            )
        }
    };
    let direct: Vec<CriterionResult> = scheme
        .direct_pass
        .iter()
        .map(|t| criterion("direct_pass", t, &c))
        .collect();
    let direct_pass = direct
        .iter()
        .find(|r| r.result == Outcome::Pass)
        .map(|r| r.id.clone());
    let route = Outcome::any(
        [score_route]
            .into_iter()
            .chain(direct.iter().map(|r| r.result)),
    );
    parts.push(route);
    criteria.extend(direct);

    // A required scheme is a criterion of its own, so a failure there is explained here too.
    for r in &scheme.requires {
        let (result, gap) = match all.iter().find(|s| &s.scheme == r) {
            Some(dep) => {
                let d = evaluate(dep, all, profile, as_of, inputs);
                let open: Vec<&CriterionResult> = d
                    .criteria
                    .iter()
                    .filter(|c| c.result != Outcome::Pass && c.kind != "direct_pass")
                    .collect();
                let en: Vec<String> = open.iter().filter_map(|c| c.gap.clone()).collect();
                let zh: Vec<String> = open.iter().filter_map(|c| c.gap_zh.clone()).collect();
                let gap = (d.result != Outcome::Pass).then(|| {
                    let (result, result_zh) = match d.result {
                        Outcome::Fail => ("fails", "未通过"),
                        _ => ("is undecided", "待定"),
                    };
                    let name = all
                        .iter()
                        .find(|s| &s.scheme == r)
                        .map_or(r.as_str(), |s| s.zh.as_str());
                    Gap {
                        en: if en.is_empty() {
                            format!("required scheme {r} {result}")
                        } else {
                            format!("required scheme {r} {result}: {}", en.join("; "))
                        },
                        zh: if zh.is_empty() {
                            format!("须先满足的{name}{result_zh}")
                        } else {
                            format!("须先满足的{name}{result_zh}：{}", zh.join("；"))
                        },
                    }
                });
                (d.result, gap)
            }
            None => (
                Outcome::Unknown,
                Some(Gap {
                    en: format!("required scheme {r} is not among the tables"),
                    zh: format!("须先满足的 {r} 不在规则表中"),
                }),
            ),
        };
        parts.push(result);
        criteria.push(CriterionResult {
            id: format!("requires_{r}"),
            kind: "requires".into(),
            zh: format!(
                "须先满足{}",
                all.iter()
                    .find(|s| &s.scheme == r)
                    .map_or(r.as_str(), |s| s.zh.as_str())
            ),
            en: format!("requires {r}"),
            metric: None,
            assessor: None,
            value: None,
            threshold: None,
            points: None,
            max_points: None,
            result,
            gap: gap.as_ref().map(|g| g.en.clone()),
            gap_zh: gap.map(|g| g.zh),
            confirmed: scheme.status == Status::Confirmed,
        });
    }
    let scored = scheme.pass.min_score.is_some();
    SchemeResult {
        scheme: scheme.scheme.clone(),
        version: scheme.version.clone(),
        result: Outcome::all(parts),
        score: (scored && (hi - lo).abs() < 1e-9).then_some(lo),
        score_range: (scored && (hi - lo).abs() >= 1e-9).then_some((lo, hi)),
        direct_pass,
        criteria,
    }
}
