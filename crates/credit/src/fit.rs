//! Fitting a WoE/logistic scorecard from labelled loan outcomes: a seeded stratified split, quantile
//! bins with weight of evidence and information value per bin, Newton–Raphson logistic regression on
//! the WoE values with a small L2 penalty, then points scaled to a base score at base odds with a
//! points-to-double-the-odds (PDO).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::metrics::{auc, ks};
use crate::rng::stream;

mod labelled_csv;
pub use labelled_csv::*;

/// One loan outcome: named numeric features (None or absent = missing, its own bin) and whether
/// the loan defaulted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledRow {
    pub id: Option<String>,
    pub features: BTreeMap<String, Option<f64>>,
    pub default: bool,
}

impl LabelledRow {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.features.get(name).copied().flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    pub seed: u64,
    /// Share of each class held out (the split is stratified by label).
    pub holdout: f64,
    /// Quantile bins per feature on the training rows (fewer when values repeat).
    pub bins: usize,
    /// L2 penalty on the coefficients (not the intercept).
    pub l2: f64,
    /// Added to every good and bad count per bin, so an empty cell has a finite WoE.
    pub smoothing: f64,
    pub base_points: f64,
    /// Good:bad odds at `base_points`, e.g. 50 for 50:1.
    pub base_odds: f64,
    pub pdo: f64,
    pub max_iter: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            seed: 2026,
            holdout: 0.3,
            bins: 5,
            l2: 1.0,
            smoothing: 0.5,
            base_points: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
            max_iter: 50,
        }
    }
}

