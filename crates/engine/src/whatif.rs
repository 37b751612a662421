//! The what-if: change last year's figures of one enterprise and see every scheme's result and
//! the credit grade before and after, with nothing saved. The tier page's use case; its inputs
//! are parsed by the caller (which knows the form's field names).

use chrono::{Datelike, NaiveDate};
use credit::{Card, CreditScore};
use rules::{EnterpriseEvaluation, Financials, Profile};
use store::{ProfilePass, Store};

use crate::tiers::Rulebook;
use crate::Result;

/// Figures to try for last year; `None` keeps the stored value. Money in yuan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub revenue: Option<f64>,
    pub rd_expense: Option<f64>,
    pub high_tech_revenue: Option<f64>,
    pub net_profit: Option<f64>,
    pub employees: Option<u32>,
    pub st_staff: Option<u32>,
    pub rd_staff: Option<u32>,
    pub ip_class1: Option<u32>,
    pub ip_class2: Option<u32>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// The profile with `changes` applied to `last_year`, or the profile check's first problem.
pub fn apply(
    p: &Profile,
    changes: &Changes,
    last_year: i32,
) -> std::result::Result<Profile, String> {
    let mut out = p.clone();
    let money = [
        changes.revenue,
        changes.rd_expense,
        changes.high_tech_revenue,
        changes.net_profit,
    ];
    if money.iter().any(Option::is_some) {
        let idx = match out.financials.iter().position(|f| f.year == last_year) {
            Some(i) => i,
            None => {
                out.financials.push(Financials {
                    year: last_year,
                    ..Default::default()
                });
                out.financials.len() - 1
            }
        };
        let fy = &mut out.financials[idx];
        if let Some(v) = changes.revenue {
            fy.revenue = Some(v);
        }
        if let Some(v) = changes.rd_expense {
            // Domestic R&D follows total R&D in the same proportion as stored.
            let share = match (fy.rd_expense, fy.rd_expense_domestic) {
                (Some(t), Some(d)) if t > 0.0 => d / t,
                _ => 1.0,
            };
            fy.rd_expense = Some(v);
            fy.rd_expense_domestic = Some(v * share);
        }
        if let Some(v) = changes.high_tech_revenue {
            fy.high_tech_revenue = Some(v);
        }
        if let Some(v) = changes.net_profit {
            fy.net_profit = Some(v);
        }
    }
    for (given, slot) in [
        (changes.employees, &mut out.employees),
        (changes.st_staff, &mut out.st_staff),
        (changes.rd_staff, &mut out.rd_staff),
        (changes.ip_class1, &mut out.ip.class1),
        (changes.ip_class2, &mut out.ip.class2),
    ] {
        if given.is_some() {
            *slot = given;
        }
    }
    match out.check().first() {
        Some(problem) => Err(problem.clone()),
        None => Ok(out),
    }
}

/// Both sides of a what-if.
pub struct Comparison {
    /// The profile as stored.
    pub stored: Profile,
    /// The profile as tried (the stored one when the changes were refused).
    pub tried: Profile,
    /// Why the changes were refused, if they were.
    pub refused: Option<String>,
    pub before: EnterpriseEvaluation,
    pub after: EnterpriseEvaluation,
    /// The credit scores, when the card scores this profile.
    pub credit: Option<(CreditScore, CreditScore)>,
}

/// Evaluates the stored profile the pass opens and the tried one on `as_of` with the enterprise's
/// stored assessor judgments (they apply to both sides). `None` when no profile is stored.
pub async fn compare(
    store: &Store,
    pass: &ProfilePass,
    book: &Rulebook,
    card: &Card,
    changes: &Changes,
    as_of: NaiveDate,
) -> Result<Option<Comparison>> {
    let Some(profile) = crate::tiers::profile(store, pass).await? else {
        return Ok(None);
    };
    let profile = &profile;
    let (tried, refused) = match apply(profile, changes, as_of.year() - 1) {
        Ok(p) => (p, None),
        Err(e) => (profile.clone(), Some(e)),
    };
    let assessed = crate::tiers::assessor_inputs(store, pass).await?;
    let before = book.evaluate(profile, &[], as_of, &assessed)?;
    let after = book.evaluate(&tried, &[], as_of, &assessed)?;
    let credit = match (
        crate::credit::score(book, card, profile, as_of, &assessed),
        crate::credit::score(book, card, &tried, as_of, &assessed),
    ) {
        (Ok((b, _)), Ok((a, _))) => Some((b, a)),
        _ => None,
    };
    Ok(Some(Comparison {
        stored: profile.clone(),
        tried,
        refused,
        before,
        after,
        credit,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rd_expense_keeps_the_domestic_share() {
        let mut p = Profile {
            uscc: "X".into(),
            ..Default::default()
        };
        p.financials.push(Financials {
            year: 2025,
            rd_expense: Some(100.0),
            rd_expense_domestic: Some(80.0),
            ..Default::default()
        });
        let changes = Changes {
            rd_expense: Some(200.0),
            employees: Some(12),
            ..Default::default()
        };
        let out = apply(&p, &changes, 2025).expect("valid");
        assert_eq!(out.financials[0].rd_expense_domestic, Some(160.0));
        assert_eq!(out.employees, Some(12));
        // A year with no figures gets a row.
        let out = apply(
            &p,
            &Changes {
                revenue: Some(5.0),
                ..Default::default()
            },
            2024,
        )
        .unwrap();
        assert_eq!(out.financials.len(), 2);
        assert!(Changes::default().is_empty() && !changes.is_empty());
    }
}
