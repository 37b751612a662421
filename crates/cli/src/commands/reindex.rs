use std::path::{Path, PathBuf};

use model::RecordKind;
use search::LexicalIndex;
use store::Store;

/// Where the lexical index lives inside a data directory.
pub fn lexical_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("lexical")
}

/// Rebuilds the lexical index from the store.
pub async fn run(store: &Store, data_dir: &Path) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let index = LexicalIndex::open_or_create(&lexical_dir(data_dir))?;
    let n = rebuild(store, &index).await?;
    println!(
        "reindexed {n} records into {} in {:.2}s",
        lexical_dir(data_dir).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// Replaces the index's content with every searchable record in the store, at the current outbox head.
async fn rebuild(store: &Store, index: &LexicalIndex) -> anyhow::Result<usize> {
    // Read the outbox head first: changes after it are picked up by the next sync.
    let head = store.outbox_head().await?;
    let mut writer = index.writer()?;
    writer.clear()?;
    let mut resolver = super::vectors::Resolver::default();
    let mut n = 0usize;
    for kind in RecordKind::ALL {
        let mut after = 0;
        loop {
            let page = store.list(kind, after, 2000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for s in &page {
                if let Some(item) = resolver.item(store, s.id, &s.record).await? {
                    writer.upsert(&item)?;
                    n += 1;
                }
            }
        }
    }
    writer.commit_at_outbox(head)?;
    index.reload()?;
    Ok(n)
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
    let mut pos = index.outbox_position()?;
    if pos == 0 && index.is_empty() {
        // Never filled (or dropped for a new schema): a full rebuild, not a replay of the outbox.
        return rebuild(store, index).await;
    }
    let mut writer = index.writer()?;
    let mut resolver = super::vectors::Resolver::default();
    let mut applied = 0;
    loop {
        let entries = store.outbox_since(pos, 1000).await?;
        let Some(last) = entries.last() else { break };
        let last_id = last.id;
        for e in &entries {
            let Ok(kind) = crate::kind_arg::parse_kind(&e.kind) else {
                continue;
            };
            match store.get(kind, e.record_id).await? {
                Some(stored) => match resolver.item(store, stored.id, &stored.record).await? {
                    Some(item) => writer.upsert(&item)?,
                    // Records that may not be in the shared index (a demand made confidential).
                    None => writer.delete(kind, e.record_id as u64),
                },
                None => writer.delete(kind, e.record_id as u64),
            }
            applied += 1;
        }
        writer.commit_at_outbox(last_id)?;
        pos = last_id;
    }
    if applied > 0 {
        index.reload()?;
    }
    Ok(applied)
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
        args.limit,
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
