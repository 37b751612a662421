//! The vector index: a hierarchical navigable small-world graph (HNSW, Malkov & Yashunin 2016) over the
//! unit-length embeddings of every searchable item, with the items' filter values beside it.
//!
//! Why our own: the graph must apply filters *while* it is searched (a post-filter on a top-k list leaves
//! fewer than k hits as soon as a filter is selective), it must fall back to an exact scan where the graph
//! would not pay (small indexes, very selective filters), and it must persist with the store's outbox
//! position so it is kept current incrementally like the lexical index.
//!
//! Deletions leave a tombstone: the node still routes searches but is never returned; `compact` (run by
//! `reindex`) rebuilds the graph without them.

use std::collections::{BinaryHeap, HashMap};

use model::RecordKind;

use crate::lexical::Filters;

mod persist;
mod query;

/// Graph and search parameters. Defaults reach recall@10 ≥ 0.98 against exact search on SciFact
/// (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HnswParams {
    /// Links per node on the upper layers (twice as many on layer 0).
    pub m: usize,
    /// Beam width while inserting.
    pub ef_construction: usize,
    /// Beam width while searching (raised to k when k is larger).
    pub ef_search: usize,
    /// Below this many live items, or this many items passing a filter, search scans exactly.
    pub exact_below: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construction: 128,
            ef_search: 96,
            exact_below: 2_000,
        }
    }
}

/// What a filter needs to know of an item, kept beside its vector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemMeta {
    pub record_kind: RecordKind,
    pub id: u64,
    pub kind: String,
    pub lang: String,
    pub region: Option<String>,
    pub clusters: Vec<String>,
    pub trl: Option<u8>,
    pub year: Option<i32>,
    /// SHA-256 (hex) of the embedded text: an update with the same text keeps its node.
    pub text_hash: String,
}

impl ItemMeta {
    /// The filter values of `item`, with the hash of the text its vector was computed from.
    pub fn of(item: &crate::SearchItem, text_hash: String) -> ItemMeta {
        ItemMeta {
            record_kind: item.record_kind,
            id: item.id,
            kind: item.kind.clone(),
            lang: item.lang.clone(),
            region: item.region.clone(),
            clusters: item.clusters.clone(),
            trl: item.trl,
            year: item.year,
            text_hash,
        }
    }
}

impl Filters {
    /// Whether an item with these values passes every restriction.
    pub fn accepts(&self, m: &ItemMeta) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        (self.record_kinds.is_empty() || self.record_kinds.contains(&m.record_kind))
            && any(&self.kinds, &m.kind)
            && any(&self.langs, &m.lang)
            && (self.regions.is_empty()
                || m.region.as_ref().is_some_and(|r| self.regions.contains(r)))
            && (self.clusters.is_empty() || m.clusters.iter().any(|c| self.clusters.contains(c)))
            && self
                .trl
                .is_none_or(|(lo, hi)| m.trl.is_some_and(|t| (lo..=hi).contains(&t)))
            && self
                .year
                .is_none_or(|(lo, hi)| m.year.is_some_and(|y| (lo..=hi).contains(&y)))
    }

    fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// One nearest neighbour.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorHit {
    pub record_kind: RecordKind,
    pub id: u64,
    /// Cosine similarity to the query.
    pub similarity: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("vector index {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("vector index {path}: {message}; run `shuanglian reindex --dense` to rebuild it")]
    Corrupt { path: String, message: String },
    #[error("vector of {got} dimensions given to an index of {want}")]
    Dimension { got: usize, want: usize },
    #[error("the vector of {kind} #{id} holds a value that is not a finite number")]
    NotFinite { kind: RecordKind, id: u64 },
}

pub type Result<T> = std::result::Result<T, VectorError>;

const NONE: u32 = u32::MAX;
const MAGIC: &[u8; 8] = b"SLVEC001";
/// Items per language whose cosines to a query estimate its background level and spread.
pub const BACKGROUND_SAMPLE: usize = 512;

/// Highest layer a node may be drawn to.
const MAX_LEVEL: u8 = 16;
/// Largest `m` accepted (a layer-0 list holds `2m` links).
pub const MAX_M: usize = 128;

