//! Asking the vector index: the graph walk with filters applied during it, and the exact scan it
//! falls back to when a filter leaves few items or the walk finds too few.

use super::*;

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
        let passing = if unfiltered {
            self.live
        } else {
            (0..self.meta.len())
                .filter(|&n| !self.deleted[n] && filters.accepts(&self.meta[n]))
                .count()
        };
        let found = if passing < self.params.exact_below.max(k) {
            self.exact(query, filters, k)
        } else {
            let hits = self.approximate(query, filters, k);
            if hits.len() < k.min(passing) {
                self.exact(query, filters, k)
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

    fn exact(&self, q: &[f32], filters: &Filters, k: usize) -> Vec<Scored> {
        let mut best: BinaryHeap<Worst> = BinaryHeap::with_capacity(k + 1);
        for n in 0..self.meta.len() {
            if self.deleted[n] || !filters.accepts(&self.meta[n]) {
                continue;
            }
            let s = Scored(self.sim(q, n as u32), n as u32);
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
