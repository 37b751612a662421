//! The industrial-chain map: the 33618 cluster taxonomy as validated data, assignment of records to
//! chain links, gap analysis per link and region, and the ranking of what could fill a gap.
//!
//! No IO beyond reading taxonomy files: the engine crate feeds records in and stores the results.

pub mod assign;
pub mod fillers;
pub mod gaps;
pub mod taxonomy;
pub mod validate;

pub use assign::{AssignConfig, Assigner, Assignment, Evidence, Method, Subject};
pub use fillers::{rank, Filler, FillerKind, Fillers, Locality};
pub use gaps::{
    cluster_gaps, node_gap, ClusterGaps, Counts, GapConfig, GapStatus, Member, MemberKind, NodeGap,
    Reason,
};
pub use taxonomy::{
    Chain, Cluster, Membership, Node, Provenance, Stage, Status, Supply, Taxonomy, TaxonomyError,
    Tier,
};
pub use validate::Problem;
