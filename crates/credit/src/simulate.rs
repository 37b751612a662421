//! Risk sharing on a loan book: on a default the risk fund pays `fund_share` (80%, policy-rules.md
//! §4a) of the principal and the bank bears the rest plus the interest it will not receive. An
//! optional circuit breaker (熔断; the official threshold is unpublished, so it is off by default)
//! stops fund compensation, and optionally new lending, once tripped. Money is integer fen.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::fit::{csv_error, open_csv, open_csv_text, record_error, CsvError};
use crate::rng::stream;

/// One loan: interest monthly, principal at maturity (the 1-year credit-loan shape, §4a).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loan {
    pub id: String,
    pub principal_fen: i64,
    pub annual_rate: f64,
    pub term_months: u32,
    /// Month the loan is made (0 = the book's start).
    pub start_month: u32,
    pub grade: Option<String>,
    /// Annual probability of default; overrides the grade's.
    pub pd: Option<f64>,
    /// Given outcome: the loan's month (1..=term) in which it defaulted; that month's interest and
    /// all later interest are lost.
    pub default_month: Option<u32>,
}

/// The circuit breaker. Checked after each default (in time order) is settled.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breaker {
    /// Trip when the fund's cumulative compensation reaches this share of the fund size; the
    /// default that crosses it is paid only up to the cap.
    pub payout_cap: Option<f64>,
    /// Trip when defaulted principal exceeds this share of the principal lent so far.
    pub default_ratio_cap: Option<f64>,
    /// Once tripped, loans starting after the trip month are not made.
    pub stop_new_lending: bool,
}

/// Where defaults come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Defaults {
    /// Each loan's `default_month`.
    Given,
    /// Monte Carlo: each loan defaults with its term probability, in a uniform month of its term.
    Drawn { runs: usize, seed: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimOptions {
    pub fund_share: f64,
    pub fund_size_fen: Option<i64>,
    pub breaker: Breaker,
    pub defaults: Defaults,
    /// Annual PD by grade, used when a loan has no `pd`.
    pub grade_pd: BTreeMap<String, f64>,
    /// Give up with [`SimError::OverBudget`] when drawn runs are still going at this instant (a
    /// server bounds the time one request may take; the command line leaves it `None`).
    #[serde(skip)]
    pub deadline: Option<std::time::Instant>,
}

/// Illustrative annual PDs by grade: a Shuanglian draft, not from any source.
pub fn draft_grade_pd() -> BTreeMap<String, f64> {
    [
        ("A", 0.01),
        ("B", 0.015),
        ("C", 0.025),
        ("D", 0.04),
        ("E", 0.06),
    ]
    .into_iter()
    .map(|(g, p)| (g.to_string(), p))
    .collect()
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            fund_share: 0.8,
            fund_size_fen: None,
            breaker: Breaker::default(),
            defaults: Defaults::Given,
            grade_pd: draft_grade_pd(),
            deadline: None,
        }
    }
}

