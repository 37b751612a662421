//! Passes for reading what is confided to the platform: enterprises' profiles (figures), the
//! assessors' judgments on them, their credit evaluations, and confidential demands (listings,
//! counts and the confidential search). The store answers those reads only for a pass, and only a
//! [`PassIssuer`] makes passes. A store hands out one issuer, once ([`Store::take_issuer`]): the
//! server's access policy takes it when it opens and keeps it private; the command line — an
//! operator's tool on the host — takes it for its own reads. Code that was not given the issuer
//! cannot make a pass, so it cannot read these data: the read does not compile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::Store;

/// Makes passes. Not cloneable; one per opened store.
#[derive(Debug)]
pub struct PassIssuer(());

/// One enterprise's profile and assessor judgments.
#[derive(Debug, Clone)]
pub struct ProfilePass {
    uscc: String,
}

/// Every enterprise's profile and assessor judgments (officials' funnels, the command line).
#[derive(Debug, Clone)]
pub struct EveryProfilePass(());

/// Credit evaluations: one enterprise's or everyone's, with or without their inputs (the figures).
#[derive(Debug, Clone)]
pub struct CreditPass {
    uscc: Option<String>,
    inputs: bool,
}

/// What a reader may touch among confidential demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandPass {
    scope: DemandScope,
}

/// A demand pass's reach, for those who apply it (the listing filter, the confidential index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemandScope {
    /// Nobody signed in: no confidential demand.
    Nothing,
    /// A signed-in user: registered-only demands, the NDA-only demands of `orgs` (the user's own
    /// organization and those that granted it access) and the NDA-only `demands` whose NDA the
    /// user's organization signed; both sorted.
    Member { orgs: Vec<i64>, demands: Vec<i64> },
    /// An administrator, or the platform's own indexing.
    Everything,
}

impl DemandPass {
    pub fn scope(&self) -> &DemandScope {
        &self.scope
    }
}

impl PassIssuer {
    pub fn demands_nothing(&self) -> DemandPass {
        DemandPass {
            scope: DemandScope::Nothing,
        }
    }
    /// Registered-only demands, the NDA-only demands of `orgs` and the NDA-only `demands` signed for.
    pub fn demands_of(
        &self,
        orgs: impl IntoIterator<Item = i64>,
        demands: impl IntoIterator<Item = i64>,
    ) -> DemandPass {
        let sorted = |it: Vec<i64>| {
            let mut v = it;
            v.sort_unstable();
            v.dedup();
            v
        };
        DemandPass {
            scope: DemandScope::Member {
                orgs: sorted(orgs.into_iter().collect()),
                demands: sorted(demands.into_iter().collect()),
            },
        }
    }
    pub fn demands_everything(&self) -> DemandPass {
        DemandPass {
            scope: DemandScope::Everything,
        }
    }
    pub fn profile(&self, uscc: &str) -> ProfilePass {
        ProfilePass {
            uscc: uscc.to_string(),
        }
    }
    pub fn every_profile(&self) -> EveryProfilePass {
        EveryProfilePass(())
    }
    /// `uscc`: one enterprise's evaluations (`None`: everyone's); `inputs`: the figures as well.
    pub fn credit(&self, uscc: Option<&str>, inputs: bool) -> CreditPass {
        CreditPass {
            uscc: uscc.map(str::to_string),
            inputs,
        }
    }
}

impl ProfilePass {
    pub fn uscc(&self) -> &str {
        &self.uscc
    }
}

impl CreditPass {
    /// The one enterprise the pass opens, or `None` for everyone's.
    pub fn uscc(&self) -> Option<&str> {
        self.uscc.as_deref()
    }
    /// Whether the inputs (the enterprise's figures) may be shown.
    pub fn inputs(&self) -> bool {
        self.inputs
    }
    /// Whether the pass opens the evaluations of `uscc`.
    pub fn opens(&self, uscc: &str) -> bool {
        self.uscc.as_deref().is_none_or(|u| u == uscc)
    }
}

/// Whether the issuer was handed out; shared by every clone of a store.
#[derive(Debug, Clone, Default)]
pub(crate) struct IssuerTaken(Arc<AtomicBool>);

impl Store {
    /// The store's pass issuer, the first time it is asked for; `None` after.
    pub fn take_issuer(&self) -> Option<PassIssuer> {
        let taken = self.issuer_taken.0.swap(true, Ordering::SeqCst);
        (!taken).then_some(PassIssuer(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_issuer_is_handed_out_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::Target::Sqlite(dir.path().join("t.db")))
            .await
            .unwrap();
        let copy = store.clone();
        assert!(store.take_issuer().is_some());
        assert!(copy.take_issuer().is_none(), "clones share the one issuer");
        let p = PassIssuer(()).credit(Some("X"), false);
        assert!(p.opens("X") && !p.opens("Y") && !p.inputs());
        assert!(PassIssuer(()).credit(None, true).opens("Y"));
    }
}
