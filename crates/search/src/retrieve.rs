//! Language-balanced retrieval: the one path from a query to fused candidates, used by matching and
//! by `shuanglian eval` alike.
//!
//! A registry holds Chinese and English records in one index. Ranked naively, a Chinese need never
//! reaches an English outcome: BM25 on Chinese terms cannot see English text, and the multilingual
//! encoder scores same-language pairs higher (the right English abstract sits at cosine 0.80–0.84 to
//! a need whose Chinese neighbours sit at 0.87–0.91). So each side is retrieved per language and
//! calibrated per language pair before the two lists are fused:
//!
//! - lexical: the query's own terms over every record, plus the dictionary bridge — the query
//!   translated into the other language's terms ([`bridge`]) — over the records in that language;
//!   a record in the other language scores `bridge × its bridge BM25 + cross_language_lexical × its
//!   native BM25` (the native part is what names and numbers share);
//! - dense: nearest neighbours over every record and, separately, over the records in the other
//!   language (so they are not crowded out of the candidates), a cross-language cosine raised by
//!   `cross_language_dense` (the per-pair offset);
//!
//! then [`crate::fuse`] as before. Both factors are data (`[fusion]` in the ranking file), chosen on
//! the mixed dev sets (BENCHMARKS.md).
//!
//! Where English is read on both sides — an English query, English records — a second encoder trained
//! for English retrieval (bge-small-en, [`Retriever::english`]) joins the dense side: its nearest
//! English records join the candidates, and an English record's dense score becomes
//! `(z_e5 + english_dense · z_bge) / (1 + english_dense)`, each cosine standardised by the query's own
//! background for that model, so the blend stays on the scale of the other records' scores.

use std::collections::HashMap;

use model::{Lang, RecordKind};

use crate::fusion::{fuse_ranged, Fused, FusionParams};
use crate::lexical::{Bm25Params, Filters, Hit, LexicalIndex};
use crate::vector::{VectorHit, VectorIndex};

/// What retrieval works with.
pub struct Retriever<'a> {
    pub lexical: &'a LexicalIndex,
    /// The vector index, when the dense side can run.
    pub vectors: Option<&'a VectorIndex>,
    /// The dictionary, when it was fetched (without it there is no bridge list).
    pub bridge: Option<&'a bridge::Dictionary>,
    pub bm25: Bm25Params,
    pub fusion: FusionParams,
    pub bridge_params: bridge::BridgeParams,
    /// The English records' vectors from the English encoder, when it was fetched.
    pub english: Option<&'a VectorIndex>,
}

/// The query's vectors: from the multilingual encoder, and from the English encoder when the query is
/// English and that encoder is loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryVectors<'q> {
    pub multilingual: Option<&'q [f32]>,
    pub english: Option<&'q [f32]>,
}

/// Fused candidates with what an explanation needs.
#[derive(Debug, Clone)]
pub struct Retrieved {
    pub fused: Vec<Fused>,
    /// The query's language (`zh` or `en`).
    pub lang: String,
    /// The other language the bridge searched, if it ran.
    pub other: Option<String>,
    /// The query's translation into the other language (empty without the dictionary).
    pub translated: Vec<bridge::Term>,
}

/// The other language of the bridge: Chinese ↔ English.
fn other_language(lang: &str) -> Option<&'static str> {
    match lang {
        "zh" => Some("en"),
        "en" => Some("zh"),
        _ => None,
    }
}

/// `filters` restricted to one language, or `None` when they exclude it.
fn only(filters: &Filters, lang: &str) -> Option<Filters> {
    if !filters.langs.is_empty() && !filters.langs.iter().any(|l| l == lang) {
        return None;
    }
    Some(Filters {
        langs: vec![lang.to_string()],
        ..filters.clone()
    })
}

