//! Asking the vector index: the graph walk with filters applied during it, and the exact scan it
//! falls back to when a filter leaves few items or the walk finds too few.

use super::*;

/// A filter that passes fewer than one item in this many is answered by an exact scan. Measured at
/// 118k items (`bench match`): the walk restricted to the 17% English records took 68 ms, the scan of
/// them a few; a graph per language would do better at millions (named in docs/matching.md).
const SELECTIVE: usize = 4;

impl VectorIndex {
    /// A scored node as the hit callers see.
    fn hit(&self, s: Scored) -> VectorHit {
        let m = &self.meta[s.1 as usize];
        VectorHit {
            record_kind: m.record_kind,
            id: m.id,
            similarity: s.0,
        }
    }

    /// The `k` live items most similar to `query` that pass `filters`, best first. Never fewer than
    /// `k` when at least `k` items pass: a filter that leaves few items, or a graph walk that finds too
    /// few, falls back to an exact scan of the items that pass.
    pub fn search(&self, query: &[f32], filters: &Filters, k: usize) -> Result<Vec<VectorHit>> {
        if query.len() != self.dim {
            return Err(VectorError::Dimension {
                got: query.len(),
                want: self.dim,
            });
        }
        if k == 0 || self.live == 0 {
            return Ok(vec![]);
        }
        let unfiltered = filters.is_empty();
        // The items a filter passes, found in one pass (the exact scan below reads only them).
        let passing_nodes: Vec<u32> = if unfiltered {
            vec![]
        } else {
            (0..self.meta.len() as u32)
                .filter(|&n| !self.deleted[n as usize] && filters.accepts(&self.meta[n as usize]))
                .collect()
        };
        let passing = if unfiltered {
            self.live
        } else {
            passing_nodes.len()
        };
        // A selective filter (say the few English records of a Chinese registry) makes the graph walk
        // wander: its beam cannot fill with passing items and ends up visiting most of the graph. Scanning
        // the passing items costs one dot product each, far less when they are this few.
        let selective = !unfiltered && passing.saturating_mul(SELECTIVE) < self.live;
        let scan = |k: usize| -> Vec<Scored> {
            if unfiltered {
                self.exact(query, filters, k)
            } else {
                self.exact_among(query, &passing_nodes, k)
            }
        };
        let found = if passing < self.params.exact_below.max(k) || selective {
            scan(k)
        } else {
            let hits = self.approximate(query, filters, k);
            if hits.len() < k.min(passing) {
                scan(k)
            } else {
                hits
            }
        };
        Ok(found.into_iter().map(|s| self.hit(s)).collect())
    }

    /// Graph search only (no exact fallback); for measuring recall.
    pub fn search_approximate(&self, query: &[f32], filters: &Filters, k: usize) -> Vec<VectorHit> {
        self.approximate(query, filters, k)
            .into_iter()
            .map(|s| self.hit(s))
            .collect()
    }

    fn approximate(&self, q: &[f32], filters: &Filters, k: usize) -> Vec<Scored> {
        if self.entry == NONE {
            return vec![];
        }
        let mut ep = Scored(self.sim(q, self.entry), self.entry);
        for layer in (1..=self.max_level).rev() {
            ep = self.greedy(q, ep, layer);
        }
        let ef = self.params.ef_search.max(k);
        let mut found = self.beam(q, &[ep], ef, 0, |x| {
            !self.deleted[x as usize] && filters.accepts(&self.meta[x as usize])
        });
        found.truncate(k);
        found
    }

    /// The `k` best of `nodes` (live items that passed the filter).
    fn exact_among(&self, q: &[f32], nodes: &[u32], k: usize) -> Vec<Scored> {
        self.top_k(q, nodes.iter().copied(), k.min(nodes.len()), k)
    }

    fn exact(&self, q: &[f32], filters: &Filters, k: usize) -> Vec<Scored> {
        let passing = (0..self.meta.len() as u32)
            .filter(|&n| !self.deleted[n as usize] && filters.accepts(&self.meta[n as usize]));
        self.top_k(q, passing, k.min(self.live), k)
    }

    /// The `k` most similar of `nodes`, best first (`room`: how many there can be at most, so `k` may
    /// be any number).
    fn top_k(
        &self,
        q: &[f32],
        nodes: impl Iterator<Item = u32>,
        room: usize,
        k: usize,
    ) -> Vec<Scored> {
        let mut best: BinaryHeap<Worst> = BinaryHeap::with_capacity(room + 1);
        for n in nodes {
            let s = Scored(self.sim(q, n), n);
            if best.len() < k {
                best.push(Worst(std::cmp::Reverse(s)));
            } else if best.peek().is_some_and(|w| s > w.0 .0) {
                best.pop();
                best.push(Worst(std::cmp::Reverse(s)));
            }
        }
        let mut out: Vec<Scored> = best.into_iter().map(|w| w.0 .0).collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out
    }
}
