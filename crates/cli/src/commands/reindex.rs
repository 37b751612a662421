use std::path::Path;

use search::LexicalIndex;
use store::Store;

pub use engine::lexical_dir;

/// Rebuilds the lexical index from the store.
pub async fn run(store: &Store, data_dir: &Path) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let index = LexicalIndex::open_or_create(&lexical_dir(data_dir))?;
    let n = engine::indexing::rebuild_lexical(store, &index).await?;
    println!(
        "reindexed {n} records into {} in {:.2}s",
        lexical_dir(data_dir).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// Brings an existing lexical index up to date with the store's outbox (after imports and edits).
/// Does nothing when no index has been built yet. Returns the number of changes applied.
pub async fn sync(store: &Store, data_dir: &Path) -> anyhow::Result<usize> {
    let dir = lexical_dir(data_dir);
    if !dir.join("meta.json").exists() {
        return Ok(0);
    }
    sync_index(store, &LexicalIndex::open_or_create(&dir)?).await
}

/// Applies the outbox entries past the index's recorded position, committing the new position with them.
pub async fn sync_index(store: &Store, index: &LexicalIndex) -> anyhow::Result<usize> {
    Ok(engine::indexing::sync_lexical(store, index).await?)
}

/// `shuanglian search`: lexical hits with their titles from the store.
pub async fn search(
    store: &Store,
    data_dir: &Path,
    args: &crate::args::SearchArgs,
) -> anyhow::Result<u8> {
    let dir = lexical_dir(data_dir);
    if !dir.join("meta.json").exists() {
        anyhow::bail!(
            "no search index in {}: run `shuanglian reindex` first",
            data_dir.display()
        );
    }
    // One open serves both the catch-up with the store and the search.
    let index = LexicalIndex::open_or_create(&dir)?;
    sync_index(store, &index).await?;
    let filters = search::Filters {
        record_kinds: args.kind.into_iter().collect(),
        ..Default::default()
    };
    let hits = index.search(
        &args.query,
        &filters,
        &search::Bm25Params::default(),
        args.limit.into(),
    )?;
    for h in hits {
        let Some(stored) = store.get(h.record_kind, h.id as i64).await? else {
            continue;
        };
        if args.json {
            println!(
                "{}",
                serde_json::json!({"kind": h.record_kind, "id": h.id, "score": h.score, "title": stored.record.label()})
            );
        } else {
            println!(
                "{:>7.3}  {:<12} #{:<6} {}",
                h.score,
                h.record_kind.as_str(),
                h.id,
                stored.record.label()
            );
        }
    }
    Ok(0)
}
