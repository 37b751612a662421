//! The matching engine's last stage: business signals on top of the fused relevance, and the
//! explanation every hit carries (matched terms in a highlighted snippet, semantic similarity, the
//! lexical score, and what each business signal added).
//!
//! Retrieval (lexical, dense, fusion) is synchronous and lives in this crate; the profiles of the
//! candidates (their region, TRL, chain nodes, owner) come from the store, so the caller loads them
//! between [`crate::fuse`] and [`rerank`].

use std::collections::HashMap;

use model::{RecordKind, RegionTier};

use crate::concepts::{concepts, Concept};
use crate::fusion::{Evidence, Fused, FusionParams};
pub use crate::signals::{signals, ContractPrior, Rejection, Signal, SignalWeights};
use crate::vector::HnswParams;

/// The ranking configuration file compiled into the binary (`data/ranking/ranking.toml`).
pub const DEFAULT_CONFIG: &str = include_str!("../../../data/ranking/ranking.toml");

/// Everything ranking depends on, read from one TOML file so it can be changed without a build.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankingConfig {
    /// Version label of the file, shown in explanations' provenance.
    pub version: String,
    pub fusion: FusionParams,
    pub vector: HnswParams,
    /// A need looking for outcomes, experts, labs and platforms.
    pub need_to_supply: SignalWeights,
    /// An outcome looking for enterprises that could adopt it.
    pub outcome_to_adopter: SignalWeights,
    /// When a match is called strong, possible or weak.
    #[serde(default)]
    pub strength: crate::strength::StrengthRules,
    /// How the dictionary bridge weights a translated query.
    #[serde(default)]
    pub bridge: bridge::BridgeParams,
    /// When a not-relevant verdict on one need counts for another.
    #[serde(default)]
    pub feedback: crate::feedback::FeedbackParams,
}

#[derive(Debug, thiserror::Error)]
#[error("ranking configuration {origin}: {message}")]
pub struct ConfigError {
    pub origin: String,
    pub message: String,
}

impl RankingConfig {
    /// Parses a configuration; `origin` names it in errors (a path, or "built-in").
    pub fn parse(text: &str, origin: &str) -> Result<RankingConfig, ConfigError> {
        let cfg: RankingConfig = toml::from_str(text).map_err(|e| ConfigError {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let bad = |message: String| ConfigError {
            origin: origin.to_string(),
            message,
        };
        let f = &cfg.fusion;
        f.check().map_err(bad)?;
        let v = &cfg.vector;
        if !(2..=crate::vector::MAX_M).contains(&v.m) {
            return Err(bad(format!(
                "vector.m = {}: give a value from 2 to {}",
                v.m,
                crate::vector::MAX_M
            )));
        }
        if v.ef_search == 0 || v.ef_construction == 0 {
            return Err(bad(
                "vector.ef_search and vector.ef_construction must be at least 1".into(),
            ));
        }
        for (name, w) in [
            ("need_to_supply", &cfg.need_to_supply),
            ("outcome_to_adopter", &cfg.outcome_to_adopter),
        ] {
            w.check().map_err(|m| bad(format!("{name}.{m}")))?;
        }
        cfg.strength.check().map_err(bad)?;
        cfg.bridge.check().map_err(bad)?;
        cfg.feedback.check().map_err(bad)?;
        Ok(cfg)
    }

    /// The built-in configuration.
    pub fn builtin() -> RankingConfig {
        RankingConfig::parse(DEFAULT_CONFIG, "built-in").expect("the built-in configuration parses")
    }
}

/// What the asking side brings: the need's stage and place in the chain (or the outcome's, for adopters).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MatchContext {
    pub trl: Option<u8>,
    pub clusters: Vec<String>,
    pub chain_nodes: Vec<String>,
}

/// What the business signals need to know of a candidate, loaded from the store.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Profile {
    pub label: String,
    /// Sub-kind: `paper`, `patent`, `enterprise`, `lab`, `expert`…
    pub kind: String,
    /// The text searched (title, body, keywords), for the snippet.
    pub text: String,
    pub region: Option<String>,
    pub region_tier: Option<RegionTier>,
    pub trl: Option<u8>,
    pub clusters: Vec<String>,
    pub chain_nodes: Vec<String>,
    /// Kind of the owner (an outcome's owning organization, an expert's role, an organization itself).
    pub owner_kind: Option<String>,
    /// 0..1 size of an enterprise (employees, products), when known.
    pub capacity: Option<f32>,
    /// A public need of this candidate that resembles the asking side, if any.
    pub related_need: Option<String>,
    /// Closed as not relevant for this need or a near-identical public one.
    pub rejected: Option<crate::signals::Rejection>,
    /// Contracts its organization signed where the asking side sits (`None`: the asking side gave no
    /// chain position).
    pub contracts: Option<crate::signals::ContractPrior>,
}

