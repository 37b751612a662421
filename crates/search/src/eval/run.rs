//! One evaluation run: index a BEIR corpus through the product's indexing path (record → `SearchItem`
//! → `LexicalWriter::upsert`), run every judged query, and score the rankings.

use std::time::Instant;

use model::{Lang, Outcome, OutcomeKind, Record};

use super::beir::BeirSet;
use super::metrics::{mrr_at, ndcg_at, recall_at};
use crate::lexical::{Bm25Params, Filters, LexicalIndex, Result};
use crate::SearchItem;

/// The figures `shuanglian eval` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    pub queries: usize,
    pub index_s: f64,
    pub qps: f64,
    /// Depth of each ranking (`--k`).
    pub k: usize,
    pub docs: usize,
}

/// The outcome record a BEIR document stands for, as an import of the corpus would create it.
pub fn doc_record(doc: &super::beir::Doc) -> Record {
    let mut o = Outcome::new(OutcomeKind::Paper, doc.title.clone());
    o.abstract_text = Some(doc.text.clone()).filter(|t| !t.is_empty());
    o.lang = Lang::detect(&format!("{} {}", doc.title, doc.text));
    o.source_id = Some(doc.id.clone());
    Record::Outcome(o)
}

/// Indexes `set` into `index` through the product's indexing path; returns the seconds it took.
pub fn index_corpus(set: &BeirSet, index: &LexicalIndex) -> Result<f64> {
    // Like the peer's jieba.initialize(): dictionary loading is start-up, not indexing. Building the
    // records stands for the import (as the peer's timer starts after loading the corpus); the timer
    // covers the indexing path proper: record → SearchItem → upsert → commit.
    text::Analyzer::shared().warm_up();
    let records: Vec<Record> = set.corpus.iter().map(doc_record).collect();
    let started = Instant::now();
    let mut writer = index.writer()?;
    writer.clear()?;
    for (i, record) in records.iter().enumerate() {
        let item = SearchItem::from_record(i as u64, record).expect("outcomes index");
        writer.upsert(&item)?;
    }
    writer.commit()?;
    index.reload()?;
    Ok(started.elapsed().as_secs_f64())
}

/// The lexical ranking of every judged query, `depth` deep: (corpus position, BM25 score), best first.
pub fn lexical_rankings(
    set: &BeirSet,
    index: &LexicalIndex,
    params: &Bm25Params,
    depth: usize,
) -> Result<Vec<Vec<(usize, f32)>>> {
    let filters = Filters::default();
    set.queries
        .iter()
        .map(|q| {
            Ok(index
                .search(&q.text, &filters, params, depth)?
                .into_iter()
                .map(|h| (h.id as usize, h.score))
                .collect())
        })
        .collect()
}

/// Indexes `set` into `index` and evaluates the lexical ranking with `params`, ranking `k` deep.
pub fn evaluate_lexical(
    set: &BeirSet,
    index: &LexicalIndex,
    params: &Bm25Params,
    k: usize,
) -> Result<EvalReport> {
    let index_s = index_corpus(set, index)?;
    let started = Instant::now();
    let rankings = lexical_rankings(set, index, params, k.max(100))?;
    let query_s = started.elapsed().as_secs_f64().max(1e-9);
    let rankings: Vec<Vec<usize>> = rankings
        .into_iter()
        .map(|hits| hits.into_iter().map(|(i, _)| i).collect())
        .collect();
    Ok(report(set, &rankings, index_s, query_s, k))
}

/// Scores rankings (corpus positions, best first) of every judged query.
pub fn report(
    set: &BeirSet,
    rankings: &[Vec<usize>],
    index_s: f64,
    query_s: f64,
    k: usize,
) -> EvalReport {
    let (mut ndcg, mut recall, mut mrr) = (0.0, 0.0, 0.0);
    for (q, hits) in set.queries.iter().zip(rankings) {
        let ranked: Vec<&str> = hits.iter().map(|&i| set.corpus[i].id.as_str()).collect();
        let judged = &set.qrels[&q.id];
        ndcg += ndcg_at(&ranked, judged, 10);
        recall += recall_at(&ranked[..ranked.len().min(k)], judged, 100);
        mrr += mrr_at(&ranked, judged, 10);
    }
    let n = set.queries.len().max(1) as f64;
    EvalReport {
        ndcg_10: ndcg / n,
        recall_100: recall / n,
        mrr_10: mrr / n,
        queries: set.queries.len(),
        index_s,
        qps: set.queries.len() as f64 / query_s.max(1e-9),
        k,
        docs: set.corpus.len(),
    }
}

/// The text a document is embedded as: the same searchable text the lexical index and
/// `reindex --dense` use.
pub fn doc_text(doc: &super::beir::Doc) -> String {
    SearchItem::from_record(0, &doc_record(doc))
        .expect("outcomes index")
        .all_text()
}

/// Evaluates exact dense retrieval. `docs` are the unit vectors of the corpus texts ([`doc_text`], in
/// corpus order; the caller makes them, usually from a cache, and reports the time as `index_s`);
/// `embed_queries` embeds the query texts. Ranking is by cosine over every document; the query time covers
/// query encoding and search.
pub fn evaluate_dense(
    set: &BeirSet,
    docs: &[Vec<f32>],
    index_s: f64,
    embed_queries: impl Fn(&[&str]) -> Vec<Vec<f32>>,
    k: usize,
) -> EvalReport {
    assert_eq!(docs.len(), set.corpus.len(), "one vector per document");
    let started = Instant::now();
    let queries: Vec<&str> = set.queries.iter().map(|q| q.text.as_str()).collect();
    let qv = embed_queries(&queries);
    let rankings: Vec<Vec<usize>> = dense_rankings(docs, &qv, k.max(100))
        .into_iter()
        .map(|r| r.into_iter().map(|(i, _)| i).collect())
        .collect();
    let query_s = started.elapsed().as_secs_f64();
    report(set, &rankings, index_s, query_s, k)
}