impl Retriever<'_> {
    /// Retrieves and fuses the candidates of `text` under `filters`. `query_vector` is the query's
    /// embedding when the dense side runs (ignored without a vector index).
    pub fn retrieve(
        &self,
        text: &str,
        query_vector: Option<&[f32]>,
        filters: &Filters,
    ) -> Result<Retrieved, crate::lexical::LexicalError> {
        let vectors = QueryVectors {
            multilingual: query_vector,
            english: None,
        };
        self.retrieve_with(text, vectors, filters)
    }

    /// As [`retrieve`](Self::retrieve), with the English encoder's query vector too.
    pub fn retrieve_with(
        &self,
        text: &str,
        vectors: QueryVectors,
        filters: &Filters,
    ) -> Result<Retrieved, crate::lexical::LexicalError> {
        let query_vector = vectors.multilingual;
        let p = &self.fusion;
        let lang = Lang::detect(text).as_str().to_string();
        let other = other_language(&lang);
        let native = self.lexical.search(text, filters, &self.bm25, p.depth)?;

        // The bridge: the query in the other language's terms, over the records in that language.
        let mut translated = vec![];
        let mut bridged: Vec<Hit> = vec![];
        if let (Some(dict), Some(o)) = (self.bridge, other) {
            if let Some(f) = only(filters, o) {
                translated = match o {
                    "en" => dict.to_english(text, &self.bridge_params),
                    _ => dict.to_chinese(text, &self.bridge_params),
                };
                let terms: Vec<(String, f32)> = translated
                    .iter()
                    .map(|t| (t.text.clone(), t.weight))
                    .collect();
                if !terms.is_empty() {
                    bridged = self.lexical.search_terms(&terms, &f, &self.bm25, p.depth)?;
                }
            }
        }

        // Dense: every record, and the other language's records on their own.
        let mut dense: Vec<VectorHit> = vec![];
        if let (Some(vi), Some(q)) = (self.vectors, query_vector) {
            if q.len() == vi.dim() {
                dense = vi.search(q, filters, p.depth).unwrap_or_default();
                if let Some(f) = other.and_then(|o| only(filters, o)) {
                    let seen: std::collections::HashSet<(RecordKind, u64)> =
                        dense.iter().map(|h| (h.record_kind, h.id)).collect();
                    for h in vi.search(q, &f, p.depth).unwrap_or_default() {
                        if !seen.contains(&(h.record_kind, h.id)) {
                            dense.push(h);
                        }
                    }
                }
            }
        }

        // A candidate's language: the vector index knows it; without it, a bridge hit is in the other
        // language and anything else counts as the query's.
        let bridged_keys: std::collections::HashSet<(RecordKind, u64)> =
            bridged.iter().map(|h| (h.record_kind, h.id)).collect();
        let cross = |kind: RecordKind, id: u64| -> bool {
            match self.vectors.and_then(|v| v.meta(kind, id)) {
                Some(m) => m.lang != lang,
                None => bridged_keys.contains(&(kind, id)),
            }
        };

        // The lexical list, calibrated per language pair.
        let mut lex: HashMap<(RecordKind, u64), f32> = HashMap::new();
        for h in &native {
            let f = if cross(h.record_kind, h.id) {
                p.cross_language_lexical
            } else {
                1.0
            };
            *lex.entry((h.record_kind, h.id)).or_default() += f * h.score;
        }
        let mut through_bridge: HashMap<(RecordKind, u64), f32> = HashMap::new();
        for h in &bridged {
            *lex.entry((h.record_kind, h.id)).or_default() += p.bridge * h.score;
            *through_bridge.entry((h.record_kind, h.id)).or_default() += p.bridge * h.score;
        }
        let bridge_share: HashMap<(RecordKind, u64), f32> = through_bridge
            .into_iter()
            .filter_map(|(k, b)| lex.get(&k).filter(|t| **t > 0.0).map(|t| (k, b / t)))
            .collect();
        let mut lexical: Vec<Hit> = lex
            .into_iter()
            .filter(|(_, s)| *s > 0.0)
            .map(|((record_kind, id), score)| Hit {
                record_kind,
                id,
                score,
            })
            .collect();
        sort_hits(&mut lexical);
        lexical.truncate(p.depth);

        // The dense list calibrated per language pair: each cosine standardised by the query's
        // background for the item's language (the mean and spread of its cosines to that language's
        // items), and cross-language scores raised by the per-pair offset.
        let background = self.backgrounds(query_vector);
        let calibrate = |kind: RecordKind, id: u64, cos: f32| -> f32 {
            let lang = self
                .vectors
                .and_then(|v| v.meta(kind, id))
                .map(|m| m.lang.as_str());
            let standard = lang
                .and_then(|l| background.iter().find(|(x, _, _)| x == l))
                .filter(|(_, _, sd)| *sd > 1e-6)
                .map_or(cos, |(_, mean, sd)| (cos - mean) / sd);
            standard
                + if cross(kind, id) {
                    p.cross_language_dense
                } else {
                    0.0
                }
        };
        for h in &mut dense {
            h.similarity = calibrate(h.record_kind, h.id, h.similarity);
        }
        let english_read = if lang == "en" {
            self.blend_english(&mut dense, vectors, filters, &calibrate)
        } else {
            None
        };
        let blended = english_read.is_some();
        dense.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then(a.record_kind.as_str().cmp(b.record_kind.as_str()))
                .then(a.id.cmp(&b.id))
        });
        // Each calibrated list keeps its best `depth`, so its score range (what min-max fusion rescales
        // by) is that of the candidates that compete, as with one language.
        dense.truncate(p.depth);
        let dense_range = dense.len();
        if p.fill_in {
            self.fill_in(&lexical, &mut dense, query_vector, &calibrate);
        }

        // The calibration is done: fuse the calibrated lists.
        let mut params = *p;
        params.cross_language_lexical = 1.0;
        if blended {
            params.w_lexical = p.english_w_lexical.unwrap_or(p.w_lexical);
            params.w_dense = p.english_w_dense.unwrap_or(p.w_dense);
        }
        params.depth = lexical.len().max(dense.len()).max(1);
        let mut fused = fuse_ranged(
            &lexical,
            &dense,
            |k, id| Some(!cross(k, id)),
            &params,
            dense_range,
        );
        // Each list's part: the bridge's share of the lexical sum, the English encoder's weight in the
        // blend of an English record's cosines.
        let english_share = self.fusion.english_dense / (1.0 + self.fusion.english_dense);
        for f in &mut fused {
            let key = (f.record_kind, f.id);
            if let Some(share) = bridge_share.get(&key) {
                f.lists.bridge = f.lists.words * share;
                f.lists.words -= f.lists.bridge;
            }
            if english_read
                .as_ref()
                .is_some_and(|read| read.contains(&key))
            {
                f.lists.english = f.lists.multilingual * english_share;
                f.lists.multilingual -= f.lists.english;
            }
        }
        // The dense evidence shows the cosine itself, not the calibrated one.
        if let (Some(vi), Some(q)) = (self.vectors, query_vector) {
            for f in &mut fused {
                if let (Some(d), Some(v)) = (&mut f.dense, vi.vector(f.record_kind, f.id)) {
                    d.score = v.iter().zip(q).map(|(a, b)| a * b).sum();
                }
            }
        }
        Ok(Retrieved {
            fused,
            lang,
            other: other.filter(|_| self.bridge.is_some()).map(str::to_string),
            translated,
        })
    }
}

