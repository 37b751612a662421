//! The engines over the store, shared by the command line and the server: the derived indexes (lexical
//! and vector) rebuilt from the store and kept current from its outbox, and matching in both directions
//! (a need finds what can solve it; an outcome finds who could adopt it) with explained results.
//!
//! Retrieval and ranking arithmetic live in `search`; this crate adds what needs the store: the
//! candidates' profiles, owners, regions and the confidentiality checks on stored records.

pub mod accounts;
pub mod chains;
pub mod challenges;
pub mod confidential;
pub mod cpu;
pub mod credit;
pub mod embedder;
pub mod engagements;
pub mod error;
pub mod import;
pub mod indexing;
pub mod matching;
pub mod pilot;
pub mod registry_search;
pub mod tiers;
pub mod whatif;

pub use confidential::{ConfidentialHit, ConfidentialIndex, DemandPass};
pub use embedder::{Embedder, HashingEmbedder};
pub use error::EngineError;
pub use indexing::{lexical_dir, vector_path, Resolver, Synced, PASSAGE_KEY, SYNC_EMBED_BUDGET};
pub use matching::{Answer, Engines, Mode};

pub type Result<T> = std::result::Result<T, EngineError>;
