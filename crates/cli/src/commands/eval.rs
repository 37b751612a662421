use std::path::Path;

use anyhow::{bail, Context};
use search::eval::beir::{self, BeirSet};
use search::eval::run::{
    doc_text, evaluate_dense, evaluate_hybrid, evaluate_lexical, EvalReport, HybridInputs,
};
use search::{Bm25Params, FusionMethod, FusionParams, LexicalIndex};

use crate::args::EvalArgs;

pub fn run(args: &EvalArgs, data_dir: &Path) -> anyhow::Result<u8> {
    match args.mode.as_str() {
        "lexical" | "dense" | "hybrid" => {}
        other => bail!("unknown --mode '{other}': use lexical, dense or hybrid"),
    }
    let mut set = beir::load(&args.dir, &args.split)?;
    for extra in &args.add_corpus {
        let n = beir::add_corpus(&mut set, extra)?;
        if !args.json {
            println!("added {n} documents from {}", extra.display());
        }
    }
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
    let report = match args.mode.as_str() {
        "dense" => dense(&set, args, data_dir)?,
        "hybrid" => hybrid(&set, args, data_dir)?,
        _ => lexical(&set, args, data_dir)?,
    };
    print(&report, args)
}

/// The full-length corpus vectors of `set` from the file cache (encoding what is missing).
pub fn cached_corpus_vectors(
    set: &BeirSet,
    data_dir: &Path,
    cache_dir: Option<&Path>,
    encoder: &encoder::Encoder,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let dir = cache_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join("cache").join("embeddings"));
    let mut cache = super::vector_cache::VectorCache::open(&dir, super::encode::PASSAGE_KEY)?;
    let texts: Vec<String> = set.corpus.iter().map(doc_text).collect();
    Ok(cache
        .get_or_encode(&texts, |b| encoder.embed(b, encoder::Kind::Passage))?
        .0)
}

/// The corpus vectors, from the file cache where an earlier run encoded them: (vectors, seconds).
fn corpus_vectors(
    set: &BeirSet,
    args: &EvalArgs,
    data_dir: &Path,
    encoder: &encoder::Encoder,
) -> anyhow::Result<(Vec<Vec<f32>>, f64)> {
    let cache_dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("cache").join("embeddings"));
    // Truncated passages are other vectors: another cache file.
    let key = match args.max_tokens {
        Some(n) => format!("{}@{n}", super::encode::PASSAGE_KEY),
        None => super::encode::PASSAGE_KEY.to_string(),
    };
    let mut cache = super::vector_cache::VectorCache::open(&cache_dir, &key)?;
    let texts: Vec<String> = set.corpus.iter().map(doc_text).collect();
    let started = std::time::Instant::now();
    let (docs, encoded) = cache.get_or_encode(&texts, |b| {
        encoder.embed_truncated(b, encoder::Kind::Passage, args.max_tokens)
    })?;
    if !args.json {
        println!(
            "corpus vectors: {encoded} encoded, {} from the cache {}",
            set.corpus.len() - encoded.min(set.corpus.len()),
            cache_dir.display()
        );
    }
    if let Some(dir) = &args.dump {
        dump(set, args, encoder, &docs, dir)?;
    }
    Ok((docs, started.elapsed().as_secs_f64()))
}

fn query_embedder(encoder: &encoder::Encoder) -> impl Fn(&[&str]) -> Vec<Vec<f32>> + '_ {
    |qs| {
        encoder
            .embed(qs, encoder::Kind::Query)
            .into_iter()
            .map(|v| v.to_vec())
            .collect()
    }
}

/// Dense retrieval with the multilingual encoder, exact cosine search.
fn dense(set: &BeirSet, args: &EvalArgs, data_dir: &Path) -> anyhow::Result<EvalReport> {
    let encoder = super::encode::load(data_dir, &args.encoder)?;
    let (docs, index_s) = corpus_vectors(set, args, data_dir, &encoder)?;
    Ok(evaluate_dense(
        set,
        &docs,
        index_s,
        query_embedder(&encoder),
        args.k,
    ))
}

