//! Discrimination measures for a score where higher means more likely to default.

/// The counts of defaulters and non-defaulters and the indices in score order; None when either
/// class is absent (neither measure is defined then).
fn ranked(
    scores: &[f64],
    defaulted: &[bool],
    descending: bool,
) -> Option<(usize, usize, Vec<usize>)> {
    assert_eq!(scores.len(), defaulted.len(), "one label per score");
    let pos = defaulted.iter().filter(|&&d| d).count();
    let neg = defaulted.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    if descending {
        idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    } else {
        idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    }
    Some((pos, neg, idx))
}

/// Area under the ROC curve: the chance a random defaulter scores above a random non-defaulter,
/// ties counting one half (Mann–Whitney with mid-ranks). None when either class is absent.
pub fn auc(scores: &[f64], defaulted: &[bool]) -> Option<f64> {
    let (pos, neg, idx) = ranked(scores, defaulted, false)?;
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        // Ranks i+1..=j+1 share their mean.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid * idx[i..=j].iter().filter(|&&k| defaulted[k]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative shares of defaulters and
/// non-defaulters over score thresholds. Tied scores move together (a cut never splits a tie).
pub fn ks(scores: &[f64], defaulted: &[bool]) -> Option<f64> {
    let (pos, neg, idx) = ranked(scores, defaulted, true)?;
    let (mut tp, mut fp, mut best) = (0usize, 0usize, 0.0f64);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            if defaulted[idx[j]] {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        best = best.max((tp as f64 / pos as f64 - fp as f64 / neg as f64).abs());
        i = j;
    }
    Some(best)
}
