//! Search: the lexical index (tantivy postings, our BM25), filters, and the evaluation harness that
//! measures every ranking change. Vector search and fusion come next.

pub mod eval;
pub mod item;
pub mod lexical;

pub use item::SearchItem;
pub use lexical::{Bm25Params, Filters, Hit, LexicalIndex, LexicalWriter};