/// Exact cosine rankings of unit vectors, `depth` deep: (corpus position, cosine), best first, ties by
/// position.
pub fn dense_rankings(
    docs: &[Vec<f32>],
    queries: &[Vec<f32>],
    depth: usize,
) -> Vec<Vec<(usize, f32)>> {
    let depth = depth.min(docs.len());
    queries
        .iter()
        .map(|q| {
            let mut scored: Vec<(usize, f32)> = docs
                .iter()
                .enumerate()
                .map(|(i, d)| (i, d.iter().zip(q).map(|(a, b)| a * b).sum::<f32>()))
                .collect();
            let by = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if depth > 0 && scored.len() > depth {
                scored.select_nth_unstable_by(depth - 1, by);
                scored.truncate(depth);
            }
            scored.sort_unstable_by(by);
            scored
        })
        .collect()
}

/// Builds the vector index of a corpus from its vectors (corpus order), as the product's index is built.
pub fn vector_index(
    set: &BeirSet,
    docs: &[Vec<f32>],
    params: crate::HnswParams,
) -> std::result::Result<crate::VectorIndex, crate::vector::VectorError> {
    assert_eq!(docs.len(), set.corpus.len(), "one vector per document");
    let all: Vec<usize> = (0..docs.len()).collect();
    vector_index_of(set, &all, docs, params)
}

/// The vector index of the documents at `rows` (corpus positions), one vector each.
pub fn vector_index_of(
    set: &BeirSet,
    rows: &[usize],
    docs: &[Vec<f32>],
    params: crate::HnswParams,
) -> std::result::Result<crate::VectorIndex, crate::vector::VectorError> {
    assert_eq!(docs.len(), rows.len(), "one vector per document");
    let mut index = crate::VectorIndex::new(docs.first().map_or(384, Vec::len), params);
    for (&i, v) in rows.iter().zip(docs) {
        let item =
            SearchItem::from_record(i as u64, &doc_record(&set.corpus[i])).expect("outcomes index");
        index.upsert(crate::ItemMeta::of(&item, String::new()), v)?;
    }
    Ok(index)
}

/// Embeds query texts (one unit vector each).
pub type QueryEmbedder<'a> = &'a dyn Fn(&[&str]) -> Vec<Vec<f32>>;

/// What hybrid and bridged evaluation rank with besides the lexical index.
pub struct HybridInputs<'a> {
    /// The vector index with the query embedder, or `None` for lexical (+ bridge) only.
    pub dense: Option<(&'a crate::VectorIndex, QueryEmbedder<'a>)>,
    pub bridge: Option<&'a bridge::Dictionary>,
    pub bridge_params: bridge::BridgeParams,
    pub fusion: crate::FusionParams,
    /// The English documents' index from the English encoder, with its query embedder (asked only for
    /// English queries).
    pub english: Option<(&'a crate::VectorIndex, QueryEmbedder<'a>)>,
}

/// Evaluates retrieval through the product's path ([`crate::retrieve::Retriever`]): the lexical
/// index with the dictionary bridge, the vector index (graph search above its exact threshold) and
/// language-balanced fusion. The query time covers lexical and bridge search, query encoding, vector
/// search and fusion.
pub fn evaluate_hybrid(
    set: &BeirSet,
    index: &LexicalIndex,
    params: &Bm25Params,
    inputs: &HybridInputs,
    k: usize,
) -> Result<EvalReport> {
    let index_s = index_corpus(set, index)?;
    let started = Instant::now();
    let mut fusion = inputs.fusion;
    fusion.depth = fusion.depth.max(k);
    if inputs.dense.is_none() {
        fusion.w_lexical += fusion.w_dense;
        fusion.w_dense = 0.0;
    }
    let texts: Vec<&str> = set.queries.iter().map(|q| q.text.as_str()).collect();
    let qv = inputs
        .dense
        .map(|(_, embed)| embed(&texts))
        .unwrap_or_default();
    // The English encoder reads English queries only.
    let english_rows: Vec<usize> = (0..texts.len())
        .filter(|&i| model::Lang::detect(texts[i]).as_str() == "en")
        .collect();
    let mut qv_en: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    if let Some((_, embed)) = inputs.english {
        let en_texts: Vec<&str> = english_rows.iter().map(|&i| texts[i]).collect();
        for (&i, v) in english_rows.iter().zip(embed(&en_texts)) {
            qv_en[i] = Some(v);
        }
    }
    let retriever = crate::retrieve::Retriever {
        lexical: index,
        vectors: inputs.dense.map(|(v, _)| v),
        bridge: inputs.bridge,
        bm25: *params,
        fusion,
        bridge_params: inputs.bridge_params,
        english: inputs.english.map(|(v, _)| v),
    };
    let filters = Filters::default();
    let mut rankings = Vec::with_capacity(set.queries.len());
    for (qi, text) in texts.iter().enumerate() {
        let vectors = crate::QueryVectors {
            multilingual: qv.get(qi).map(Vec::as_slice),
            english: qv_en[qi].as_deref(),
        };
        let got = retriever.retrieve_with(text, vectors, &filters)?;
        rankings.push(
            got.fused
                .into_iter()
                .take(k.max(100))
                .map(|f| f.id as usize)
                .collect::<Vec<usize>>(),
        );
    }
    let query_s = started.elapsed().as_secs_f64();
    Ok(report(set, &rankings, index_s, query_s, k))
}
