//! The evaluation harness: benchmark loading, ranking metrics, and evaluation runs.

pub mod beir;
pub mod metrics;
pub mod run;