impl Retriever<'_> {
    /// Blends the English encoder into the (calibrated) dense list of an English query: its nearest
    /// English records join, and every English record's score becomes the weighted mean of the two
    /// standardised cosines (see the module notes). Records without an English vector keep theirs.
    /// Returns the records the English encoder read, or `None` when it did not run.
    fn blend_english(
        &self,
        dense: &mut Vec<VectorHit>,
        vectors: QueryVectors,
        filters: &Filters,
        calibrate: &dyn Fn(RecordKind, u64, f32) -> f32,
    ) -> Option<std::collections::HashSet<(RecordKind, u64)>> {
        let a = self.fusion.english_dense;
        let (Some(en), Some(q)) = (self.english, vectors.english) else {
            return None;
        };
        let f = only(filters, "en")?;
        if a <= 0.0 || q.len() != en.dim() || en.is_empty() {
            return None;
        }
        let (mean, sd) = en
            .background(q)
            .into_iter()
            .find(|(l, _, _)| l == "en")
            .map_or((0.0, 1.0), |(_, m, s)| (m, s.max(1e-6)));
        let z = |kind: RecordKind, id: u64| -> Option<f32> {
            let v = en.vector(kind, id)?;
            let cos: f32 = v.iter().zip(q).map(|(x, y)| x * y).sum();
            Some((cos - mean) / sd)
        };
        let listed: std::collections::HashSet<(RecordKind, u64)> =
            dense.iter().map(|h| (h.record_kind, h.id)).collect();
        // Its own nearest records join with their multilingual score (from the stored vector).
        for h in en.search(q, &f, self.fusion.depth).unwrap_or_default() {
            if listed.contains(&(h.record_kind, h.id)) {
                continue;
            }
            let multi = self.vectors.zip(vectors.multilingual).and_then(|(vi, mq)| {
                let v = vi.vector(h.record_kind, h.id)?;
                let cos: f32 = v.iter().zip(mq).map(|(x, y)| x * y).sum();
                Some(calibrate(h.record_kind, h.id, cos))
            });
            if let Some(m) = multi {
                dense.push(VectorHit {
                    record_kind: h.record_kind,
                    id: h.id,
                    similarity: m,
                });
            }
        }
        let mut read = std::collections::HashSet::new();
        for h in dense.iter_mut() {
            if let Some(zb) = z(h.record_kind, h.id) {
                h.similarity = (h.similarity + a * zb) / (1.0 + a);
                read.insert((h.record_kind, h.id));
            }
        }
        Some(read)
    }
}