/// One bin of a feature: `[lower, upper)` on the training quantiles, or the missing bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinFit {
    pub missing: bool,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub train_rows: usize,
    pub train_defaults: usize,
    /// ln(share of goods / share of bads): positive means safer than average.
    pub woe: f64,
    pub iv: f64,
    /// Points this bin adds to the base score.
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureFit {
    pub name: String,
    pub iv: f64,
    /// Coefficient on the WoE value in the default log-odds (negative when WoE works as meant).
    pub coefficient: f64,
    /// Change in default log-odds from the lowest to the highest value bin: its sign is the
    /// direction of the feature's effect on default risk.
    pub direction: f64,
    pub bins: Vec<BinFit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    pub options: FitOptions,
    pub train_rows: usize,
    pub train_defaults: usize,
    pub holdout_rows: usize,
    pub holdout_defaults: usize,
    /// Indices (into the input rows) of the held-out rows, ascending.
    pub holdout_index: Vec<usize>,
    pub intercept: f64,
    /// The score every row starts from (the intercept's share); bins add their points to it.
    pub base_score: f64,
    pub features: Vec<FeatureFit>,
    pub iterations: usize,
    pub converged: bool,
    pub train_auc: f64,
    pub train_ks: f64,
    pub holdout_auc: Option<f64>,
    pub holdout_ks: Option<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FitError {
    #[error("no rows to fit (fix: give labelled rows)")]
    NoRows,
    #[error("the training rows have no {0} (fix: both defaults and non-defaults are needed)")]
    OneClass(&'static str),
    #[error("option {0} (fix: {1})")]
    Options(&'static str, &'static str),
    #[error("no feature columns (fix: add at least one numeric feature)")]
    NoFeatures,
    #[error("the regression's equations are singular (fix: use l2 > 0)")]
    Singular,
}

/// Which rows are held out: a seeded shuffle of each class, the first `share` of each taken.
pub fn holdout_split(defaulted: &[bool], share: f64, seed: u64) -> Vec<bool> {
    let mut out = vec![false; defaulted.len()];
    for (k, class) in [true, false].into_iter().enumerate() {
        let mut idx: Vec<usize> = (0..defaulted.len())
            .filter(|&i| defaulted[i] == class)
            .collect();
        stream(seed, k as u64 + 1).shuffle(&mut idx);
        let take = (share * idx.len() as f64).round() as usize;
        for &i in &idx[..take.min(idx.len())] {
            out[i] = true;
        }
    }
    out
}

/// Interior cut points from training quantiles; a value v falls in bin #{cuts ≤ v}.
fn quantile_cuts(values: &mut [f64], bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mut cuts: Vec<f64> = vec![];
    if n == 0 {
        return cuts;
    }
    for k in 1..bins {
        let c = values[k * n / bins];
        if c > values[0] && cuts.last().is_none_or(|&l| c > l) {
            cuts.push(c);
        }
    }
    cuts
}

struct Binned {
    cuts: Vec<f64>,
    has_missing: bool,
    /// WoE per value bin, then the missing bin (0 when training had no missing values).
    woe: Vec<f64>,
    counts: Vec<(usize, usize)>,
    iv: Vec<f64>,
}

impl Binned {
    fn bin(&self, v: Option<f64>) -> usize {
        match v {
            None => self.cuts.len() + 1,
            Some(v) => self.cuts.iter().filter(|&&c| c <= v).count(),
        }
    }
    fn woe_of(&self, v: Option<f64>) -> f64 {
        self.woe[self.bin(v)]
    }
}

fn bin_feature(rows: &[&LabelledRow], name: &str, opts: &FitOptions) -> Binned {
    let mut values: Vec<f64> = rows.iter().filter_map(|r| r.get(name)).collect();
    let cuts = quantile_cuts(&mut values, opts.bins);
    let nb = cuts.len() + 2;
    let mut b = Binned {
        cuts,
        has_missing: false,
        woe: vec![0.0; nb],
        counts: vec![(0, 0); nb],
        iv: vec![0.0; nb],
    };
    for r in rows {
        let v = r.get(name);
        b.has_missing |= v.is_none();
        let i = b.bin(v);
        b.counts[i].0 += 1;
        b.counts[i].1 += r.default as usize;
    }
    let used: Vec<usize> = (0..nb).filter(|&i| i < nb - 1 || b.has_missing).collect();
    let k = used.len() as f64;
    let s = opts.smoothing;
    let bads: usize = b.counts.iter().map(|c| c.1).sum();
    let goods: usize = b.counts.iter().map(|c| c.0 - c.1).sum();
    for &i in &used {
        let (n, d) = b.counts[i];
        let g = ((n - d) as f64 + s) / (goods as f64 + s * k);
        let bd = (d as f64 + s) / (bads as f64 + s * k);
        b.woe[i] = (g / bd).ln();
        b.iv[i] = (g - bd) * b.woe[i];
    }
    b
}

/// Solves A x = b by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            let (top, bottom) = a.split_at_mut(r);
            for (x, y) in bottom[0][c..].iter_mut().zip(&top[c][c..]) {
                *x -= f * y;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Penalised logistic regression by Newton–Raphson; x rows start with the constant 1.
fn logistic(
    x: &[Vec<f64>],
    y: &[bool],
    l2: f64,
    max_iter: usize,
) -> Result<(Vec<f64>, usize, bool), FitError> {
    let p = x[0].len();
    let mut beta = vec![0.0; p];
    for it in 1..=max_iter {
        let mut grad = vec![0.0; p];
        let mut hess = vec![vec![0.0; p]; p];
        for (xi, &yi) in x.iter().zip(y) {
            let z: f64 = xi.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let mu = sigmoid(z);
            let w = mu * (1.0 - mu);
            let r = mu - if yi { 1.0 } else { 0.0 };
            for ((g, row), xa) in grad.iter_mut().zip(hess.iter_mut()).zip(xi) {
                *g += r * xa;
                for (h, xb) in row.iter_mut().zip(xi) {
                    *h += w * xa * xb;
                }
            }
        }
        for a in 0..p {
            if a > 0 {
                grad[a] += l2 * beta[a];
                hess[a][a] += l2;
            }
        }
        let step = solve(hess, grad).ok_or(FitError::Singular)?;
        let mut biggest = 0.0f64;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b -= s;
            biggest = biggest.max(s.abs());
        }
        if biggest < 1e-9 {
            return Ok((beta, it, true));
        }
    }
    Ok((beta, max_iter, false))
}

/// Fits a WoE scorecard; see the module comment for the method.
pub fn fit(rows: &[LabelledRow], opts: &FitOptions) -> Result<FitReport, FitError> {
    if rows.is_empty() {
        return Err(FitError::NoRows);
    }
    if !(0.0..1.0).contains(&opts.holdout) {
        return Err(FitError::Options(
            "holdout",
            "a share from 0 up to (not including) 1, e.g. 0.3",
        ));
    }
    if opts.bins < 1 {
        return Err(FitError::Options("bins", "at least 1, e.g. 5"));
    }
    if !(opts.pdo > 0.0 && opts.base_odds > 0.0) {
        return Err(FitError::Options(
            "pdo/base_odds",
            "both positive, e.g. 20 and 50",
        ));
    }
    if !(opts.l2 >= 0.0 && opts.smoothing > 0.0) {
        return Err(FitError::Options(
            "l2/smoothing",
            "l2 ≥ 0 and smoothing > 0, e.g. 1 and 0.5",
        ));
    }
    let names: Vec<String> = rows
        .iter()
        .flat_map(|r| r.features.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.is_empty() {
        return Err(FitError::NoFeatures);
    }
    let labels: Vec<bool> = rows.iter().map(|r| r.default).collect();
    let held = holdout_split(&labels, opts.holdout, opts.seed);
    let train: Vec<&LabelledRow> = rows
        .iter()
        .zip(&held)
        .filter(|(_, h)| !**h)
        .map(|(r, _)| r)
        .collect();
    let test: Vec<&LabelledRow> = rows
        .iter()
        .zip(&held)
        .filter(|(_, h)| **h)
        .map(|(r, _)| r)
        .collect();
    let train_defaults = train.iter().filter(|r| r.default).count();
    if train_defaults == 0 {
        return Err(FitError::OneClass("defaults"));
    }
    if train_defaults == train.len() {
        return Err(FitError::OneClass("non-defaults"));
    }

    let binned: Vec<Binned> = names.iter().map(|n| bin_feature(&train, n, opts)).collect();
    let design = |r: &LabelledRow| -> Vec<f64> {
        std::iter::once(1.0)
            .chain(names.iter().zip(&binned).map(|(n, b)| b.woe_of(r.get(n))))
            .collect()
    };
    let x: Vec<Vec<f64>> = train.iter().map(|r| design(r)).collect();
    let y: Vec<bool> = train.iter().map(|r| r.default).collect();
    let (beta, iterations, converged) = logistic(&x, &y, opts.l2, opts.max_iter)?;

    let factor = opts.pdo / std::f64::consts::LN_2;
    let offset = opts.base_points - factor * opts.base_odds.ln();
    let features = names
        .iter()
        .zip(&binned)
        .enumerate()
        .map(|(j, (name, b))| {
            let coef = beta[j + 1];
            let value_bins = b.cuts.len() + 1;
            let mut bins: Vec<BinFit> = (0..value_bins)
                .map(|i| BinFit {
                    missing: false,
                    lower: (i > 0).then(|| b.cuts[i - 1]),
                    upper: (i < b.cuts.len()).then(|| b.cuts[i]),
                    train_rows: b.counts[i].0,
                    train_defaults: b.counts[i].1,
                    woe: b.woe[i],
                    iv: b.iv[i],
                    points: -factor * coef * b.woe[i],
                })
                .collect();
            if b.has_missing {
                let i = value_bins;
                bins.push(BinFit {
                    missing: true,
                    lower: None,
                    upper: None,
                    train_rows: b.counts[i].0,
                    train_defaults: b.counts[i].1,
                    woe: b.woe[i],
                    iv: b.iv[i],
                    points: -factor * coef * b.woe[i],
                });
            }
            let direction = if value_bins > 1 {
                coef * (b.woe[value_bins - 1] - b.woe[0])
            } else {
                0.0
            };
            FeatureFit {
                name: name.clone(),
                iv: bins.iter().map(|b| b.iv).sum(),
                coefficient: coef,
                direction,
                bins,
            }
        })
        .collect();

    let pd = |r: &LabelledRow| sigmoid(design(r).iter().zip(&beta).map(|(a, b)| a * b).sum());
    let train_scores: Vec<f64> = train.iter().map(|r| pd(r)).collect();
    let test_scores: Vec<f64> = test.iter().map(|r| pd(r)).collect();
    let test_labels: Vec<bool> = test.iter().map(|r| r.default).collect();
    Ok(FitReport {
        options: opts.clone(),
        train_rows: train.len(),
        train_defaults,
        holdout_rows: test.len(),
        holdout_defaults: test_labels.iter().filter(|&&d| d).count(),
        holdout_index: (0..rows.len()).filter(|&i| held[i]).collect(),
        intercept: beta[0],
        base_score: offset - factor * beta[0],
        features,
        iterations,
        converged,
        train_auc: auc(&train_scores, &y).unwrap_or(0.5),
        train_ks: ks(&train_scores, &y).unwrap_or(0.0),
        holdout_auc: auc(&test_scores, &test_labels),
        holdout_ks: ks(&test_scores, &test_labels),
    })
}

impl FitReport {
    fn bin_of(f: &FeatureFit, v: Option<f64>) -> Option<&BinFit> {
        match v {
            None => f.bins.iter().find(|b| b.missing),
            Some(v) => f.bins.iter().find(|b| {
                !b.missing && b.lower.is_none_or(|l| v >= l) && b.upper.is_none_or(|u| v < u)
            }),
        }
    }

    /// Default log-odds of a row under the fitted model (a missing value unseen in training is
    /// neutral).
    pub fn log_odds(&self, row: &LabelledRow) -> f64 {
        self.intercept
            + self
                .features
                .iter()
                .map(|f| Self::bin_of(f, row.get(&f.name)).map_or(0.0, |b| f.coefficient * b.woe))
                .sum::<f64>()
    }

    pub fn predict_pd(&self, row: &LabelledRow) -> f64 {
        sigmoid(self.log_odds(row))
    }

    /// Scorecard points: higher is safer; +PDO points double the good:bad odds.
    pub fn points(&self, row: &LabelledRow) -> f64 {
        self.base_score
            + self
                .features
                .iter()
                .map(|f| Self::bin_of(f, row.get(&f.name)).map_or(0.0, |b| b.points))
                .sum::<f64>()
    }
}
