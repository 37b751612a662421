//! Knowledge-value credit (知识价值信用贷款): the scorecard as data (`data/credit/scorecard.toml`),
//! scoring an enterprise profile into a grade and credit line with reason codes, fitting a WoE
//! logistic scorecard from loan outcomes, SYNTHETIC loans from a known model to test that fitting,
//! and simulating risk sharing between the risk fund and the bank. See `docs/credit.md`.
//!
//! The grade credit lines are the confirmed Chongqing defaults; weights, bands and cut-offs are a
//! Shuanglian draft because the official ones are unpublished.

pub mod card;
pub mod fit;
pub mod metrics;
pub mod rng;
pub mod score;
pub mod simulate;
pub mod synthetic;

pub use card::{
    fingerprint, load_card, parse_card, shipped, validate_card, Card, CardError, CardProblem,
    SHIPPED_CARD,
};
pub use fit::{
    fit, holdout_split, read_labelled_csv, write_labelled_csv, CsvError, FeatureFit, FitError,
    FitOptions, FitReport, LabelledRow,
};
pub use metrics::{auc, ks};
pub use score::{score, stage_of, CreditScore, FactorResult, Reason};
pub use simulate::{
    draft_grade_pd, parse_loan_book_csv, read_loan_book_csv, run_book, simulate, Breaker, Defaults,
    Loan, RunResult, SimError, SimOptions, SimReport,
};
pub use synthetic::{synthetic_loans, true_logit, true_pd, TRUE_INTERCEPT, TRUE_TERMS};
