//! The vector index beside the lexical one: built from the embeddings cached in the store, kept current
//! from the outbox like the lexical index, saved as one file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use model::{Record, RecordKind};
use search::{ItemMeta, SearchItem, VectorIndex};
use store::Store;

use super::encode::PASSAGE_KEY;

/// Where the vector index lives inside a data directory.
pub fn vector_path(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("vectors").join("hnsw.bin")
}

/// Resolves what a record alone does not say for search: an outcome's region is its owner's.
/// Owner lookups are cached for the life of one indexing run.
#[derive(Default)]
pub struct Resolver {
    owners: HashMap<String, Option<model::Organization>>,
}

impl Resolver {
    /// The organization named (or identified by USCC) as an owner, if registered.
    pub async fn owner(
        &mut self,
        store: &Store,
        name: &str,
        uscc: Option<&str>,
    ) -> anyhow::Result<Option<model::Organization>> {
        let key = format!("{name}\u{1}{}", uscc.unwrap_or(""));
        if let Some(o) = self.owners.get(&key) {
            return Ok(o.clone());
        }
        let found = store
            .find_organization(name, uscc)
            .await?
            .and_then(|s| match s.record {
                Record::Organization(o) => Some(o),
                _ => None,
            });
        self.owners.insert(key, found.clone());
        Ok(found)
    }

    /// The first registered owner of an outcome.
    pub async fn outcome_owner(
        &mut self,
        store: &Store,
        o: &model::Outcome,
    ) -> anyhow::Result<Option<model::Organization>> {
        let uscc = o.owner_uscc.as_ref().map(|u| u.to_string());
        for name in &o.owners {
            if let Some(org) = self.owner(store, name, uscc.as_deref()).await? {
                return Ok(Some(org));
            }
        }
        if let Some(u) = &uscc {
            return self.owner(store, "", Some(u)).await;
        }
        Ok(None)
    }

    /// The searchable view of a record, with an outcome's region taken from its owner.
    pub async fn item(
        &mut self,
        store: &Store,
        id: i64,
        record: &Record,
    ) -> anyhow::Result<Option<SearchItem>> {
        let Some(mut item) = SearchItem::from_record(id as u64, record) else {
            return Ok(None);
        };
        if let Record::Outcome(o) = record {
            if item.region.is_none() {
                item.region = self
                    .outcome_owner(store, o)
                    .await?
                    .and_then(|org| org.region.map(|r| r.key().to_string()));
            }
        }
        Ok(Some(item))
    }
}

/// Builds the vector index afresh from the store's cached embeddings (no encoding: `reindex --dense`
/// embeds first). Returns (items indexed, items without a cached vector).
pub async fn rebuild(
    store: &Store,
    data_dir: &Path,
    params: search::HnswParams,
) -> anyhow::Result<(usize, usize)> {
    let head = store.outbox_head().await?;
    let mut index = VectorIndex::new(encoder::DIM, params);
    let mut resolver = Resolver::default();
    let (mut indexed, mut missing) = (0, 0);
    for kind in RecordKind::ALL {
        let mut after = 0;
        loop {
            let page = store.list(kind, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let mut items = vec![];
            for s in &page {
                if let Some(item) = resolver.item(store, s.id, &s.record).await? {
                    let hash = store::text_hash(&item.all_text());
                    items.push((item, hash));
                }
            }
            let hashes: Vec<String> = items.iter().map(|(_, h)| h.clone()).collect();
            let cached = store.cached_embeddings(PASSAGE_KEY, &hashes).await?;
            for (item, hash) in items {
                match cached.get(&hash) {
                    Some(v) => {
                        index.upsert(ItemMeta::of(&item, hash), v)?;
                        indexed += 1;
                    }
                    None => missing += 1,
                }
            }
        }
    }
    index.set_outbox_position(head);
    index.save(&vector_path(data_dir))?;
    Ok((indexed, missing))
}

/// Loads the vector index and applies the outbox entries past its position. Changed texts take their
/// vector from the store's cache, or from `encoder` when given (the vector is then cached); without
/// either the item stays out of the vector index until `reindex --dense`. `Ok(None)` when no vector
/// index has been built.
pub async fn sync(
    store: &Store,
    data_dir: &Path,
    encoder: Option<&encoder::Encoder>,
) -> anyhow::Result<Option<VectorIndex>> {
    let path = vector_path(data_dir);
    let Some(mut index) = VectorIndex::load(&path)? else {
        return Ok(None);
    };
    let mut resolver = Resolver::default();
    let mut pos = index.outbox_position();
    let mut changed = false;
    loop {
        let entries = store.outbox_since(pos, 1000).await?;
        let Some(last) = entries.last() else { break };
        pos = last.id;
        changed = true;
        for e in &entries {
            let Ok(kind) = crate::kind_arg::parse_kind(&e.kind) else {
                continue;
            };
            let item = match store.get(kind, e.record_id).await? {
                Some(s) => resolver.item(store, s.id, &s.record).await?,
                None => None,
            };
            let Some(item) = item else {
                index.delete(kind, e.record_id as u64);
                continue;
            };
            let text = item.all_text();
            let hash = store::text_hash(&text);
            let vector = match store
                .cached_embeddings(PASSAGE_KEY, std::slice::from_ref(&hash))
                .await?
                .remove(&hash)
            {
                Some(v) => Some(v),
                None => match encoder {
                    Some(enc) => {
                        let v = enc.embed(&[text.as_str()], encoder::Kind::Passage)[0].to_vec();
                        store
                            .put_embeddings(PASSAGE_KEY, &[(hash.clone(), v.clone())])
                            .await?;
                        Some(v)
                    }
                    None => None,
                },
            };
            match vector {
                Some(v) => index.upsert(ItemMeta::of(&item, hash), &v)?,
                None => {
                    index.delete(kind, e.record_id as u64);
                }
            }
        }
    }
    if changed {
        index.set_outbox_position(pos);
        if index.nodes() > 2 * index.len().max(1000) {
            index.compact();
        }
        index.save(&path)?;
    }
    Ok(Some(index))
}
