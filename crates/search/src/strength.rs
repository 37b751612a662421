//! How strong a match is, said from absolute evidence rather than rank: how many of the need's key
//! words the candidate's text carries, and how close the two are in meaning. The best of a bad lot
//! stays weak — a user can tell a real fit from the top of a list that has none.

use serde::{Deserialize, Serialize};

/// A match's strength, as a page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Weak,
    Possible,
    Strong,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Possible => "possible",
            Strength::Weak => "weak",
        }
    }
}

/// The thresholds (`[strength]` in the ranking file). Coverage is the share of the need's key words
/// found, counted against at most `key_terms_cap` of them (a long need is not expected to be
/// matched word for word); similarity is the cosine of the two embeddings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StrengthRules {
    pub key_terms_cap: usize,
    pub strong_coverage: f32,
    /// Key words a strong lexical match must share, whatever the coverage.
    pub strong_min_terms: usize,
    pub possible_coverage: f32,
    pub strong_similarity: f32,
    pub possible_similarity: f32,
}

impl Default for StrengthRules {
    fn default() -> Self {
        StrengthRules {
            key_terms_cap: 6,
            strong_coverage: 0.5,
            strong_min_terms: 2,
            possible_coverage: 0.25,
            strong_similarity: 0.88,
            possible_similarity: 0.84,
        }
    }
}

impl StrengthRules {
    /// Problems with the thresholds, as one message.
    pub fn check(&self) -> Result<(), String> {
        let share = |name: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("strength.{name} = {v}: give a share from 0 to 1"))
            }
        };
        share("strong_coverage", self.strong_coverage)?;
        share("possible_coverage", self.possible_coverage)?;
        share("strong_similarity", self.strong_similarity)?;
        share("possible_similarity", self.possible_similarity)?;
        if self.key_terms_cap == 0 {
            return Err("strength.key_terms_cap: give at least 1".into());
        }
        if self.possible_coverage > self.strong_coverage
            || self.possible_similarity > self.strong_similarity
        {
            return Err(
                "strength: each `possible_*` threshold must not exceed its `strong_*`".into(),
            );
        }
        Ok(())
    }

    /// The share of key words found: `matched` of `asked`, counted against at most the cap.
    pub fn coverage(&self, matched: usize, asked: usize) -> f32 {
        let against = asked.min(self.key_terms_cap);
        if against == 0 {
            return 0.0;
        }
        (matched as f32 / against as f32).min(1.0)
    }

    /// The strength of a match that found `matched` key words (coverage `coverage`) and, when the
    /// semantic side ran, has cosine `similarity`.
    pub fn assess(&self, coverage: f32, matched: usize, similarity: Option<f32>) -> Strength {
        let sim = similarity.unwrap_or(0.0);
        let lexical_strong = coverage >= self.strong_coverage && matched >= self.strong_min_terms;
        if lexical_strong || (sim >= self.strong_similarity && coverage >= self.possible_coverage) {
            Strength::Strong
        } else if coverage >= self.possible_coverage || sim >= self.possible_similarity {
            Strength::Possible
        } else {
            Strength::Weak
        }
    }
}

/// Whether a query term counts as a key word: a word of two or more Chinese characters, or a Latin
/// word, number or code of two or more characters. A lone Chinese character (热, 控) is a fragment,
/// not a word a person would say was matched.
pub fn is_key_term(term: &str) -> bool {
    term.chars().count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_comes_from_evidence_not_rank() {
        let r = StrengthRules::default();
        // Half the key words, two of them: strong.
        assert_eq!(r.assess(r.coverage(3, 6), 3, None), Strength::Strong);
        // One word of a long need: weak, however high it ranks.
        assert_eq!(r.assess(r.coverage(1, 12), 1, None), Strength::Weak);
        // Two of six: possible.
        assert_eq!(r.assess(r.coverage(2, 6), 2, None), Strength::Possible);
        // Close in meaning without shared words (another language): possible, not strong.
        assert_eq!(r.assess(0.0, 0, Some(0.86)), Strength::Possible);
        // Close in meaning and some shared words: strong.
        assert_eq!(r.assess(r.coverage(2, 6), 2, Some(0.9)), Strength::Strong);
        // A single-word need fully matched is not strong on one word alone.
        assert_eq!(r.assess(r.coverage(1, 1), 1, None), Strength::Possible);
    }

    #[test]
    fn lone_characters_are_not_key_words() {
        assert!(!is_key_term("热"));
        assert!(is_key_term("失控"));
        assert!(is_key_term("5g"));
        assert!(!is_key_term("x"));
    }

    #[test]
    fn thresholds_are_checked() {
        let bad = StrengthRules {
            possible_coverage: 0.9,
            ..StrengthRules::default()
        };
        assert!(bad.check().is_err());
        assert!(StrengthRules::default().check().is_ok());
    }
}
