//! The pure rules of challenges (揭榜挂帅) and open application scenarios: the settings and forms
//! kept as data, the review's arithmetic (trimmed weighted means, ranking with explicit ties and the
//! horse-race cut), reviewer conflicts of interest, and the market grade (市场阅卷).
//!
//! Nothing here reads the store: the engine gathers the facts and these functions decide, so every
//! rule can be tested with a handful of numbers.

pub mod conflicts;
pub mod market;
pub mod scoring;

pub use conflicts::{conflicts_of, Conflict, Party, ReviewerFacts};
pub use market::{grade, Grade, GradePart, MarketRules, MarketValues};
pub use scoring::{choose_winners, rank, result_of, Criterion, Form, Ranked, Sheet, Standing};

/// The shipped settings (`data/challenges/settings.toml`).
pub const SETTINGS: &str = include_str!("../../../data/challenges/settings.toml");
/// The shipped default scoring form.
pub const DEFAULT_FORM: &str = include_str!("../../../data/challenges/scoring-default.toml");
/// The shipped market-grade weights and bands.
pub const MARKET: &str = include_str!("../../../data/challenges/market-grade.toml");

/// Settings of the challenge and scenario workflows (see the file for each value's source).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub notice_days: i64,
    pub conflict_years: i64,
    pub min_reviewers: usize,
    pub trim_from_reviewers: usize,
    pub market_months: Vec<i64>,
    pub evidence_max_bytes: usize,
    pub evidence_types: Vec<String>,
    pub max_targets: usize,
    pub max_members: usize,
    pub max_team: usize,
    pub max_milestones: usize,
    pub max_applications: i64,
}

/// Why a data file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct DataError {
    pub file: String,
    pub message: String,
}

impl Settings {
    pub fn load(file: &str, text: &str) -> Result<Settings, DataError> {
        let s: Settings = toml::from_str(text).map_err(|e| DataError {
            file: file.into(),
            message: e.to_string(),
        })?;
        let bad = |m: &str| DataError {
            file: file.into(),
            message: m.into(),
        };
        if !(1..=60).contains(&s.notice_days) {
            return Err(bad("notice_days: give 1 to 60"));
        }
        if s.min_reviewers == 0 || s.trim_from_reviewers < 3 {
            return Err(bad(
                "min_reviewers must be at least 1 and trim_from_reviewers at least 3",
            ));
        }
        if s.market_months.is_empty() || s.market_months.iter().any(|m| !(1..=120).contains(m)) {
            return Err(bad("market_months: give months from 1 to 120"));
        }
        Ok(s)
    }

    /// The shipped settings (a broken shipped file is a build defect, caught by the tests).
    pub fn shipped() -> Settings {
        Settings::load("settings.toml", SETTINGS).expect("shipped settings.toml")
    }
}

/// Folds a name for comparison: case, spaces and full-width forms do not tell two names apart.
pub fn fold_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '.' | '（' | '）' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_load() {
        let s = Settings::shipped();
        assert_eq!(s.notice_days, 7);
        assert!(Form::load("scoring-default.toml", DEFAULT_FORM).is_ok());
        assert!(MarketRules::load("market-grade.toml", MARKET).is_ok());
    }

    #[test]
    fn names_fold() {
        assert_eq!(fold_name(" 重庆 大学 "), "重庆大学");
        assert_eq!(fold_name("Li  Wei"), fold_name("li wei"));
        assert_ne!(fold_name("李伟"), fold_name("李威"));
    }
}
