//! Ranking metrics, computed like trec_eval: documents with relevance ≤ 0 are not relevant; nDCG uses
//! the graded gain 2^rel − 1 and a log2(rank + 1) discount, normalised by the ideal ranking of the judged
//! documents; Recall@k divides by all relevant documents of the query.

use std::collections::HashMap;

/// Relevance judgements of one query: document id → grade.
pub type Judgements = HashMap<String, i32>;

fn gain(rel: i32) -> f64 {
    if rel <= 0 {
        0.0
    } else {
        2f64.powi(rel) - 1.0
    }
}

fn discount(rank0: usize) -> f64 {
    (rank0 as f64 + 2.0).log2()
}

/// nDCG@k of one ranked list.
pub fn ndcg_at(ranked: &[&str], judged: &Judgements, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| gain(judged.get(*d).copied().unwrap_or(0)) / discount(i))
        .sum();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|r| *r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, r)| gain(*r) / discount(i))
        .sum();
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

/// Share of the query's relevant documents found in the top k.
pub fn recall_at(ranked: &[&str], judged: &Judgements, k: usize) -> f64 {
    let relevant = judged.values().filter(|r| **r > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|d| judged.get(**d).is_some_and(|r| *r > 0))
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the top k (0 when none).
pub fn mrr_at(ranked: &[&str], judged: &Judgements, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|d| judged.get(*d).is_some_and(|r| *r > 0))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, i32)]) -> Judgements {
        pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ndcg_binary_by_hand() {
        // Relevant: a, b. Ranking: x a y b.
        // DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
        // IDCG = 1/log2(2) + 1/log2(3) = 1 + 0.630930 = 1.630930
        let j = judged(&[("a", 1), ("b", 1)]);
        let v = ndcg_at(&["x", "a", "y", "b"], &j, 10);
        assert!(
            close(v, 1.061_606_311_644_305_6 / 1.630_929_753_571_457_4),
            "{v}"
        );
        // Cut at 2: only a counts.
        let v = ndcg_at(&["x", "a", "y", "b"], &j, 2);
        assert!(
            close(v, 0.630_929_753_571_457_4 / 1.630_929_753_571_457_4),
            "{v}"
        );
    }

    #[test]
    fn ndcg_graded_uses_two_to_the_rel_minus_one() {
        // Grades: a=2 (gain 3), b=1 (gain 1). Ranking b a.
        // DCG = 1/1 + 3/log2(3) = 1 + 1.892789 = 2.892789; IDCG = 3/1 + 1/log2(3) = 3.630930
        let j = judged(&[("a", 2), ("b", 1), ("c", 0)]);
        let v = ndcg_at(&["b", "a", "c"], &j, 10);
        assert!(
            close(v, (1.0 + 3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2())),
            "{v}"
        );
        assert!(close(ndcg_at(&["a", "b"], &j, 10), 1.0));
        assert_eq!(ndcg_at(&["c"], &j, 10), 0.0);
    }

    #[test]
    fn ideal_ranking_counts_unretrieved_relevant_documents() {
        let j = judged(&[("a", 1), ("b", 1), ("c", 1)]);
        // Only a retrieved, at rank 1: DCG 1, IDCG 1 + 1/log2 3 + 1/log2 4 = 2.130930
        let v = ndcg_at(&["a"], &j, 10);
        assert!(close(v, 1.0 / (1.0 + 1.0 / 3f64.log2() + 0.5)), "{v}");
    }

    #[test]
    fn recall_and_mrr_by_hand() {
        let j = judged(&[("a", 1), ("b", 2), ("c", 1), ("z", 0)]);
        let ranked = ["z", "x", "b", "a"];
        assert!(close(recall_at(&ranked, &j, 100), 2.0 / 3.0));
        assert!(close(recall_at(&ranked, &j, 3), 1.0 / 3.0));
        assert!(close(mrr_at(&ranked, &j, 10), 1.0 / 3.0));
        assert_eq!(mrr_at(&ranked, &j, 2), 0.0);
        assert_eq!(recall_at(&ranked, &judged(&[]), 10), 0.0);
    }
}
