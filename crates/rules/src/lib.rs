//! Enterprise evaluation rules as data. The tier schemes (科技型中小企业, 高新技术企业, 创新型中小企业,
//! 专精特新中小企业, 专精特新"小巨人") live in `data/rules/*.toml` with each criterion's source and a
//! confirmed/unconfirmed mark; this crate reads them and checks them as a whole. Evaluation of an
//! enterprise profile against them is the next step (issue 8).

pub mod evaluate;
pub mod profile;
pub mod scheme;
pub mod validate;

pub use evaluate::{evaluate, AssessorInputs, CriterionResult, Outcome, SchemeResult};
pub use profile::{Award, Financials, Flags, Ip, Profile};
pub use scheme::{load_shipped, parse_scheme, Scheme, SHIPPED};
pub use validate::{validate_scheme, Problem, METRICS};
