//! Walking every record of a kind in id order, a page at a time: the one paged scan that
//! exports, index rebuilds, the embedding pass and the consistency check share.

use model::RecordKind;

use crate::{Result, Store, Stored};

/// A walk over one kind's records; see [`Store::pages`].
pub struct Pages<'a> {
    store: &'a Store,
    kind: RecordKind,
    after: i64,
    size: i64,
    done: bool,
}

impl Store {
    /// Every record of `kind`, `size` at a time, lowest id first. Records written during the walk
    /// with a higher id than the last page's are seen too.
    pub fn pages(&self, kind: RecordKind, size: usize) -> Pages<'_> {
        Pages {
            store: self,
            kind,
            after: 0,
            size: size.max(1) as i64,
            done: false,
        }
    }
}

impl Pages<'_> {
    /// The next page, or `None` when the walk is over.
    pub async fn next(&mut self) -> Result<Option<Vec<Stored>>> {
        if self.done {
            return Ok(None);
        }
        let page = self.store.list(self.kind, self.after, self.size).await?;
        match page.last() {
            Some(last) => {
                self.after = last.id;
                Ok(Some(page))
            }
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }
}