/// A ranked, explained hit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub record_kind: RecordKind,
    pub id: u64,
    pub label: String,
    pub kind: String,
    pub score: f32,
    /// The fused relevance before business signals.
    pub relevance: f32,
    pub lexical: Option<Evidence>,
    /// Cosine similarity of query and candidate embeddings, when the dense side ran.
    pub similarity: Option<f32>,
    pub dense: Option<Evidence>,
    pub cross_language: bool,
    /// The part of `relevance` from a list that did not list the hit (its floor), so
    /// lexical + dense + absent = relevance.
    pub absent: f32,
    /// Each retrieval list's part of the relevance (own words, dictionary bridge, the two encoders).
    pub lists: crate::fusion::Lists,
    /// The need's key words found in the candidate (lone Chinese characters are not words); for a
    /// candidate in another language, the key words whose translation it holds.
    pub matched_terms: Vec<String>,
    /// For a candidate in another language: the need's words and the words of the candidate they
    /// translate to ("肿瘤" → "tumor"), as the dictionary bridge matched them.
    pub concepts: Vec<Concept>,
    /// How many key words the need has.
    pub key_terms: usize,
    /// The share of the need's key words found (see [`crate::strength::StrengthRules::coverage`]).
    pub coverage: f32,
    /// Strong, possible or weak, from coverage and similarity, not from rank.
    pub strength: crate::strength::Strength,
    /// The passage with the most matched terms, matches in 【】.
    pub snippet: String,
    pub signals: Vec<Signal>,
}

/// Sets each hit's coverage and strength under `rules` (the ranking file's; [`rerank`] uses the
/// defaults).
pub fn grade(hits: &mut [Match], rules: &crate::strength::StrengthRules) {
    for h in hits {
        h.coverage = rules.coverage(h.matched_terms.len(), h.key_terms);
        h.strength = rules.assess(h.coverage, h.matched_terms.len(), h.similarity);
    }
}

/// Adds business signals to fused candidates and explains each; candidates without a profile (deleted
/// since indexing, or not visible) are dropped. Best first, at most `limit`.
#[allow(clippy::too_many_arguments)]
pub fn rerank(
    fused: &[Fused],
    profiles: &HashMap<(RecordKind, u64), Profile>,
    query: &str,
    translated: &[bridge::Term],
    ctx: &MatchContext,
    w: &SignalWeights,
    limit: usize,
) -> Vec<Match> {
    let query_terms = distinct_terms(query);
    let key_terms = query_terms
        .iter()
        .filter(|t| crate::strength::is_key_term(t))
        .count();
    let mut out: Vec<Match> = fused
        .iter()
        .filter_map(|f| {
            let p = profiles.get(&(f.record_kind, f.id))?;
            let signals = signals(p, ctx, w);
            let business: f32 = signals.iter().map(|s| s.contribution).sum();
            let (mut snippet, mut matched_terms) = highlight(&query_terms, &p.text, 160);
            matched_terms.retain(|t| crate::strength::is_key_term(t));
            let mut found = vec![];
            if f.cross_language && !translated.is_empty() {
                // Across languages the need's words are found through their translations.
                let terms: Vec<String> = translated.iter().map(|t| t.text.clone()).collect();
                let (cross_snippet, _) = highlight(&terms, &p.text, 160);
                found = concepts(translated, &p.text);
                if !found.is_empty() {
                    snippet = cross_snippet;
                }
                for c in &found {
                    let key = distinct_terms(&c.from)
                        .iter()
                        .any(|t| crate::strength::is_key_term(t));
                    if key && !matched_terms.contains(&c.from) {
                        matched_terms.push(c.from.clone());
                    }
                }
            }
            Some(Match {
                record_kind: f.record_kind,
                id: f.id,
                label: p.label.clone(),
                kind: p.kind.clone(),
                score: f.score + business,
                relevance: f.score,
                lexical: f.lexical,
                similarity: f.dense.map(|d| d.score),
                dense: f.dense,
                cross_language: f.cross_language,
                absent: f.absent,
                lists: f.lists,
                matched_terms,
                concepts: found,
                key_terms,
                coverage: 0.0,
                strength: crate::strength::Strength::Weak,
                snippet,
                signals,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.record_kind.as_str().cmp(b.record_kind.as_str()))
            .then(a.id.cmp(&b.id))
    });
    out.truncate(limit);
    grade(&mut out, &crate::strength::StrengthRules::default());
    out
}

pub fn distinct_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = vec![];
    text::Analyzer::shared().analyze_each(text, |t, _, _| {
        if !terms.iter().any(|x| x == t) {
            terms.push(t.to_string());
        }
    });
    terms
}

