//! Enterprise evaluation rules as data. The tier schemes (科技型中小企业, 高新技术企业, 创新型中小企业,
//! 专精特新中小企业, 专精特新"小巨人") live in `data/rules/*.toml` with each criterion's source and a
//! confirmed/unconfirmed mark; this crate reads them, checks them as a whole and evaluates enterprise
//! profiles against them.

pub mod evaluate;
pub mod ladder;
pub mod profile;
pub mod scheme;
pub mod validate;

pub use evaluate::{
    band_desc_points, band_points, evaluate, meets, metric_zh, metrics_without_names, tier_for,
    AssessorInputs, CriterionResult, Outcome, SchemeResult,
};
pub use ladder::{evaluate_enterprise, load_ladders, EnterpriseEvaluation, Ladder, NextStep};
pub use profile::{Award, Financials, Flags, Ip, Profile};
pub use scheme::{assessor_keys, load_shipped, parse_scheme, qualification_code, Scheme, SHIPPED};
pub use validate::{validate_scheme, Problem, METRICS};
