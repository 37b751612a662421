//! The access policy: every role predicate of the platform lives here, and so does every pass.
//!
//! A demand is public, registered-only (any signed-in user) or NDA-only (its owner organization,
//! admins, and users of an organization the owner granted access). Every path that shows a demand —
//! search, match, listings, detail, counts — goes through [`Viewer::visible_demand`] (the only way to
//! make a [`VisibleDemand`]) or [`Policy::demand_pass`] (the store's listings and counts and the
//! confidential index open only what it names); the answer builders take those types, so a path that forgot the check does
//! not compile.
//!
//! An enterprise's profile and assessor judgments are read with a `store::ProfilePass` (every
//! enterprise's with an `EveryProfilePass`), its credit evaluations with a `store::CreditPass`. The
//! store demands them and only the store's one `PassIssuer` makes them; the server's [`Policy`]
//! holds that issuer and makes passes from a viewer's rights, so a handler that skips the policy
//! has no pass and its read does not compile.

use model::{Confidentiality, Demand, Record};
use store::{CreditPass, DemandPass, EveryProfilePass, PassIssuer, ProfilePass, Store, Stored};

/// A deliberately weakened rule — NDA-only demands open to every signed-in user — compiled only
/// for the mutation check (`scripts/mutation-check`, run by CI): the property tests must fail on it.
const OPEN_NDA_MUTANT: bool = cfg!(feature = "mutant-open-nda");

/// The roles of the platform.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Enterprise,
    Institution,
    PlatformOperator,
    Government,
    Financier,
    Broker,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Enterprise,
        Role::Institution,
        Role::PlatformOperator,
        Role::Government,
        Role::Financier,
        Role::Broker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Enterprise => "enterprise",
            Role::Institution => "institution",
            Role::PlatformOperator => "platform_operator",
            Role::Government => "government",
            Role::Financier => "financier",
            Role::Broker => "broker",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A signed-in user as the request sees them.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    /// Organizations that granted this user's organization access to their NDA-only demands.
    pub granted_by: Vec<i64>,
    /// NDA-only demands whose NDA this user's organization signed (not revoked), sorted.
    pub nda_demands: Vec<i64>,
    /// SHA-256 of the session token (for logout).
    pub token_hash: String,
    /// The session came from the cookie (so unsafe methods need the CSRF header).
    pub via_cookie: bool,
}

/// The asker of a request: anonymous, or a signed-in user.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// Private: made only from a live session (`auth`), read through [`Viewer::user`].
    user: Option<SessionUser>,
}

/// A demand the viewer may see, with its owner organization's id when registered.
#[derive(Debug, Clone)]
pub struct VisibleDemand {
    stored: Stored,
    owner_org: Option<i64>,
}