/// An HNSW graph over unit vectors, with filter values per node.
#[derive(Debug, Clone)]
pub struct VectorIndex {
    dim: usize,
    params: HnswParams,
    vectors: Vec<f32>,
    meta: Vec<ItemMeta>,
    deleted: Vec<bool>,
    levels: Vec<u8>,
    /// Layer 0 links: `2·m` slots per node, unused slots hold `NONE`.
    layer0: Vec<u32>,
    /// Links on layers 1.. per node: `upper[node][layer - 1]`.
    upper: Vec<Vec<Vec<u32>>>,
    entry: u32,
    max_level: u8,
    by_key: HashMap<(RecordKind, u64), u32>,
    live: usize,
    rng: u64,
    /// The store's outbox position the index reflects.
    outbox: i64,
    /// An even sample of the live items of each language, drawn on first use after a change.
    centroids: std::sync::OnceLock<HashMap<String, Vec<u32>>>,
}

/// A scored node; ordered by similarity, then by lower node number (stable results).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored(f32, u32);

impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scored {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

/// A min-heap entry: the worst of the kept results on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Worst(std::cmp::Reverse<Scored>);

impl VectorIndex {
    pub fn new(dim: usize, params: HnswParams) -> VectorIndex {
        VectorIndex {
            dim,
            params,
            vectors: vec![],
            meta: vec![],
            deleted: vec![],
            levels: vec![],
            layer0: vec![],
            upper: vec![],
            entry: NONE,
            max_level: 0,
            by_key: HashMap::new(),
            live: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            outbox: 0,
            centroids: Default::default(),
        }
    }

    /// The query's background per language: the mean and standard deviation of its cosines to the
    /// language's items (over an even sample of at most [`BACKGROUND_SAMPLE`] of them). A multilingual
    /// encoder's cosines sit at another level, with another spread, for each language pair; the
    /// language-balanced retrieval standardises by them. The sample is drawn once per change of the
    /// index.
    pub fn background(&self, query: &[f32]) -> Vec<(String, f32, f32)> {
        if query.len() != self.dim {
            return vec![];
        }
        let samples = self.centroids.get_or_init(|| {
            let mut by_lang: HashMap<String, Vec<u32>> = HashMap::new();
            for (n, m) in self.meta.iter().enumerate() {
                if !self.deleted[n] {
                    by_lang.entry(m.lang.clone()).or_default().push(n as u32);
                }
            }
            by_lang
                .into_iter()
                .map(|(lang, nodes)| {
                    let step = nodes.len().div_ceil(BACKGROUND_SAMPLE).max(1);
                    (lang, nodes.into_iter().step_by(step).collect())
                })
                .collect()
        });
        samples
            .iter()
            .map(|(lang, nodes)| {
                let cos: Vec<f32> = nodes.iter().map(|&n| self.sim(query, n)).collect();
                let n = cos.len().max(1) as f32;
                let mean = cos.iter().sum::<f32>() / n;
                let var = cos.iter().map(|c| (c - mean).powi(2)).sum::<f32>() / n;
                (lang.clone(), mean, var.sqrt())
            })
            .collect()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// Changes the search-time parameters (`ef_search`, `exact_below`) and the insert beam
    /// (`ef_construction`, for later inserts). `m` is fixed when the graph is built (its link lists are
    /// laid out by it), so a different `m` takes effect at the next rebuild.
    pub fn set_params(&mut self, params: HnswParams) {
        self.params = HnswParams {
            m: self.params.m,
            ..params
        };
    }

    /// Live (not deleted) items.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Nodes including tombstones: when this far exceeds `len`, `compact` pays.
    pub fn nodes(&self) -> usize {
        self.meta.len()
    }

    /// Approximate heap bytes held: vectors, links and filter values.
    pub fn approx_bytes(&self) -> usize {
        let meta: usize = self
            .meta
            .iter()
            .map(|m| {
                std::mem::size_of::<ItemMeta>()
                    + m.kind.len()
                    + m.lang.len()
                    + m.text_hash.len()
                    + m.region.as_ref().map_or(0, String::len)
                    + m.clusters.iter().map(|c| c.len() + 24).sum::<usize>()
            })
            .sum();
        let upper: usize = self
            .upper
            .iter()
            .map(|n| n.iter().map(|l| l.len() * 4 + 24).sum::<usize>() + 24)
            .sum();
        self.vectors.len() * 4 + self.layer0.len() * 4 + upper + meta + self.deleted.len() * 2
    }

    pub fn outbox_position(&self) -> i64 {
        self.outbox
    }

    pub fn set_outbox_position(&mut self, position: i64) {
        self.outbox = position;
    }

    /// The filter values and text hash of a live item.
    pub fn meta(&self, kind: RecordKind, id: u64) -> Option<&ItemMeta> {
        self.by_key
            .get(&(kind, id))
            .map(|&n| &self.meta[n as usize])
    }

    /// The stored vector of a live item.
    pub fn vector(&self, kind: RecordKind, id: u64) -> Option<&[f32]> {
        self.by_key.get(&(kind, id)).map(|&n| self.vec_of(n))
    }

    fn vec_of(&self, n: u32) -> &[f32] {
        let i = n as usize * self.dim;
        &self.vectors[i..i + self.dim]
    }

    fn sim(&self, q: &[f32], n: u32) -> f32 {
        encoder::dot(q, self.vec_of(n))
    }

    fn m0(&self) -> usize {
        self.params.m * 2
    }

    fn links(&self, n: u32, layer: u8) -> &[u32] {
        if layer == 0 {
            let m0 = self.m0();
            let s = &self.layer0[n as usize * m0..(n as usize + 1) * m0];
            let used = s.iter().position(|&x| x == NONE).unwrap_or(m0);
            &s[..used]
        } else {
            &self.upper[n as usize][layer as usize - 1]
        }
    }

    fn set_links(&mut self, n: u32, layer: u8, links: &[u32]) {
        if layer == 0 {
            let m0 = self.m0();
            let s = &mut self.layer0[n as usize * m0..(n as usize + 1) * m0];
            s.fill(NONE);
            s[..links.len()].copy_from_slice(links);
        } else {
            self.upper[n as usize][layer as usize - 1] = links.to_vec();
        }
    }

    fn random_level(&mut self) -> u8 {
        // xorshift64*: reproducible graphs for a given insertion order.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let u = ((r >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let ml = 1.0 / (self.params.m.max(2) as f64).ln();
        ((-u.ln() * ml) as usize).min(MAX_LEVEL as usize) as u8
    }

    /// Adds or replaces the item `meta` describes. An item whose text hash is unchanged keeps its node;
    /// otherwise the old node becomes a tombstone and a new one is linked in.
    pub fn upsert(&mut self, meta: ItemMeta, vector: &[f32]) -> Result<()> {
        self.centroids = Default::default();
        if vector.len() != self.dim {
            return Err(VectorError::Dimension {
                got: vector.len(),
                want: self.dim,
            });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(VectorError::NotFinite {
                kind: meta.record_kind,
                id: meta.id,
            });
        }
        let key = (meta.record_kind, meta.id);
        if let Some(&old) = self.by_key.get(&key) {
            if self.meta[old as usize].text_hash == meta.text_hash {
                self.meta[old as usize] = meta;
                return Ok(());
            }
            self.deleted[old as usize] = true;
            self.by_key.remove(&key);
            self.live -= 1;
        }
        let n = self.meta.len() as u32;
        self.vectors.extend_from_slice(vector);
        self.meta.push(meta);
        self.deleted.push(false);
        let level = self.random_level();
        self.levels.push(level);
        self.layer0.extend(std::iter::repeat_n(NONE, self.m0()));
        self.upper.push(vec![vec![]; level as usize]);
        self.by_key.insert(key, n);
        self.live += 1;
        self.link(n, level);
        Ok(())
    }

    /// Marks an item deleted; returns whether it was there.
    pub fn delete(&mut self, kind: RecordKind, id: u64) -> bool {
        self.centroids = Default::default();
        match self.by_key.remove(&(kind, id)) {
            Some(n) => {
                self.deleted[n as usize] = true;
                self.live -= 1;
                true
            }
            None => false,
        }
    }

    /// Rebuilds the graph from the live items only.
    pub fn compact(&mut self) {
        let mut fresh = VectorIndex::new(self.dim, self.params);
        fresh.outbox = self.outbox;
        for n in 0..self.meta.len() as u32 {
            if !self.deleted[n as usize] {
                let v = self.vec_of(n).to_vec();
                fresh
                    .upsert(self.meta[n as usize].clone(), &v)
                    .expect("same dimension");
            }
        }
        *self = fresh;
    }

    /// Links the new node `n` into the graph (HNSW insertion).
    fn link(&mut self, n: u32, level: u8) {
        if self.entry == NONE {
            self.entry = n;
            self.max_level = level;
            return;
        }
        let q = self.vec_of(n).to_vec();
        let mut ep = Scored(self.sim(&q, self.entry), self.entry);
        for layer in (level.saturating_add(1)..=self.max_level).rev() {
            ep = self.greedy(&q, ep, layer);
        }
        let mut entries = vec![ep];
        for layer in (0..=level.min(self.max_level)).rev() {
            let found = self.beam(&q, &entries, self.params.ef_construction, layer, |_| true);
            let cap = if layer == 0 { self.m0() } else { self.params.m };
            let chosen = self.select(&found, self.params.m);
            let ids: Vec<u32> = chosen.iter().map(|s| s.1).collect();
            self.set_links(n, layer, &ids);
            for s in &chosen {
                let mut theirs: Vec<u32> = self.links(s.1, layer).to_vec();
                if theirs.len() < cap {
                    theirs.push(n);
                    self.set_links(s.1, layer, &theirs);
                } else {
                    let base = self.vec_of(s.1).to_vec();
                    let mut cands: Vec<Scored> = theirs
                        .iter()
                        .chain(std::iter::once(&n))
                        .map(|&x| Scored(self.sim(&base, x), x))
                        .collect();
                    cands.sort_unstable_by(|a, b| b.cmp(a));
                    let kept: Vec<u32> = self.select(&cands, cap).iter().map(|s| s.1).collect();
                    self.set_links(s.1, layer, &kept);
                }
            }
            entries = found;
        }
        if level > self.max_level {
            self.max_level = level;
            self.entry = n;
        }
    }

    /// The neighbour-selection heuristic: walk candidates best first and keep one only if it is closer
    /// to the base than to every neighbour already kept (links spread in all directions), then fill up
    /// with the best of the rest.
    fn select(&self, sorted: &[Scored], m: usize) -> Vec<Scored> {
        let mut kept: Vec<Scored> = Vec::with_capacity(m);
        let mut rest = vec![];
        for &c in sorted {
            if kept.len() >= m {
                break;
            }
            let cv = self.vec_of(c.1);
            if kept
                .iter()
                .all(|k| encoder::dot(cv, self.vec_of(k.1)) < c.0)
            {
                kept.push(c);
            } else {
                rest.push(c);
            }
        }
        for c in rest {
            if kept.len() >= m {
                break;
            }
            kept.push(c);
        }
        kept
    }

    /// Greedy descent on one upper layer.
    fn greedy(&self, q: &[f32], mut best: Scored, layer: u8) -> Scored {
        loop {
            let mut moved = false;
            for &x in self.links(best.1, layer) {
                let s = Scored(self.sim(q, x), x);
                if s > best {
                    best = s;
                    moved = true;
                }
            }
            if !moved {
                return best;
            }
        }
    }

    /// Beam search on one layer: the `ef` best nodes that `keep` accepts, best first. Rejected nodes
    /// still route the search.
    fn beam(
        &self,
        q: &[f32],
        entries: &[Scored],
        ef: usize,
        layer: u8,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<Scored> {
        let n = self.meta.len();
        let mut visited = vec![0u64; n.div_ceil(64)];
        let mut seen = |x: u32| {
            let (w, b) = (x as usize / 64, 1u64 << (x % 64));
            let was = visited[w] & b != 0;
            visited[w] |= b;
            was
        };
        let mut frontier: BinaryHeap<Scored> = BinaryHeap::new();
        let mut kept: BinaryHeap<Worst> = BinaryHeap::new();
        for &e in entries {
            if !seen(e.1) {
                frontier.push(e);
                if keep(e.1) {
                    kept.push(Worst(std::cmp::Reverse(e)));
                }
            }
        }
        while kept.len() > ef {
            kept.pop();
        }
        while let Some(c) = frontier.pop() {
            if kept.len() >= ef {
                let worst = kept.peek().expect("non-empty").0 .0;
                if c < worst {
                    break;
                }
            }
            for &x in self.links(c.1, layer) {
                if seen(x) {
                    continue;
                }
                let s = Scored(self.sim(q, x), x);
                let worst = kept.peek().map(|w| w.0 .0);
                if kept.len() < ef || worst.is_some_and(|w| s > w) {
                    frontier.push(s);
                    if keep(x) {
                        kept.push(Worst(std::cmp::Reverse(s)));
                        if kept.len() > ef {
                            kept.pop();
                        }
                    }
                }
            }
        }
        let mut out: Vec<Scored> = kept.into_iter().map(|w| w.0 .0).collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out
    }
}
