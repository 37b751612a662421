//! Search: lexical and (later) vector indexes, fusion, filters, explanations, and the evaluation harness
//! that measures every ranking change.

pub mod eval;