/// One settled default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultOutcome {
    pub loan_id: String,
    /// Book month of the default (start_month + default month).
    pub month: u32,
    pub principal_fen: i64,
    pub fund_fen: i64,
    pub bank_principal_fen: i64,
    pub interest_lost_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trip {
    pub loan_id: String,
    pub month: u32,
    /// `payout_cap` or `default_ratio_cap`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub defaults: usize,
    pub defaulted_principal_fen: i64,
    pub fund_loss_fen: i64,
    pub bank_loss_fen: i64,
    pub bank_interest_loss_fen: i64,
    /// What the fund would have paid but for the breaker (borne by the bank).
    pub uncompensated_fen: i64,
    pub trip: Option<Trip>,
    pub loans_not_made: usize,
    pub outcomes: Vec<DefaultOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneySummary {
    pub mean_fen: i64,
    pub median_fen: i64,
    pub p95_fen: i64,
    pub max_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountSummary {
    pub mean: f64,
    pub median: i64,
    pub p95: i64,
    pub max: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    pub options: SimOptions,
    pub runs: usize,
    pub loans: usize,
    pub book_principal_fen: i64,
    pub fund_loss: MoneySummary,
    pub bank_loss: MoneySummary,
    pub defaults: CountSummary,
    pub tripped_runs: usize,
    /// Median book month of the trip among runs that tripped.
    pub trip_month_median: Option<i64>,
    /// The given run, or the first drawn run, with its per-default outcomes.
    pub first_run: RunResult,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("loan {loan}: {message} (fix: {fix})")]
    Loan {
        loan: String,
        message: String,
        fix: String,
    },
    #[error("option {0} (fix: {1})")]
    Options(String, String),
    #[error("the simulation ran past its time budget after {done} of {runs} runs (fix: fewer runs or loans, or the command line `shuanglian credit simulate`, which has no budget)")]
    OverBudget { done: usize, runs: usize },
}

fn loan_err(l: &Loan, message: impl Into<String>, fix: impl Into<String>) -> SimError {
    SimError::Loan {
        loan: l.id.clone(),
        message: message.into(),
        fix: fix.into(),
    }
}

fn check(book: &[Loan], opts: &SimOptions) -> Result<(), SimError> {
    let opt = |a: &str, b: &str| Err(SimError::Options(a.into(), b.into()));
    if !(0.0..=1.0).contains(&opts.fund_share) {
        return opt("fund_share", "a share from 0 to 1, e.g. 0.8");
    }
    if let Some(c) = opts.breaker.payout_cap {
        if !(c > 0.0 && c.is_finite()) {
            return opt(
                "breaker.payout_cap",
                "a positive share of the fund size, e.g. 0.5",
            );
        }
        if opts.fund_size_fen.is_none_or(|f| f <= 0) {
            return opt(
                "fund_size_fen",
                "give the fund size when a payout cap is set",
            );
        }
    }
    if let Some(c) = opts.breaker.default_ratio_cap {
        if !(c > 0.0 && c.is_finite()) {
            return opt("breaker.default_ratio_cap", "a positive share, e.g. 0.05");
        }
    }
    if let Defaults::Drawn { runs: 0, .. } = opts.defaults {
        return opt("runs", "at least 1");
    }
    for l in book {
        if l.principal_fen <= 0 {
            return Err(loan_err(
                l,
                "principal is not positive",
                "the amount lent, in yuan",
            ));
        }
        if l.term_months == 0 {
            return Err(loan_err(
                l,
                "term_months is 0",
                "the term in months, e.g. 12",
            ));
        }
        if !(0.0..=1.0).contains(&l.annual_rate) {
            return Err(loan_err(
                l,
                format!("annual_rate {}", l.annual_rate),
                "a fraction, e.g. 0.0435 for 4.35%",
            ));
        }
        if let Some(m) = l.default_month {
            if m == 0 || m > l.term_months {
                return Err(loan_err(
                    l,
                    format!("default_month {m} is outside 1..={}", l.term_months),
                    "a month of the loan's term, or empty",
                ));
            }
        }
        if matches!(opts.defaults, Defaults::Drawn { .. }) {
            pd_of(l, opts)?;
        }
    }
    Ok(())
}

fn pd_of(l: &Loan, opts: &SimOptions) -> Result<f64, SimError> {
    let pd = match (&l.pd, &l.grade) {
        (Some(p), _) => *p,
        (None, Some(g)) => *opts.grade_pd.get(g).ok_or_else(|| {
            loan_err(
                l,
                format!("grade '{g}' has no PD"),
                "use a grade in grade_pd (A–E) or give pd",
            )
        })?,
        (None, None) => {
            return Err(loan_err(
                l,
                "neither pd nor grade",
                "give an annual pd or a grade",
            ))
        }
    };
    if !(0.0..=1.0).contains(&pd) {
        return Err(loan_err(
            l,
            format!("pd {pd}"),
            "an annual probability from 0 to 1",
        ));
    }
    Ok(pd)
}

fn round_fen(x: f64) -> i64 {
    x.round() as i64
}

/// Settles one run of the book. `default_month[i]` is loan i's default month (None: repaid).
pub fn run_book(book: &[Loan], default_month: &[Option<u32>], opts: &SimOptions) -> RunResult {
    assert_eq!(book.len(), default_month.len(), "one outcome per loan");
    let mut events: Vec<(u32, usize, u32)> = book
        .iter()
        .zip(default_month)
        .enumerate()
        .filter_map(|(i, (l, m))| m.map(|m| (l.start_month + m, i, m)))
        .collect();
    events.sort();
    let cap = opts
        .breaker
        .payout_cap
        .zip(opts.fund_size_fen)
        .map(|(c, f)| round_fen(c * f as f64));
    let mut r = RunResult {
        defaults: 0,
        defaulted_principal_fen: 0,
        fund_loss_fen: 0,
        bank_loss_fen: 0,
        bank_interest_loss_fen: 0,
        uncompensated_fen: 0,
        trip: None,
        loans_not_made: 0,
        outcomes: vec![],
    };
    let made = |l: &Loan, trip: &Option<Trip>| {
        !(opts.breaker.stop_new_lending && trip.as_ref().is_some_and(|t| l.start_month > t.month))
    };
    for (month, i, m) in events {
        let l = &book[i];
        if !made(l, &r.trip) {
            continue;
        }
        let p = l.principal_fen;
        let interest =
            round_fen(p as f64 * l.annual_rate / 12.0 * f64::from(l.term_months - m + 1));
        let due = round_fen(p as f64 * opts.fund_share);
        let fund = match (&r.trip, cap) {
            (Some(_), _) => 0,
            (None, Some(c)) => due.min(c - r.fund_loss_fen).max(0),
            (None, None) => due,
        };
        r.uncompensated_fen += due - fund;
        r.defaults += 1;
        r.defaulted_principal_fen += p;
        r.fund_loss_fen += fund;
        r.bank_loss_fen += p - fund + interest;
        r.bank_interest_loss_fen += interest;
        r.outcomes.push(DefaultOutcome {
            loan_id: l.id.clone(),
            month,
            principal_fen: p,
            fund_fen: fund,
            bank_principal_fen: p - fund,
            interest_lost_fen: interest,
        });
        if r.trip.is_none() {
            let lent: i64 = book
                .iter()
                .filter(|l| l.start_month <= month)
                .map(|l| l.principal_fen)
                .sum();
            let reason = if cap.is_some_and(|c| r.fund_loss_fen >= c) {
                Some("payout_cap")
            } else if opts
                .breaker
                .default_ratio_cap
                .is_some_and(|y| r.defaulted_principal_fen as f64 > y * lent as f64)
            {
                Some("default_ratio_cap")
            } else {
                None
            };
            r.trip = reason.map(|reason| Trip {
                loan_id: l.id.clone(),
                month,
                reason: reason.into(),
            });
        }
    }
    r.loans_not_made = book.iter().filter(|l| !made(l, &r.trip)).count();
    r
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[i64], p: f64) -> i64 {
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

fn money(mut v: Vec<i64>) -> MoneySummary {
    v.sort();
    let sum: i128 = v.iter().map(|&x| i128::from(x)).sum();
    MoneySummary {
        mean_fen: (sum as f64 / v.len() as f64).round() as i64,
        median_fen: pct(&v, 0.5),
        p95_fen: pct(&v, 0.95),
        max_fen: *v.last().unwrap_or(&0),
    }
}

/// Simulates the book: once with the given defaults, or `runs` seeded Monte Carlo draws.
pub fn simulate(book: &[Loan], opts: &SimOptions) -> Result<SimReport, SimError> {
    check(book, opts)?;
    let runs: Vec<RunResult> = match opts.defaults {
        Defaults::Given => {
            let given: Vec<Option<u32>> = book.iter().map(|l| l.default_month).collect();
            vec![run_book(book, &given, opts)]
        }
        Defaults::Drawn { runs, seed } => {
            let pds: Vec<f64> = book
                .iter()
                .map(|l| {
                    let annual = pd_of(l, opts)?;
                    Ok(1.0 - (1.0 - annual).powf(f64::from(l.term_months) / 12.0))
                })
                .collect::<Result<_, SimError>>()?;
            (0..runs as u64)
                .map(|k| {
                    if opts.deadline.is_some_and(|d| std::time::Instant::now() > d) {
                        return Err(SimError::OverBudget {
                            done: k as usize,
                            runs,
                        });
                    }
                    let mut rng = stream(seed, k);
                    let months: Vec<Option<u32>> = book
                        .iter()
                        .zip(&pds)
                        .map(|(l, &pd)| {
                            // Two draws per loan always, so a loan's draws do not depend on others'.
                            let hit = rng.uniform() < pd;
                            let m = rng.below(u64::from(l.term_months)) as u32 + 1;
                            hit.then_some(m)
                        })
                        .collect();
                    let mut r = run_book(book, &months, opts);
                    if k > 0 {
                        r.outcomes.clear();
                    }
                    Ok(r)
                })
                .collect::<Result<_, SimError>>()?
        }
    };
    let mut counts: Vec<i64> = runs.iter().map(|r| r.defaults as i64).collect();
    counts.sort();
    let mut trips: Vec<i64> = runs
        .iter()
        .filter_map(|r| r.trip.as_ref().map(|t| i64::from(t.month)))
        .collect();
    trips.sort();
    Ok(SimReport {
        options: opts.clone(),
        runs: runs.len(),
        loans: book.len(),
        book_principal_fen: book.iter().map(|l| l.principal_fen).sum(),
        fund_loss: money(runs.iter().map(|r| r.fund_loss_fen).collect()),
        bank_loss: money(runs.iter().map(|r| r.bank_loss_fen).collect()),
        defaults: CountSummary {
            mean: counts.iter().sum::<i64>() as f64 / counts.len() as f64,
            median: pct(&counts, 0.5),
            p95: pct(&counts, 0.95),
            max: *counts.last().unwrap_or(&0),
        },
        tripped_runs: trips.len(),
        trip_month_median: (!trips.is_empty()).then(|| pct(&trips, 0.5)),
        first_run: runs.into_iter().next().expect("at least one run"),
    })
}

/// Parses a yuan amount with at most two decimals into fen, without floating point.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

const BOOK_COLUMNS: &[&str] = &[
    "id",
    "principal",
    "annual_rate",
    "term_months",
    "start_month",
    "grade",
    "pd",
    "default_month",
];

/// Reads a loan book: header `id,principal,annual_rate,term_months` required; `start_month`,
/// `grade`, `pd`, `default_month` optional. Principal in yuan (≤ 2 decimals), rate as a fraction.
pub fn read_loan_book_csv(path: &Path) -> Result<Vec<Loan>, CsvError> {
    let (file, rdr, headers) = open_csv(path)?;
    loan_book_rows(&file, rdr, &headers)
}

/// A loan book given as CSV text (an upload); `name` names it in errors.
pub fn parse_loan_book_csv(name: &str, text: &str) -> Result<Vec<Loan>, CsvError> {
    let (file, rdr, headers) = open_csv_text(name, text)?;
    loan_book_rows(&file, rdr, &headers)
}

fn loan_book_rows<R: std::io::Read>(
    file: &str,
    mut rdr: csv::Reader<R>,
    headers: &[String],
) -> Result<Vec<Loan>, CsvError> {
    let file = file.to_string();
    for h in headers {
        if !BOOK_COLUMNS.contains(&h.as_str()) {
            return Err(csv_error(
                &file,
                Some(1),
                Some(h),
                "unknown column",
                format!("use only {}", BOOK_COLUMNS.join(", ")),
            ));
        }
    }
    for need in &BOOK_COLUMNS[..4] {
        if !headers.iter().any(|h| h == need) {
            return Err(csv_error(
                &file,
                Some(1),
                None,
                format!("no '{need}' column"),
                format!("add a {need} column"),
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut loans = vec![];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| record_error(&file, e))?;
        let line = rec.position().map(|p| p.line());
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("");
        let bad = |name: &str, fix: &str| {
            csv_error(
                &file,
                line,
                Some(name),
                format!("'{}' is not valid", get(name)),
                fix,
            )
        };
        let id = get("id").to_string();
        if id.is_empty() {
            return Err(bad("id", "give every loan an id"));
        }
        let principal_fen = parse_yuan(get("principal"))
            .filter(|&p| p > 0)
            .ok_or_else(|| bad("principal", "a positive amount in yuan with at most 2 decimals, no separators, e.g. 1000000"))?;
        let annual_rate = get("annual_rate")
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| bad("annual_rate", "a fraction, e.g. 0.0435 for 4.35%"))?;
        let term_months = get("term_months")
            .parse::<u32>()
            .ok()
            .filter(|&t| t > 0)
            .ok_or_else(|| bad("term_months", "a whole number of months, e.g. 12"))?;
        let opt_u32 = |name: &str, fix: &str| -> Result<Option<u32>, CsvError> {
            match get(name) {
                "" => Ok(None),
                s => s.parse().map(Some).map_err(|_| bad(name, fix)),
            }
        };
        let start_month =
            opt_u32("start_month", "a whole month number from 0, or empty for 0")?.unwrap_or(0);
        let default_month = opt_u32(
            "default_month",
            "the month of the term (1..=term_months) the loan defaulted in, or empty",
        )?;
        if default_month.is_some_and(|m| m == 0 || m > term_months) {
            return Err(bad(
                "default_month",
                "a month from 1 to term_months, or empty",
            ));
        }
        let pd = match get("pd") {
            "" => None,
            s => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| bad("pd", "an annual probability from 0 to 1, e.g. 0.02"))?,
            ),
        };
        let grade = Some(get("grade").to_string()).filter(|g| !g.is_empty());
        loans.push(Loan {
            id,
            principal_fen,
            annual_rate,
            term_months,
            start_month,
            grade,
            pd,
            default_month,
        });
    }
    Ok(loans)
}