/// The fusion parameters: the tuned defaults, with any given on the command line.
fn fusion_params(args: &EvalArgs, data_dir: &Path) -> anyhow::Result<FusionParams> {
    let mut p = super::matching::ranking_config(data_dir, args.ranking.as_deref())?.fusion;
    if let Some(m) = &args.fusion {
        p.method = match m.as_str() {
            "rrf" => FusionMethod::Rrf,
            "min_max" | "minmax" => FusionMethod::MinMax,
            "z_score" | "zscore" => FusionMethod::ZScore,
            other => bail!("unknown --fusion '{other}': use rrf, min_max or z_score"),
        };
    }
    for (arg, field) in [
        (args.w_lexical, &mut p.w_lexical),
        (args.w_dense, &mut p.w_dense),
        (args.cross_language, &mut p.cross_language_lexical),
        (args.rrf_k, &mut p.rrf_k),
        (args.bridge, &mut p.bridge),
        (args.cross_dense, &mut p.cross_language_dense),
        (args.english_dense, &mut p.english_dense),
    ] {
        if let Some(v) = arg {
            *field = v;
        }
    }
    if let Some(d) = args.depth {
        p.depth = d;
    }
    if args.english_w_lexical.is_some() {
        p.english_w_lexical = args.english_w_lexical;
    }
    if args.english_w_dense.is_some() {
        p.english_w_dense = args.english_w_dense;
    }
    // Same checks as the ranking file, named by the flags that set them.
    p.check().map_err(|m| {
        anyhow::anyhow!(
            "{}",
            m.replace("fusion.w_lexical", "--w-lexical")
                .replace("fusion.w_dense", "--w-dense")
                .replace("fusion.cross_language_lexical", "--cross-language")
                .replace("fusion.rrf_k", "--rrf-k")
                .replace("fusion.depth", "--depth")
                .replace("fusion.bridge", "--bridge")
                .replace("fusion.cross_language_dense", "--cross-dense")
                .replace("fusion.english_dense", "--english-dense")
                .replace("fusion.english_w_lexical", "--english-w-lexical")
                .replace("fusion.english_w_dense", "--english-w-dense")
        )
    })?;
    Ok(p)
}

/// The dictionary bridge, unless `--no-bridge`; missing, it says so and ranking goes on without it.
fn dictionary(args: &EvalArgs, data_dir: &Path) -> Option<bridge::Dictionary> {
    if args.no_bridge {
        return None;
    }
    let path = bridge::default_path(data_dir);
    match bridge::Dictionary::load(&path) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("note: no cross-language bridge: {e}");
            None
        }
    }
}

/// Lexical and dense rankings fused, through the product's language-balanced retrieval.
fn hybrid(set: &BeirSet, args: &EvalArgs, data_dir: &Path) -> anyhow::Result<EvalReport> {
    let fusion = fusion_params(args, data_dir)?;
    let cfg = super::matching::ranking_config(data_dir, args.ranking.as_deref())?;
    let encoder = super::encode::load(data_dir, &args.encoder)?;
    let (docs, _) = corpus_vectors(set, args, data_dir, &encoder)?;
    let started = std::time::Instant::now();
    let vectors = search::eval::run::vector_index(set, &docs, cfg.vector)?;
    let vector_s = started.elapsed().as_secs_f64();
    let tmp = tempfile::tempdir().context("cannot create a temporary index directory")?;
    let index = LexicalIndex::open_or_create(tmp.path())?;
    let dict = dictionary(args, data_dir);
    let embed = query_embedder(&encoder);
    // The English encoder reads English queries only: a set without one never loads it.
    let any_english = set
        .queries
        .iter()
        .any(|q| model::Lang::detect(&q.text).as_str() == "en");
    let english = super::english::load(
        data_dir,
        args.no_english || fusion.english_dense <= 0.0 || !any_english,
    );
    let cache_dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("cache").join("embeddings"));
    let english_index = match &english {
        Some(e) => Some(super::english::corpus_index(
            set, &cache_dir, e, cfg.vector,
        )?),
        None => None,
    };
    let english_kind = if args.english_query_as_passage {
        encoder::Kind::Passage
    } else {
        encoder::Kind::Query
    };
    let embed_en = english
        .as_ref()
        .map(|e| super::english::embedder_as(e, english_kind));
    let inputs = HybridInputs {
        dense: Some((&vectors, &embed)),
        bridge: dict.as_ref(),
        bridge_params: cfg.bridge,
        fusion,
        english: english_index
            .as_ref()
            .zip(embed_en.as_ref())
            .map(|(i, e)| (i, e as search::eval::run::QueryEmbedder)),
    };
    let mut report = evaluate_hybrid(set, &index, &bm25_params(args), &inputs, args.k)?;
    // Both indexes are built: the lexical one from the texts, the vector one from cached vectors.
    report.index_s += vector_s;
    Ok(report)
}

