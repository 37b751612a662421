//! What deals taught the ranking: a candidate an engagement closed as not relevant for a need sinks
//! for that need and for every near-identical need (a need posted again with small edits, or the same
//! problem posted by another enterprise). Near-identical is measured on the texts' character pairs
//! (Jaccard similarity of their bigram sets), which reads Chinese and English alike and needs no model.

use std::collections::HashMap;

use model::RecordKind;

use crate::signals::Rejection;

/// How alike two needs must be for a verdict on one to count for the other.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FeedbackParams {
    /// Jaccard similarity of the two texts' character-bigram sets, 0..1.
    pub near_duplicate: f32,
}

impl Default for FeedbackParams {
    fn default() -> Self {
        FeedbackParams {
            near_duplicate: 0.6,
        }
    }
}

impl FeedbackParams {
    pub fn check(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.near_duplicate) && self.near_duplicate > 0.0 {
            Ok(())
        } else {
            Err(format!(
                "feedback.near_duplicate = {}: give a similarity above 0 and at most 1",
                self.near_duplicate
            ))
        }
    }
}

/// The text's character bigrams (letters, digits and ideographs only, lower-cased), hashed, sorted and
/// without repeats.
pub fn shingles(text: &str) -> Vec<u64> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let mut out: Vec<u64> = chars
        .windows(2)
        .map(|w| ((w[0] as u64) << 32) | w[1] as u64)
        .collect();
    if out.is_empty() && chars.len() == 1 {
        out.push(chars[0] as u64);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two sorted shingle sets (0 when both are empty).
pub fn jaccard(a: &[u64], b: &[u64]) -> f32 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f32 / union as f32
    }
}

/// A public need with the candidates engagements closed as not relevant for it.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedNeed {
    pub demand_id: i64,
    pub shingles: Vec<u64>,
    pub rejected: Vec<(RecordKind, u64)>,
}

/// The not-relevant verdicts a ranking can use: public needs only, so that no confidential need's
/// verdicts reach anyone through another need's ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdicts {
    pub needs: Vec<JudgedNeed>,
}

impl Verdicts {
    /// The candidates to sink for a need with this text: those rejected for the need itself
    /// (`own`: its demand id and its own verdicts, whatever its confidentiality: the caller checked
    /// the asker may see that need) and those rejected for any near-identical public need.
    pub fn rejected_for(
        &self,
        text: &str,
        own: Option<(i64, &[(RecordKind, u64)])>,
        params: &FeedbackParams,
    ) -> HashMap<(RecordKind, u64), Rejection> {
        let mut out = HashMap::new();
        if let Some((_, items)) = own {
            for item in items {
                out.insert(*item, Rejection { same_need: true });
            }
        }
        let own_id = own.map(|(id, _)| id);
        let mine = shingles(text);
        let near = self
            .needs
            .iter()
            .filter(|n| Some(n.demand_id) != own_id)
            .filter(|n| jaccard(&mine, &n.shingles) >= params.near_duplicate);
        for n in near {
            for item in &n.rejected {
                out.entry(*item).or_insert(Rejection { same_need: false });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_posted_again_with_small_edits_is_near_identical_and_another_need_is_not() {
        let a = shingles("动力电池热失控早期预警：需要在电芯层面提前10分钟发现热失控征兆");
        let b = shingles("动力电池热失控早期预警 —— 希望在电芯层面提前5分钟发现热失控征兆");
        let c = shingles("注塑件表面缺陷在线视觉检测，识别缩痕、飞边与气泡");
        assert!(jaccard(&a, &b) >= 0.6, "{}", jaccard(&a, &b));
        assert!(jaccard(&a, &c) < 0.1, "{}", jaccard(&a, &c));
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }

    #[test]
    fn verdicts_carry_to_near_identical_needs_and_the_own_need_wins_the_reason() {
        let judged = |id, title: &str, items: Vec<(RecordKind, u64)>| JudgedNeed {
            demand_id: id,
            shingles: shingles(title),
            rejected: items,
        };
        let v = Verdicts {
            needs: vec![
                judged(
                    1,
                    "Early warning of thermal runaway in battery packs",
                    vec![(RecordKind::Outcome, 7), (RecordKind::Outcome, 8)],
                ),
                judged(
                    2,
                    "Surface defect inspection of injection-moulded parts",
                    vec![(RecordKind::Outcome, 9)],
                ),
            ],
        };
        let p = FeedbackParams::default();
        let got = v.rejected_for(
            "Early warning of thermal runaway in battery packs!",
            None,
            &p,
        );
        assert_eq!(got.len(), 2);
        assert!(!got[&(RecordKind::Outcome, 7)].same_need);
        let own = [(RecordKind::Outcome, 8)];
        let got = v.rejected_for(
            "Early warning of thermal runaway in battery packs",
            Some((5, &own)),
            &p,
        );
        assert!(got[&(RecordKind::Outcome, 8)].same_need);
        assert!(!got[&(RecordKind::Outcome, 7)].same_need);
        assert!(v
            .rejected_for("Gear grinding burn detection", None, &p)
            .is_empty());
        // A need's own verdicts are not counted twice as a near-identical need's.
        let got = v.rejected_for(
            "Early warning of thermal runaway in battery packs",
            Some((1, &[])),
            &p,
        );
        assert!(got.is_empty());
        assert!(FeedbackParams {
            near_duplicate: 0.0
        }
        .check()
        .is_err());
    }
}