impl VisibleDemand {
    pub fn id(&self) -> i64 {
        self.stored.id
    }
    pub fn stored(&self) -> &Stored {
        &self.stored
    }
    pub fn demand(&self) -> &Demand {
        match &self.stored.record {
            Record::Demand(d) => d,
            _ => unreachable!("only demands are made visible demands"),
        }
    }
    /// The owner organization's id, when it was looked up (NDA demands seen by a non-admin).
    pub fn owner_org(&self) -> Option<i64> {
        self.owner_org
    }
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer::default()
    }

    /// The viewer of a live session (sign-in resolves the token first).
    pub(crate) fn signed_in(user: SessionUser) -> Viewer {
        Viewer { user: Some(user) }
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&SessionUser> {
        self.user.as_ref()
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }

    /// Admins, platform operators and government users: who reads every enterprise's profile and
    /// the tier funnel.
    pub fn is_official(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            matches!(
                u.role,
                Role::Admin | Role::PlatformOperator | Role::Government
            )
        })
    }

    /// Admins and platform operators: they manage accounts, correct chain assignments, settle
    /// ownership claims and register records for others.
    pub fn is_operator(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| matches!(u.role, Role::Admin | Role::PlatformOperator))
    }

    /// Bank and fund users: they read every enterprise's credit results, never the inputs.
    pub fn is_financier(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::Financier)
    }

    /// Who registers research outcomes: institutions, enterprises, operators and admins.
    pub fn may_register_outcomes(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            matches!(
                u.role,
                Role::Admin | Role::Institution | Role::PlatformOperator | Role::Enterprise
            )
        })
    }

    /// The rule itself, on the facts: the demand, its level and its owner organization.
    pub fn may_see(&self, id: i64, level: Confidentiality, owner_org: Option<i64>) -> bool {
        match level {
            Confidentiality::Public => true,
            Confidentiality::Registered => self.user.is_some(),
            Confidentiality::Nda => match &self.user {
                None => false,
                Some(u) if u.role == Role::Admin || OPEN_NDA_MUTANT => true,
                Some(u) => {
                    u.nda_demands.binary_search(&id).is_ok()
                        || owner_org.is_some_and(|owner| {
                            u.organization_id == Some(owner) || u.granted_by.contains(&owner)
                        })
                }
            },
        }
    }

    /// The stored demand as a [`VisibleDemand`] when the viewer may see it, `None` otherwise (callers
    /// answer "not found" either way, so a hidden demand's existence is not revealed).
    pub async fn visible_demand(
        &self,
        store: &Store,
        stored: Stored,
    ) -> store::Result<Option<VisibleDemand>> {
        let Record::Demand(d) = &stored.record else {
            return Ok(None);
        };
        // The owner matters only for an NDA demand seen by a non-admin user; spare the lookup otherwise.
        let needs_owner = d.confidentiality == Confidentiality::Nda
            && self.user.as_ref().is_some_and(|u| u.role != Role::Admin);
        let owner_org = if needs_owner {
            owner_org(store, d).await?
        } else {
            None
        };
        Ok(self
            .may_see(stored.id, d.confidentiality, owner_org)
            .then_some(VisibleDemand { stored, owner_org }))
    }

    /// [`Viewer::visible_demand`] for a page of stored demands, with one store query for all the
    /// owners it needs (a page costs the same whatever it holds).
    pub async fn visible_demands(
        &self,
        store: &Store,
        rows: Vec<Stored>,
    ) -> store::Result<Vec<VisibleDemand>> {
        let non_admin = self.user.as_ref().is_some_and(|u| u.role != Role::Admin);
        let mut pairs = vec![];
        for s in &rows {
            if let Record::Demand(d) = &s.record {
                if non_admin && d.confidentiality == Confidentiality::Nda {
                    pairs.push((
                        d.owner.clone(),
                        d.owner_uscc.as_ref().map(|u| u.to_string()),
                    ));
                }
            }
        }
        let mut owners = store.find_organization_ids(&pairs).await?.into_iter();
        let mut out = vec![];
        for stored in rows {
            let Record::Demand(d) = &stored.record else {
                continue;
            };
            let owner_org = if non_admin && d.confidentiality == Confidentiality::Nda {
                owners.next().flatten()
            } else {
                None
            };
            if self.may_see(stored.id, d.confidentiality, owner_org) {
                out.push(VisibleDemand { stored, owner_org });
            }
        }
        Ok(out)
    }

    /// Looks a demand up by id with the viewer's pass (`Policy::demand_pass`) and checks it.
    pub async fn demand(
        &self,
        store: &Store,
        pass: &DemandPass,
        id: i64,
    ) -> store::Result<Option<VisibleDemand>> {
        match store.get_demand(id, pass).await? {
            Some(s) => self.visible_demand(store, s).await,
            None => Ok(None),
        }
    }
}

/// The registered organization that owns a demand (by USCC first, then exact name).
pub async fn owner_org(store: &Store, d: &Demand) -> store::Result<Option<i64>> {
    let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
    Ok(store
        .find_organization(&d.owner, uscc.as_deref())
        .await?
        .map(|s| s.id))
}

/// The policy's hold on the store's pass issuer: the one place that turns a viewer's rights into
/// the passes the store demands for enterprises' profiles, judgments and credit evaluations.
pub struct Policy {
    issuer: PassIssuer,
    store: Store,
}

impl Policy {
    /// Takes the store's issuer; fails when something took it before the server opened.
    pub fn new(store: &Store) -> Option<Policy> {
        Some(Policy {
            issuer: store.take_issuer()?,
            store: store.clone(),
        })
    }

