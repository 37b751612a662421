use std::path::Path;

use model::RecordKind;
use search::{LexicalIndex, SearchItem};
use store::Store;

/// Where the lexical index lives inside a data directory.
pub fn lexical_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("index").join("lexical")
}

/// Rebuilds the lexical index from the store.
pub async fn run(store: &Store, data_dir: &Path) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let index = LexicalIndex::open_or_create(&lexical_dir(data_dir))?;
    let mut writer = index.writer()?;
    writer.clear()?;
    let mut n = 0usize;
    for kind in RecordKind::ALL {
        let mut after = 0;
        loop {
            let page = store.list(kind, after, 2000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for s in &page {
                if let Some(item) = SearchItem::from_record(s.id as u64, &s.record) {
                    writer.upsert(&item)?;
                    n += 1;
                }
            }
        }
    }
    writer.commit()?;
    index.reload()?;
    println!(
        "reindexed {n} records into {} in {:.2}s",
        lexical_dir(data_dir).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
