//! The shape of a scheme file (`data/rules/README.md`).

use serde::Deserialize;

/// The shipped scheme files: (file name, contents).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "tech_sme.toml",
        include_str!("../../../data/rules/tech_sme.toml"),
    ),
    ("hte.toml", include_str!("../../../data/rules/hte.toml")),
    (
        "innovative_sme.toml",
        include_str!("../../../data/rules/innovative_sme.toml"),
    ),
    (
        "zjtx_sme.toml",
        include_str!("../../../data/rules/zjtx_sme.toml"),
    ),
    (
        "little_giant.toml",
        include_str!("../../../data/rules/little_giant.toml"),
    ),
];

/// Confirmed in a public source, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Unconfirmed,
}

/// One scheme: who runs it, what passes, and every criterion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub scheme: String,
    pub version: String,
    pub zh: String,
    pub en: String,
    pub authority: String,
    pub source: String,
    pub status: Status,
    pub effective_from: String,
    #[serde(default)]
    pub requires: Vec<String>,
    pub pass: Pass,
    #[serde(default, rename = "block")]
    pub blocks: Vec<Block>,
    #[serde(default)]
    pub eligibility: Vec<Test>,
    #[serde(default, rename = "condition")]
    pub conditions: Vec<Test>,
    #[serde(default, rename = "indicator")]
    pub indicators: Vec<Indicator>,
    #[serde(default)]
    pub direct_pass: Vec<Test>,
}

/// What passes: a score, block minimums, guards (indicators that must score), all conditions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pass {
    pub min_score: Option<f64>,
    #[serde(default)]
    pub all_conditions: bool,
    #[serde(default)]
    pub guards: Vec<String>,
    #[serde(default)]
    pub block_min: std::collections::BTreeMap<String, f64>,
}

/// A group of indicators or conditions (专/精/特/新, innovation / growth…), optionally capped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub max_points: Option<f64>,
}

/// A yes/no test: a metric against a value (or a tiered value), an assessor's yes/no, or any/all of
/// sub-tests. Top-level tests carry id, names, source and status; sub-tests may omit them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    pub id: Option<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
    pub block: Option<String>,
    pub metric: Option<String>,
    pub op: Option<String>,
    pub value: Option<f64>,
    /// The threshold depends on this metric: the first tier whose `upto` is ≥ its value applies.
    pub by: Option<String>,
    #[serde(default)]
    pub tiers: Vec<Tier>,
    pub assessor: Option<String>,
    #[serde(default)]
    pub any: Vec<Test>,
    #[serde(default)]
    pub all: Vec<Test>,
    /// The first sub-test whose input is given decides (data before a judgment that stands in for
    /// it): unknown only when none can be read.
    #[serde(default)]
    pub first: Vec<Test>,
    /// What this test is when its input is not given: `unknown` (default) or `fail` (an official's
    /// flag that can only add a pass the data lacks).
    pub missing: Option<String>,
    pub source: Option<String>,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub upto: Option<f64>,
    pub value: f64,
}

/// A scored criterion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub block: Option<String>,
    pub max_points: f64,
    pub metric: Option<String>,
    /// Points from the first band whose `min` the value reaches (descending `min`).
    #[serde(default)]
    pub bands: Vec<Band>,
    /// Points from the first band the value is at or (exclusive) below (ascending `max`).
    #[serde(default)]
    pub bands_desc: Vec<BandDesc>,
    #[serde(default)]
    pub best_of: Vec<Alternative>,
    #[serde(default)]
    pub ladder: Vec<Step>,
    pub assessor: Option<String>,
    pub points_true: Option<f64>,
    pub points_false: Option<f64>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: f64,
    pub points: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDesc {
    pub max: f64,
    pub points: f64,
    #[serde(default)]
    pub exclusive: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    pub metric: String,
    pub bands: Vec<Band>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub metric: String,
    pub min: f64,
    pub points: f64,
}

/// Parses one file, naming the file in the error.
pub fn parse_scheme(file: &str, text: &str) -> Result<Scheme, String> {
    toml::from_str(text).map_err(|e| format!("{file}: {}", e.to_string().trim()))
}

/// The shipped schemes, parsed and validated together; every problem at once on failure.
pub fn load_shipped() -> Result<Vec<Scheme>, Vec<crate::Problem>> {
    let mut schemes = vec![];
    let mut problems = vec![];
    for (file, text) in SHIPPED {
        match parse_scheme(file, text) {
            Ok(s) => schemes.push((file.to_string(), s)),
            Err(e) => problems.push(crate::Problem {
                file: file.to_string(),
                item: String::new(),
                message: e,
            }),
        }
    }
    let known: Vec<String> = schemes.iter().map(|(_, s)| s.scheme.clone()).collect();
    for (file, s) in &schemes {
        problems.extend(crate::validate_scheme(file, s, &known));
    }
    if problems.is_empty() {
        Ok(schemes.into_iter().map(|(_, s)| s).collect())
    } else {
        Err(problems)
    }
}

/// A qualification as held by an enterprise: a scheme code (`hte`) as is, or a shipped scheme's
/// Chinese name (高新技术企业, 专精特新“小巨人”企业, with or without quotes or 企业) mapped to its code.
pub fn qualification_code(held: &str) -> String {
    fn strip(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(c, '"' | '“' | '”' | '\'' | ' ' | '　'))
            .collect::<String>()
            .trim_end_matches("企业")
            .to_string()
    }
    // The shipped schemes' (code, stripped Chinese name), parsed once.
    static NAMES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        SHIPPED
            .iter()
            .filter_map(|(file, text)| parse_scheme(file, text).ok())
            .map(|s| (s.scheme.clone(), strip(&s.zh)))
            .collect()
    });
    let given = strip(held);
    names
        .iter()
        .find(|(code, zh)| *zh == given || code == held.trim())
        .map(|(code, _)| code.clone())
        .unwrap_or_else(|| held.trim().to_ascii_lowercase())
}

/// Every assessor key the schemes read (in tests, indicators and nested tests), so stored assessor
/// inputs can be checked against them.
pub fn assessor_keys(schemes: &[Scheme]) -> std::collections::BTreeSet<String> {
    fn walk(t: &Test, out: &mut std::collections::BTreeSet<String>) {
        if let Some(a) = &t.assessor {
            out.insert(a.clone());
        }
        for s in t.any.iter().chain(&t.all).chain(&t.first) {
            walk(s, out);
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for s in schemes {
        for t in s
            .eligibility
            .iter()
            .chain(&s.conditions)
            .chain(&s.direct_pass)
        {
            walk(t, &mut out);
        }
        for i in &s.indicators {
            if let Some(a) = &i.assessor {
                out.insert(a.clone());
            }
        }
    }
    out
}
