//! Walking every record of a kind in id order, a page at a time: the one paged scan that
//! exports, index rebuilds, the embedding pass and the consistency check share. Confidential
//! demands are walked only with a pass that reaches them.

use model::{Confidentiality, Record, RecordKind};

use crate::pass::{DemandPass, DemandScope};
use crate::{Result, Store, Stored};

/// A walk over one kind's records; see [`Store::pages`].
pub struct Pages<'a> {
    store: &'a Store,
    kind: RecordKind,
    after: i64,
    size: i64,
    done: bool,
    /// Confidential demands the walk may return (none without a pass).
    pass: Option<&'a DemandPass>,
}

impl Store {
    /// Every record of `kind`, `size` at a time, lowest id first (demands: public ones). Records
    /// written during the walk with a higher id than the last page's are seen too.
    pub fn pages(&self, kind: RecordKind, size: usize) -> Pages<'_> {
        Pages {
            store: self,
            kind,
            after: 0,
            size: size.max(1) as i64,
            done: false,
            pass: None,
        }
    }

    /// [`Store::pages`], with the confidential demands `pass` reaches.
    pub fn pages_with<'a>(
        &'a self,
        kind: RecordKind,
        size: usize,
        pass: &'a DemandPass,
    ) -> Pages<'a> {
        Pages {
            pass: Some(pass),
            ..self.pages(kind, size)
        }
    }

    /// A demand of any level that `pass` reaches (`None` otherwise, as for a missing id): every
    /// demand for an everything pass; public and registered-only ones for a signed-in member, and
    /// the NDA-only ones whose owner organization the pass names; public ones for nobody.
    pub async fn get_demand(&self, id: i64, pass: &DemandPass) -> Result<Option<Stored>> {
        let Some(s) = self.get_any(RecordKind::Demand, id).await? else {
            return Ok(None);
        };
        Ok(if self.reaches(pass, &s).await? {
            Some(s)
        } else {
            None
        })
    }

    /// Whether `pass` reaches the stored demand `s`.
    async fn reaches(&self, pass: &DemandPass, s: &Stored) -> Result<bool> {
        let Record::Demand(d) = &s.record else {
            return Ok(true);
        };
        Ok(match (pass.scope(), d.confidentiality) {
            (_, Confidentiality::Public) | (DemandScope::Everything, _) => true,
            (DemandScope::Nothing, _) => false,
            (DemandScope::Member { .. }, Confidentiality::Registered) => true,
            (DemandScope::Member { demands, .. }, Confidentiality::Nda)
                if demands.binary_search(&s.id).is_ok() =>
            {
                true
            }
            (DemandScope::Member { orgs, .. }, Confidentiality::Nda) => {
                let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
                let owner = self.find_organization(&d.owner, uscc.as_deref()).await?;
                owner.is_some_and(|o| orgs.binary_search(&o.id).is_ok())
            }
        })
    }
}

impl Pages<'_> {
    /// The next page, or `None` when the walk is over.
    pub async fn next(&mut self) -> Result<Option<Vec<Stored>>> {
        if self.done {
            return Ok(None);
        }
        let confidential = self.pass.is_some();
        let page = self
            .store
            .list_inner(self.kind, self.after, self.size, confidential)
            .await?;
        let Some(last) = page.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = last.id;
        let Some(pass) = self.pass.filter(|p| *p.scope() != DemandScope::Everything) else {
            return Ok(Some(page));
        };
        let mut kept = Vec::with_capacity(page.len());
        for s in page {
            if self.store.reaches(pass, &s).await? {
                kept.push(s);
            }
        }
        Ok(Some(kept))
    }
}