fn bm25_params(args: &EvalArgs) -> Bm25Params {
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
    params
}

/// BM25 over the query's own terms, with the dictionary bridge's list fused in when the corpus holds
/// another language than the query (pure BM25 otherwise, or with `--no-bridge`).
fn lexical(set: &BeirSet, args: &EvalArgs, data_dir: &Path) -> anyhow::Result<EvalReport> {
    let params = bm25_params(args);
    let tmp = tempfile::tempdir().context("cannot create a temporary index directory")?;
    let index = LexicalIndex::open_or_create(tmp.path())?;
    let dict = dictionary(args, data_dir);
    if dict.is_none() {
        return Ok(evaluate_lexical(set, &index, &params, args.k)?);
    }
    let cfg = super::matching::ranking_config(data_dir, args.ranking.as_deref())?;
    let inputs = HybridInputs {
        dense: None,
        bridge: dict.as_ref(),
        bridge_params: cfg.bridge,
        fusion: fusion_params(args, data_dir)?,
        english: None,
    };
    Ok(evaluate_hybrid(set, &index, &params, &inputs, args.k)?)
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

/// Writes what fusion research needs: `docs.f32` and `queries.f32` (row-major, 384 floats each, corpus
/// and judged-query order), `docids.txt`, `qids.txt`, and `lexical.tsv` (query row, doc row, BM25 score;
/// 1,000 deep).
fn dump(
    set: &BeirSet,
    args: &EvalArgs,
    encoder: &encoder::Encoder,
    docs: &[Vec<f32>],
    dir: &Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let raw =
        |vs: &mut dyn Iterator<Item = f32>| -> Vec<u8> { vs.flat_map(f32::to_le_bytes).collect() };
    std::fs::write(
        dir.join("docs.f32"),
        raw(&mut docs.iter().flatten().copied()),
    )?;
    let texts: Vec<&str> = set.queries.iter().map(|q| q.text.as_str()).collect();
    let qv = encoder.embed(&texts, encoder::Kind::Query);
    std::fs::write(
        dir.join("queries.f32"),
        raw(&mut qv.iter().flatten().copied()),
    )?;
    let ids = |it: &mut dyn Iterator<Item = &str>| it.collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(
        dir.join("docids.txt"),
        ids(&mut set.corpus.iter().map(|d| d.id.as_str())),
    )?;
    std::fs::write(
        dir.join("qids.txt"),
        ids(&mut set.queries.iter().map(|q| q.id.as_str())),
    )?;
    let tmp = tempfile::tempdir()?;
    let index = LexicalIndex::open_or_create(tmp.path())?;
    search::eval::run::index_corpus(set, &index)?;
    let params = bm25_params(args);
    let rankings = search::eval::run::lexical_rankings(set, &index, &params, 1000)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("lexical.tsv"))?);
    for (q, r) in rankings.iter().enumerate() {
        for (d, s) in r {
            writeln!(out, "{q}\t{d}\t{s}")?;
        }
    }
    out.flush()?;
    // The bridge's rankings (translated query over the documents in another language) and each
    // document's language, for cross-language fusion research.
    let path = bridge::default_path(&std::path::PathBuf::from("."));
    if let Ok(dict) = bridge::Dictionary::load(&path) {
        let bp = bridge::BridgeParams::default();
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("bridge.tsv"))?);
        for (q, query) in set.queries.iter().enumerate() {
            let zh = model::Lang::detect(&query.text).as_str() == "zh";
            let (terms, other) = if zh {
                (dict.to_english(&query.text, &bp), "en")
            } else {
                (dict.to_chinese(&query.text, &bp), "zh")
            };
            let terms: Vec<(String, f32)> = terms.into_iter().map(|t| (t.text, t.weight)).collect();
            let filters = search::Filters {
                langs: vec![other.to_string()],
                ..Default::default()
            };
            for h in index.search_terms(&terms, &filters, &params, 1000)? {
                writeln!(out, "{q}\t{}\t{}", h.id, h.score)?;
            }
        }
        out.flush()?;
    }
    let langs: Vec<String> = set
        .corpus
        .iter()
        .map(|d| model::Lang::detect(&format!("{} {}", d.title, d.text)).to_string())
        .collect();
    std::fs::write(dir.join("langs.txt"), langs.join("\n") + "\n")?;
    Ok(())
}
