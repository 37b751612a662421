//! Fusion of the lexical and the dense candidate lists into one ranking.
//!
//! Two families are implemented so the dev splits can choose (BENCHMARKS.md has the comparison):
//! reciprocal-rank fusion, which ignores score magnitudes, and normalised score fusion, which keeps
//! them. Either way the lexical side's weight drops for a document in another language than the query:
//! a Chinese need and an English abstract share only gene names and numbers, so their BM25 score says
//! little, while the multilingual encoder still compares them.

use std::collections::HashMap;

use model::RecordKind;

use crate::lexical::Hit;
use crate::vector::VectorHit;

/// How the two lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FusionMethod {
    /// Σ w / (k + rank).
    Rrf,
    /// Scores rescaled to 0..1 over each list (min–max), then a weighted sum.
    MinMax,
    /// Scores standardised over each list (z-scores), then a weighted sum.
    ZScore,
}

/// Fusion parameters; the defaults are the values the dev splits preferred (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FusionParams {
    pub method: FusionMethod,
    /// The `k` of reciprocal-rank fusion.
    pub rrf_k: f32,
    pub w_lexical: f32,
    pub w_dense: f32,
    /// Multiplies the lexical weight for a document whose language differs from the query's.
    pub cross_language_lexical: f32,
    /// Candidates taken from each list.
    pub depth: usize,
    /// Language balance (see [`crate::retrieve`]): the dictionary bridge's BM25 score of a document in
    /// another language than the query is multiplied by this before it joins the lexical list.
    pub bridge: f32,
    /// Language balance: added to the cosine similarity of a document in another language than the
    /// query (multilingual encoders score same-language pairs higher; this is the per-pair offset).
    pub cross_language_dense: f32,
    /// A lexical candidate the dense list left out gets its own cosine rather than the list's floor.
    pub fill_in: bool,
    /// Language balance: each cosine less the query's mean cosine to the items of that item's language
    /// (a per-query, per-pair offset; see [`crate::retrieve`]).
    pub language_centering: bool,
    /// The English encoder's weight against the multilingual one in an English record's dense score
    /// for an English query (0: not used; see [`crate::retrieve`]).
    pub english_dense: f32,
    /// The lexical and dense weights of an English query when the English encoder ran (its dense list
    /// reads English better, so it earns a larger share); `None`: `w_lexical` and `w_dense`.
    pub english_w_lexical: Option<f32>,
    pub english_w_dense: Option<f32>,
}

impl Default for FusionParams {
    fn default() -> Self {
        FusionParams {
            method: FusionMethod::MinMax,
            rrf_k: 60.0,
            w_lexical: 0.5,
            w_dense: 0.5,
            cross_language_lexical: 0.5,
            depth: 100,
            bridge: 1.0,
            cross_language_dense: 0.0,
            fill_in: false,
            language_centering: false,
            english_dense: 0.0,
            english_w_lexical: None,
            english_w_dense: None,
        }
    }
}

impl FusionParams {
    /// Checks the values make sense; the message names the offending field (as in the ranking file).
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("fusion.w_lexical", self.w_lexical),
            ("fusion.w_dense", self.w_dense),
            ("fusion.cross_language_lexical", self.cross_language_lexical),
            ("fusion.rrf_k", self.rrf_k),
            ("fusion.bridge", self.bridge),
            ("fusion.english_dense", self.english_dense),
            (
                "fusion.english_w_lexical",
                self.english_w_lexical.unwrap_or(0.0),
            ),
            (
                "fusion.english_w_dense",
                self.english_w_dense.unwrap_or(0.0),
            ),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} = {v}: give a finite number ≥ 0"));
            }
        }
        if !self.cross_language_dense.is_finite() || self.cross_language_dense.abs() > 1.0 {
            return Err(format!(
                "fusion.cross_language_dense = {}: give a cosine offset from -1 to 1",
                self.cross_language_dense
            ));
        }
        if self.depth == 0 || self.depth > 10_000 {
            return Err(format!(
                "fusion.depth = {}: give a number of candidates from 1 to 10000",
                self.depth
            ));
        }
        if self.w_lexical + self.w_dense == 0.0 {
            return Err(
                "fusion.w_lexical and fusion.w_dense are both 0: nothing would rank".into(),
            );
        }
        Ok(())
    }
}

/// What one list said of a fused candidate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// 1-based rank in its list.
    pub rank: usize,
    /// The list's own score: BM25, or cosine similarity.
    pub score: f32,
    /// What the candidate gained from this list in the fused score.
    pub contribution: f32,
}

/// What each retrieval list added to a candidate's relevance: the query's own words, their dictionary
/// translation into the other language, the multilingual encoder and the English encoder.
/// `words + bridge` is the lexical evidence's contribution and `multilingual + english` the dense one's
/// (the English encoder's part is its weight in the blend of the two cosines).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Lists {
    pub words: f32,
    pub bridge: f32,
    pub multilingual: f32,
    pub english: f32,
}

/// One fused candidate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fused {
    pub record_kind: RecordKind,
    pub id: u64,
    pub score: f32,
    pub lexical: Option<Evidence>,
    pub dense: Option<Evidence>,
    /// The lexical weight was reduced because the languages differ.
    pub cross_language: bool,
    /// What the score holds from a list that did not list the candidate (that list's floor: its lowest
    /// normalised score under score fusion, nothing under rank fusion), so the parts add up to `score`.
    pub absent: f32,
    /// Each list's part of `score − absent`.
    pub lists: Lists,
}

