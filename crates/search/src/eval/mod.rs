//! The evaluation harness's parts: benchmark loading and ranking metrics.

pub mod beir;
pub mod metrics;
