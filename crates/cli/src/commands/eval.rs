use std::path::Path;

use anyhow::{bail, Context};
use search::eval::beir::{self, BeirSet};
use search::eval::run::{doc_text, evaluate_dense, evaluate_lexical, EvalReport};
use search::{Bm25Params, LexicalIndex};

use crate::args::EvalArgs;

pub fn run(args: &EvalArgs, data_dir: &Path) -> anyhow::Result<u8> {
    match args.mode.as_str() {
        "lexical" | "dense" => {}
        "hybrid" => bail!(
            "--mode hybrid is not available yet: it arrives with hybrid matching; use --mode lexical or dense"
        ),
        other => bail!("unknown --mode '{other}': use lexical, dense or hybrid"),
    }
    let set = beir::load(&args.dir, &args.split)?;
    for w in &set.warnings {
        eprintln!("warning: {w}");
    }
    if set.queries.is_empty() {
        bail!(
            "{}: no query of split '{}' has judgements; nothing to evaluate",
            args.dir.display(),
            args.split
        );
    }
    let report = if args.mode == "dense" {
        dense(&set, args, data_dir)?
    } else {
        lexical(&set, args)?
    };
    print(&report, args)
}

/// Dense retrieval with the multilingual encoder, exact cosine search; corpus vectors come from the
/// file cache when an earlier run encoded them.
fn dense(set: &BeirSet, args: &EvalArgs, data_dir: &Path) -> anyhow::Result<EvalReport> {
    let encoder = super::encode::load(data_dir, &args.encoder)?;
    let cache_dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("cache").join("embeddings"));
    let mut cache = super::vector_cache::VectorCache::open(&cache_dir, super::encode::PASSAGE_KEY)?;
    let texts: Vec<String> = set.corpus.iter().map(doc_text).collect();
    let started = std::time::Instant::now();
    let (docs, encoded) =
        cache.get_or_encode(&texts, |b| encoder.embed(b, encoder::Kind::Passage))?;
    let index_s = started.elapsed().as_secs_f64();
    let report = evaluate_dense(
        set,
        &docs,
        index_s,
        |qs| {
            encoder
                .embed(qs, encoder::Kind::Query)
                .into_iter()
                .map(|v| v.to_vec())
                .collect()
        },
        args.k,
    );
    if !args.json {
        println!(
            "corpus vectors: {encoded} encoded, {} from the cache {}",
            set.corpus.len() - encoded.min(set.corpus.len()),
            cache_dir.display()
        );
    }
    Ok(report)
}

fn lexical(set: &BeirSet, args: &EvalArgs) -> anyhow::Result<EvalReport> {
    let mut params = Bm25Params::default();
    if let Some(v) = args.k1 {
        params.k1 = v;
    }
    if let Some(v) = args.b {
        params.b = v;
    }
    if let Some(v) = args.w_title {
        params.w_title = v;
    }
    if let Some(v) = args.w_keywords {
        params.w_keywords = v;
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary index directory")?;
    let index = LexicalIndex::open_or_create(tmp.path())?;
    Ok(evaluate_lexical(set, &index, &params, args.k)?)
}

fn print(report: &EvalReport, args: &EvalArgs) -> anyhow::Result<u8> {
    if args.json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!(
            "{} ({} split, {} mode): {} queries over {} documents",
            args.dir.display(),
            args.split,
            args.mode,
            report.queries,
            report.docs
        );
        println!("  nDCG@10     {:.4}", report.ndcg_10);
        println!("  Recall@100  {:.4}", report.recall_100);
        println!("  MRR@10      {:.4}", report.mrr_10);
        println!("  index       {:.2} s", report.index_s);
        println!("  queries     {:.0} per second", report.qps);
    }
    Ok(0)
}
