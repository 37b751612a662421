//! Search: the lexical index (tantivy postings, our BM25), filters, and the evaluation harness that
//! measures every ranking change; the vector index (HNSW with filters during the walk); fusion of the two.

pub mod concepts;
pub mod eval;
pub mod feedback;
pub mod fusion;
pub mod item;
pub mod lexical;
pub mod matching;
pub mod retrieve;
pub mod signals;
pub mod strength;
pub mod vector;

pub use fusion::{fuse, Fused, FusionMethod, FusionParams, Lists};
pub use item::SearchItem;
pub use lexical::{Bm25Params, Filters, Hit, LexicalIndex, LexicalWriter};
pub use matching::{Match, MatchContext, Profile, RankingConfig, Signal, SignalWeights};
pub use retrieve::{QueryVectors, Retrieved, Retriever};
pub use strength::{Strength, StrengthRules};
pub use vector::{HnswParams, ItemMeta, VectorHit, VectorIndex};
