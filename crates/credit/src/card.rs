//! The scorecard file (`data/credit/scorecard.toml`, format in `docs/credit.md`): its shape, the
//! loader, and a whole-file check that reports every problem at once so an editor fixes them in one
//! pass.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod validate;
pub use validate::validate_card;

/// The shipped default card.
pub const SHIPPED_CARD: &str = include_str!("../../../data/credit/scorecard.toml");

/// Metrics the crate computes itself (the rest come from `rules::Profile::metric`).
pub const CREDIT_METRICS: &[&str] = &[
    "ip_weighted",
    "awards_weighted_5y",
    "tier_level",
    "revenue_growth_last_year",
];

/// Profile flags a card may treat as disqualifying.
pub const FLAGS: &[&str] = &[
    "prohibited_industry",
    "major_accident",
    "serious_violation",
    "abnormal_operation",
];

const UNITS: &[&str] = &["ratio", "count", "level", "years"];
const GROUPS: &[&str] = &["innovation", "operating"];
const FACTOR_PLACEHOLDERS: &[&str] = &["value", "better", "points", "max"];
const MISSING_PLACEHOLDERS: &[&str] = &["name_zh", "name_en", "metric", "max"];
const NO_GRADE_PLACEHOLDERS: &[&str] = &["score", "min"];

/// Confirmed in a public source, or not (the same mark as the tier tables').
pub use rules::scheme::Status;

/// One scorecard: keyed by (scheme, version); its weight tables are keyed by stage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub scheme: String,
    pub version: String,
    pub zh: String,
    pub en: String,
    pub source: String,
    pub status: Status,
    pub top_reasons: usize,
    pub missing_zh: String,
    pub missing_en: String,
    pub no_grade_code: String,
    pub no_grade_zh: String,
    pub no_grade_en: String,
    #[serde(default, rename = "disqualifier")]
    pub disqualifiers: Vec<Disqualifier>,
    pub stage_rule: StageRule,
    #[serde(rename = "stage")]
    pub stages: Vec<Stage>,
    pub tiers: Tiers,
    #[serde(rename = "factor")]
    pub factors: Vec<Factor>,
    pub weights: BTreeMap<String, Weights>,
    #[serde(rename = "grade")]
    pub grades: Vec<Grade>,
    /// SHA-256 of the card text, set by the loader.
    #[serde(skip)]
    pub fingerprint: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disqualifier {
    pub flag: String,
    pub code: String,
    pub zh: String,
    pub en: String,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRule {
    pub unknown_stage: String,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub when_any: Vec<StageCondition>,
    pub source: String,
    pub status: Status,
}

/// Holds when the metric is known and below the threshold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageCondition {
    pub metric: String,
    pub below: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub levels: BTreeMap<String, u32>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub code: String,
    pub group: String,
    pub zh: String,
    pub en: String,
    pub metric: String,
    pub unit: String,
    pub bands: Vec<Band>,
    pub reason_code: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub source: String,
    pub status: Status,
}

/// `from` is inclusive; `points` is the fraction of the factor's weight earned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub from: f64,
    pub points: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub factors: BTreeMap<String, f64>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub grade: String,
    pub min_score: f64,
    pub credit_line_yuan: u64,
    pub line_source: String,
    pub line_status: Status,
    pub cutoff_source: String,
    pub cutoff_status: Status,
}

/// One thing wrong with a card: where (`key`) and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardProblem {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for CardProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("{file}: cannot read: {source} (fix: check the path and its permissions)")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: not a valid scorecard file: {message} (fix: see docs/credit.md for the format)"
    )]
    Parse { file: String, message: String },
    #[error("{file}: {} problem(s):\n{}", .problems.len(), .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        file: String,
        problems: Vec<CardProblem>,
    },
}

/// The shipped card, parsed and checked (a broken shipped card is a build defect, caught by tests).
pub fn shipped() -> Card {
    parse_card("data/credit/scorecard.toml", SHIPPED_CARD)
        .expect("the shipped scorecard is valid (tested)")
}

/// Reads and checks a card file.
pub fn load_card(path: &Path) -> Result<Card, CardError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CardError::Io {
        file: file.clone(),
        source,
    })?;
    parse_card(&file, &text)
}

/// Parses and checks card text; `file` names it in errors.
pub fn parse_card(file: &str, text: &str) -> Result<Card, CardError> {
    let mut card: Card = toml::from_str(text).map_err(|e| CardError::Parse {
        file: file.to_string(),
        message: e.to_string().trim().replace('\n', " "),
    })?;
    let problems = validate_card(&card);
    if !problems.is_empty() {
        return Err(CardError::Invalid {
            file: file.to_string(),
            problems,
        });
    }
    card.fingerprint = fingerprint(text);
    Ok(card)
}

/// SHA-256 of the card text, hex: a stored evaluation names the exact card it used.
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every metric a card may read.
pub fn known_metric(name: &str) -> bool {
    CREDIT_METRICS.contains(&name) || rules::METRICS.contains(&name)
}

fn placeholders(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].to_string());
                rest = &after[j + 1..];
            }
            None => {
                out.push(after.to_string());
                break;
            }
        }
    }
    out
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Card {
    /// The factor weight for a stage (0 when the card has none, which validation rules out).
    pub fn weight(&self, stage: &str, code: &str) -> f64 {
        self.weights
            .get(stage)
            .and_then(|w| w.factors.get(code))
            .copied()
            .unwrap_or(0.0)
    }
}