    /// Whether `viewer` may read (and write) the profile of `uscc`: officials always; an
    /// enterprise's own users for their organization; nobody else.
    async fn may_read_profile(&self, viewer: &Viewer, uscc: &str) -> store::Result<bool> {
        let Some(u) = viewer.user() else {
            return Ok(false);
        };
        if viewer.is_official() {
            return Ok(true);
        }
        let Some(own) = u.organization_id else {
            return Ok(false);
        };
        let org = self.store.find_organization("", Some(uscc)).await?;
        Ok(org.is_some_and(|s| {
            s.id == own
                && matches!(&s.record, Record::Organization(o)
                    if o.uscc.as_ref().is_some_and(|x| x.as_str() == uscc))
        }))
    }

    /// A pass to the profile and assessor judgments of `uscc`, when the viewer may read them.
    pub async fn profile_pass(
        &self,
        viewer: &Viewer,
        uscc: &str,
    ) -> store::Result<Option<ProfilePass>> {
        Ok(self
            .may_read_profile(viewer, uscc)
            .await?
            .then(|| self.issuer.profile(uscc)))
    }

    /// What `viewer` may touch among confidential demands — in listings, counts and the
    /// confidential search: nothing when anonymous, everything for an admin, otherwise
    /// registered-only demands and the NDA-only demands of the viewer's own organization and of
    /// those that granted it access (the same rule as [`Viewer::may_see`]).
    pub fn demand_pass(&self, viewer: &Viewer) -> DemandPass {
        match viewer.user() {
            None => self.issuer.demands_nothing(),
            Some(u) if u.role == Role::Admin || OPEN_NDA_MUTANT => self.issuer.demands_everything(),
            Some(u) => self.issuer.demands_of(
                u.organization_id
                    .into_iter()
                    .chain(u.granted_by.iter().copied()),
                u.nda_demands.iter().copied(),
            ),
        }
    }

    /// [`Policy::demand_pass`] with the NDA-only demands the viewer's organization signed for read
    /// again from the store (right after a signature, before the session is read anew).
    pub async fn fresh_demand_pass(&self, viewer: &Viewer) -> store::Result<DemandPass> {
        match viewer.user() {
            Some(u) if u.role != Role::Admin && !OPEN_NDA_MUTANT => {
                let signed = match u.organization_id {
                    Some(o) => self.store.nda_demands_of(o).await?,
                    None => vec![],
                };
                Ok(self.issuer.demands_of(
                    u.organization_id
                        .into_iter()
                        .chain(u.granted_by.iter().copied()),
                    signed,
                ))
            }
            _ => Ok(self.demand_pass(viewer)),
        }
    }

    /// The platform's own pass to every demand, for what it does for everyone: the confidential
    /// index, chain assignment and need counts (each narrows to what a viewer may see before
    /// showing anything).
    pub fn platform_demand_pass(&self) -> DemandPass {
        self.issuer.demands_everything()
    }

    /// A pass for scoring the stored profile of `uscc` and storing the evaluation: whoever holds a
    /// credit pass to it (financiers included). The figures are read to compute the score, never
    /// shown: the answer holds the score only.
    pub async fn scoring_pass(
        &self,
        viewer: &Viewer,
        uscc: &str,
    ) -> store::Result<Option<ProfilePass>> {
        Ok(self
            .credit_pass(viewer, uscc)
            .await?
            .map(|_| self.issuer.profile(uscc)))
    }

    /// A pass to every profile: officials (the funnel, the what-if list).
    pub fn every_profile_pass(&self, viewer: &Viewer) -> Option<EveryProfilePass> {
        viewer.is_official().then(|| self.issuer.every_profile())
    }

    /// A pass to the credit results of `uscc`: financiers, and whoever may read its profile (who
    /// also sees the inputs).
    pub async fn credit_pass(
        &self,
        viewer: &Viewer,
        uscc: &str,
    ) -> store::Result<Option<CreditPass>> {
        let inputs = self.may_read_profile(viewer, uscc).await?;
        Ok((inputs || viewer.is_financier()).then(|| self.issuer.credit(Some(uscc), inputs)))
    }

    /// A pass to every enterprise's credit results: officials (with inputs) and financiers.
    pub fn credit_list_pass(&self, viewer: &Viewer) -> Option<CreditPass> {
        (viewer.is_official() || viewer.is_financier())
            .then(|| self.issuer.credit(None, viewer.is_official()))
    }
}