/// The words of a search-box query, each as the index terms a match must hold (see
/// `text::Analyzer::query_units`).
pub fn query_units(query: &str) -> Vec<Vec<String>> {
    text::Analyzer::shared().query_units(query)
}

/// The window of about `max_chars` characters of `text` holding the most query terms, matches wrapped in
/// 【】, and the query terms found anywhere in `text` (in query order).
pub fn highlight(query_terms: &[String], text: &str, max_chars: usize) -> (String, Vec<String>) {
    let mut spans: Vec<(usize, usize, usize)> = vec![]; // (from, to, term index)
    text::Analyzer::shared().analyze_each(text, |t, from, to| {
        if let Some(i) = query_terms.iter().position(|q| q == t) {
            spans.push((from, to, i));
        }
    });
    // A term found only inside a longer found term is a fragment of it (管理系 inside 管理系统),
    // not a word the text shares with the query.
    let inside = |a: &(usize, usize, usize)| {
        spans
            .iter()
            .any(|b| b.0 <= a.0 && a.1 <= b.1 && (b.1 - b.0) > (a.1 - a.0))
    };
    let mut found: Vec<usize> = spans.iter().filter(|s| !inside(s)).map(|s| s.2).collect();
    found.sort_unstable();
    found.dedup();
    let matched = found.iter().map(|&i| query_terms[i].clone()).collect();
    // Window start: the span whose following window covers the most spans.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let char_at = |byte: usize| chars.partition_point(|&(b, _)| b < byte);
    let (mut best_start, mut best_count) = (0usize, 0usize);
    for (i, s) in spans.iter().enumerate() {
        let c0 = char_at(s.0);
        let count = spans[i..]
            .iter()
            .take_while(|t| char_at(t.1) <= c0 + max_chars)
            .count();
        if count > best_count {
            (best_start, best_count) = (c0, count);
        }
    }
    // Start a little before the first match so it reads in context.
    let start = best_start.saturating_sub(if best_count > 0 { 20 } else { 0 });
    let end = (start + max_chars).min(chars.len());
    let byte = |c: usize| chars.get(c).map_or(text.len(), |x| x.0);
    let (from, to) = (byte(start), byte(end));
    let mut snippet = String::new();
    if start > 0 {
        snippet.push('…');
    }
    let mut at = from;
    for s in spans.iter().filter(|s| s.0 >= from && s.1 <= to) {
        if s.0 < at {
            continue;
        }
        snippet.push_str(&text[at..s.0]);
        snippet.push('【');
        snippet.push_str(&text[s.0..s.1]);
        snippet.push('】');
        at = s.1;
    }
    snippet.push_str(&text[at..to]);
    if to < text.len() {
        snippet.push('…');
    }
    (snippet.replace('\n', " "), matched)
}