/// Per-list rescaling of scores to what the weighted sum adds.
fn normaliser(method: FusionMethod, scores: &[f32]) -> impl Fn(f32) -> f32 {
    let n = scores.len().max(1) as f32;
    let (lo, hi) = scores
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &s| {
            (lo.min(s), hi.max(s))
        });
    let mean = scores.iter().sum::<f32>() / n;
    let sd = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
    move |s| match method {
        FusionMethod::MinMax if hi > lo => (s - lo) / (hi - lo),
        FusionMethod::MinMax => 1.0,
        FusionMethod::ZScore if sd > 0.0 => (s - mean) / sd,
        FusionMethod::ZScore => 0.0,
        FusionMethod::Rrf => s,
    }
}

/// Fuses the two lists (each best first). `same_language(kind, id)` tells whether a candidate is in the
/// query's language (`None`: unknown, treated as the same). A candidate absent from one list gets that
/// list's floor: nothing under rank fusion, the list's lowest normalised score under score fusion.
pub fn fuse(
    lexical: &[Hit],
    dense: &[VectorHit],
    same_language: impl Fn(RecordKind, u64) -> Option<bool>,
    p: &FusionParams,
) -> Vec<Fused> {
    let lexical = &lexical[..lexical.len().min(p.depth)];
    let dense = &dense[..dense.len().min(p.depth)];
    fuse_ranged(lexical, dense, same_language, p, dense.len())
}

/// [`fuse`] of whole lists whose dense scores are rescaled by the range of the first `dense_range`
/// (the list proper; entries after them were filled in for candidates it left out, see
/// [`crate::retrieve`]).
pub fn fuse_ranged(
    lexical: &[Hit],
    dense: &[VectorHit],
    same_language: impl Fn(RecordKind, u64) -> Option<bool>,
    p: &FusionParams,
    dense_range: usize,
) -> Vec<Fused> {
    let mut by_key: HashMap<(RecordKind, u64), Fused> = HashMap::new();
    fn slot<'a>(
        map: &'a mut HashMap<(RecordKind, u64), Fused>,
        kind: RecordKind,
        id: u64,
        same_language: &impl Fn(RecordKind, u64) -> Option<bool>,
    ) -> &'a mut Fused {
        map.entry((kind, id)).or_insert_with(|| Fused {
            record_kind: kind,
            id,
            score: 0.0,
            lexical: None,
            dense: None,
            cross_language: same_language(kind, id) == Some(false),
            absent: 0.0,
            lists: Lists::default(),
        })
    }
    let lex_scores: Vec<f32> = lexical.iter().map(|h| h.score).collect();
    let dense_scores: Vec<f32> = dense.iter().map(|h| h.similarity).collect();
    let dense_scores = &dense_scores[..dense_scores.len().min(dense_range)];
    let lex_norm = normaliser(p.method, &lex_scores);
    let dense_norm = normaliser(p.method, dense_scores);
    let value = |rank: usize, norm: f32| match p.method {
        FusionMethod::Rrf => 1.0 / (p.rrf_k + rank as f32),
        _ => norm,
    };
    let lex_weight = |cross: bool| p.w_lexical * if cross { p.cross_language_lexical } else { 1.0 };
    for (i, h) in lexical.iter().enumerate() {
        let f = slot(&mut by_key, h.record_kind, h.id, &same_language);
        f.lexical = Some(Evidence {
            rank: i + 1,
            score: h.score,
            contribution: lex_weight(f.cross_language) * value(i + 1, lex_norm(h.score)),
        });
    }
    for (i, h) in dense.iter().enumerate() {
        let f = slot(&mut by_key, h.record_kind, h.id, &same_language);
        f.dense = Some(Evidence {
            rank: i + 1,
            score: h.similarity,
            contribution: p.w_dense * value(i + 1, dense_norm(h.similarity)),
        });
    }
    // A side that did not list a candidate gives it that list's lowest normalised score (nothing under
    // rank fusion, nor from a list whose scores are all equal: one candidate, or ties, say nothing of
    // the ones it left out).
    let floor = |scores: &[f32], norm: &dyn Fn(f32) -> f32| {
        let lo = scores.iter().copied().reduce(f32::min);
        let hi = scores.iter().copied().reduce(f32::max);
        match (p.method, lo, hi) {
            (FusionMethod::Rrf, _, _) | (_, None, _) | (_, _, None) => 0.0,
            (_, Some(lo), Some(hi)) if hi <= lo => 0.0,
            (_, Some(lo), _) => norm(lo),
        }
    };
    let lex_floor = floor(&lex_scores, &lex_norm);
    let dense_floor = floor(dense_scores, &dense_norm);
    let mut out: Vec<Fused> = by_key
        .into_values()
        .map(|mut f| {
            let lex_absent = lex_weight(f.cross_language) * lex_floor;
            let dense_absent = p.w_dense * dense_floor;
            let lex = f.lexical.map_or(lex_absent, |e| e.contribution);
            let den = f.dense.map_or(dense_absent, |e| e.contribution);
            f.absent =
                f.lexical.map_or(lex_absent, |_| 0.0) + f.dense.map_or(dense_absent, |_| 0.0);
            f.score = lex + den;
            f.lists = Lists {
                words: f.lexical.map_or(0.0, |e| e.contribution),
                multilingual: f.dense.map_or(0.0, |e| e.contribution),
                ..Lists::default()
            };
            f
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.record_kind.as_str().cmp(b.record_kind.as_str()))
            .then(a.id.cmp(&b.id))
    });
    out
}