impl Retriever<'_> {
    /// Gives a lexical candidate the dense list left out its own cosine (from its stored vector,
    /// calibrated like the others) instead of the list's floor; the range the list is rescaled by
    /// stays that of its own best `depth`, so a filled-in cosine below it counts below the floor.
    fn fill_in(
        &self,
        lexical: &[Hit],
        dense: &mut Vec<VectorHit>,
        query_vector: Option<&[f32]>,
        calibrate: &dyn Fn(RecordKind, u64, f32) -> f32,
    ) {
        let (Some(vi), Some(q)) = (self.vectors, query_vector) else {
            return;
        };
        if dense.is_empty() {
            return;
        }
        let listed: std::collections::HashSet<(RecordKind, u64)> =
            dense.iter().map(|h| (h.record_kind, h.id)).collect();
        for h in lexical {
            if listed.contains(&(h.record_kind, h.id)) {
                continue;
            }
            if let Some(v) = vi.vector(h.record_kind, h.id) {
                let cos: f32 = v.iter().zip(q).map(|(a, b)| a * b).sum();
                dense.push(VectorHit {
                    record_kind: h.record_kind,
                    id: h.id,
                    similarity: calibrate(h.record_kind, h.id, cos),
                });
            }
        }
    }
}

impl Retriever<'_> {
    /// The query's background per language (mean and spread of its cosines to that language's
    /// items), when `fusion.language_centering` is on; empty otherwise.
    fn backgrounds(&self, query_vector: Option<&[f32]>) -> Vec<(String, f32, f32)> {
        match (self.vectors, query_vector, self.fusion.language_centering) {
            (Some(vi), Some(q), true) => vi.background(q),
            _ => vec![],
        }
    }
}

fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.record_kind.as_str().cmp(b.record_kind.as_str()))
            .then(a.id.cmp(&b.id))
    });
}
