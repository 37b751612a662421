//! Integration tests of the credit crate: one binary, one module per concern.

mod card;
mod fit;
mod metrics;
mod score;
mod simulate;
