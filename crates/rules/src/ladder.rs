//! The cultivation ladders (`data/rules/ladders.toml`) and an enterprise's evaluation over every
//! scheme with its next step on each ladder: the lowest tier not yet reached and what it misses.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::evaluate::{evaluate, AssessorInputs, Outcome, SchemeResult};
use crate::profile::Profile;
use crate::scheme::{Scheme, Status};

pub const LADDERS: &str = include_str!("../../../data/rules/ladders.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    pub id: String,
    pub zh: String,
    pub en: String,
    /// Scheme codes, lowest tier first.
    pub steps: Vec<String>,
    pub source: String,
    #[serde(skip_serializing)]
    pub status: Status,
}

#[derive(Deserialize)]
struct File {
    ladder: Vec<Ladder>,
}

/// The shipped ladders, checked against the schemes: every step must be a known scheme.
pub fn load_ladders(schemes: &[Scheme]) -> Result<Vec<Ladder>, String> {
    let f: File = toml::from_str(LADDERS)
        .map_err(|e| format!("data/rules/ladders.toml: {}", e.to_string().trim()))?;
    for l in &f.ladder {
        for s in &l.steps {
            if !schemes.iter().any(|x| &x.scheme == s) {
                return Err(format!(
                    "data/rules/ladders.toml: ladder {}: step '{s}' is not a scheme (fix: one of the data/rules tables' `scheme` codes)",
                    l.id
                ));
            }
        }
    }
    Ok(f.ladder)
}

/// The next tier on one ladder and what it misses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    pub ladder: String,
    pub scheme: String,
    /// `fail` or `unknown` (what is missing may be data, not performance).
    pub result: Outcome,
    /// Every failed or unknown criterion, in words. Direct-pass routes are alternatives, not
    /// requirements, so they are left out.
    pub missing: Vec<String>,
    /// The same in Chinese.
    pub missing_zh: Vec<String>,
}

/// One enterprise over every scheme asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnterpriseEvaluation {
    pub uscc: String,
    pub name: String,
    pub as_of: NaiveDate,
    pub schemes: Vec<SchemeResult>,
    pub next: Vec<NextStep>,
}

/// Evaluates `profile` against `chosen` schemes (`all` resolves required schemes) and finds the next
/// step on each ladder among the chosen ones.
pub fn evaluate_enterprise(
    chosen: &[&Scheme],
    all: &[Scheme],
    ladders: &[Ladder],
    profile: &Profile,
    as_of: NaiveDate,
    inputs: &AssessorInputs,
) -> EnterpriseEvaluation {
    let schemes: Vec<SchemeResult> = chosen
        .iter()
        .map(|s| evaluate(s, all, profile, as_of, inputs))
        .collect();
    let next = ladders
        .iter()
        .filter_map(|l| {
            let r = l.steps.iter().find_map(|code| {
                schemes
                    .iter()
                    .find(|r| &r.scheme == code)
                    .filter(|r| r.result != Outcome::Pass)
            })?;
            Some(NextStep {
                ladder: l.id.clone(),
                scheme: r.scheme.clone(),
                result: r.result,
                missing: r
                    .criteria
                    .iter()
                    .filter(|c| c.result != Outcome::Pass && c.kind != "direct_pass")
                    .filter_map(|c| {
                        c.gap.clone().or_else(|| {
                            (c.result == Outcome::Unknown).then(|| {
                                format!(
                                    "{} {}: unknown (data or assessor input needed)",
                                    c.kind, c.id
                                )
                            })
                        })
                    })
                    .collect(),
                missing_zh: r
                    .criteria
                    .iter()
                    .filter(|c| c.result != Outcome::Pass && c.kind != "direct_pass")
                    .filter_map(|c| {
                        c.gap_zh.clone().or_else(|| {
                            (c.result == Outcome::Unknown)
                                .then(|| format!("{}：待定（需补充数据或评审意见）", c.zh))
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    EnterpriseEvaluation {
        uscc: profile.uscc.clone(),
        name: profile.name.clone(),
        as_of,
        schemes,
        next,
    }
}
