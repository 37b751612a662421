//! The server's test binary: API contract tests and the confidentiality property tests. Each test
//! runs on SQLite, and on PostgreSQL as well when `SHUANGLIAN_TEST_DATABASE_URL` is set (CI sets it).

#[path = "api/support.rs"]
mod support;

#[path = "api/contract.rs"]
mod contract;

#[path = "api/chains.rs"]
mod chains;

#[path = "api/tiers.rs"]
mod tiers;

#[path = "api/confidentiality.rs"]
mod confidentiality;

#[path = "api/defects.rs"]
mod defects;

#[path = "api/bounded.rs"]
mod bounded;

#[path = "api/accounts.rs"]
mod accounts;

#[path = "api/escaping.rs"]
mod escaping;

#[path = "api/dense.rs"]
mod dense;

#[path = "api/pages.rs"]
mod pages;

#[path = "api/engagements.rs"]
mod engagements;

#[path = "api/notices.rs"]
mod notices;

#[path = "api/matrix.rs"]
mod matrix;

#[path = "api/nda.rs"]
mod nda;

#[path = "api/engagement_rules.rs"]
mod engagement_rules;

#[path = "api/challenges.rs"]
mod challenges;

#[path = "api/challenge_matrix.rs"]
mod challenge_matrix;

#[path = "api/challenge_secrets.rs"]
mod challenge_secrets;

#[path = "api/challenge_forms.rs"]
mod challenge_forms;

#[path = "api/platforms.rs"]
mod platforms;

#[path = "api/conversion.rs"]
mod conversion;

#[path = "api/verdicts.rs"]
mod verdicts;
