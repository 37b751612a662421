//! Tech-credit scoring over the store: a profile scored with the scorecard (the tiers it qualifies for
//! on the rule engine count as tiers held), every evaluation stored with its inputs, card version and
//! fingerprint and time, and a stored evaluation re-run to show it reproduces.

use chrono::NaiveDate;
use credit::{Card, CreditScore};
use rules::{AssessorInputs, Outcome, Profile};
use serde::{Deserialize, Serialize};
use store::{CreditEvaluationRow, Store};
use store::{CreditPass, ProfilePass};

use crate::tiers::Rulebook;
use crate::{EngineError, Result};

/// Everything a score depends on besides the card: kept with each evaluation so it can be re-run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditInputs {
    pub profile: Profile,
    /// The assessor inputs the rule engine read (stored for the enterprise).
    #[serde(default)]
    pub assessor: std::collections::BTreeMap<String, f64>,
    /// Tiers the rule engine found the profile passes (added to its declared qualifications).
    pub rule_tiers: Vec<String>,
    pub as_of: NaiveDate,
}

/// A stored evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCredit {
    pub id: i64,
    pub uscc: String,
    pub created_by: String,
    pub created_at: i64,
    pub score: serde_json::Value,
    /// The inputs; left out for viewers who may not read the enterprise's profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<CreditInputs>,
}

/// Whether a stored evaluation reproduces with the card in force now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reproduction {
    /// The card now in force has the stored fingerprint.
    pub same_card: bool,
    /// Re-running the stored inputs gives the stored result (`None` when the card changed).
    pub reproduced: Option<bool>,
}

/// Tiers the profile passes on the rule tables with the assessor inputs given (an unknown is not a
/// pass).
pub fn rule_tiers(
    book: &Rulebook,
    profile: &Profile,
    as_of: NaiveDate,
    inputs: &AssessorInputs,
) -> Result<Vec<String>> {
    let e = book.evaluate(profile, &[], as_of, inputs)?;
    Ok(e.schemes
        .iter()
        .filter(|s| s.result == Outcome::Pass)
        .map(|s| s.scheme.clone())
        .collect())
}

/// Scores a profile without storing anything; `inputs` are the assessor's, for the rule tiers.
pub fn score(
    book: &Rulebook,
    card: &Card,
    profile: &Profile,
    as_of: NaiveDate,
    inputs: &AssessorInputs,
) -> Result<(CreditScore, CreditInputs)> {
    let rule_tiers = rule_tiers(book, profile, as_of, inputs)?;
    let s = credit::score(card, profile, &rule_tiers, as_of);
    Ok((
        s,
        CreditInputs {
            profile: profile.clone(),
            assessor: inputs.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            rule_tiers,
            as_of,
        },
    ))
}

/// Scores a profile with the enterprise's stored assessor inputs (read with `pass`, which must be
/// the profile's) and stores the evaluation; returns its id.
pub async fn score_and_store(
    store: &Store,
    pass: &ProfilePass,
    book: &Rulebook,
    card: &Card,
    profile: &Profile,
    as_of: NaiveDate,
    by: &str,
) -> Result<(i64, CreditScore)> {
    if pass.uscc() != profile.uscc {
        return Err(EngineError::Input(format!(
            "profile {}: scored with the pass of {}",
            profile.uscc,
            pass.uscc()
        )));
    }
    let assessed = crate::tiers::assessor_inputs(store, pass).await?;
    let (s, inputs) = score(book, card, profile, as_of, &assessed)?;
    let row = CreditEvaluationRow {
        id: 0,
        uscc: profile.uscc.clone(),
        scheme: s.scheme.clone(),
        version: s.version.clone(),
        card_fingerprint: s.card_fingerprint.clone(),
        as_of: as_of.to_string(),
        inputs: serde_json::to_string(&inputs).expect("inputs serialise"),
        result: serde_json::to_string(&s).expect("a score serialises"),
        grade: s.grade.clone(),
        score: s.score,
        created_by: by.to_string(),
        created_at: chrono::Utc::now().timestamp(),
    };
    let id = store.add_credit_evaluation(&row).await?;
    Ok((id, s))
}

fn parse_stored(row: &CreditEvaluationRow, with_inputs: bool) -> Result<StoredCredit> {
    let bad = |what: &str, e: serde_json::Error| {
        EngineError::Setup(format!(
            "credit evaluation {}: stored {what} unreadable ({e})",
            row.id
        ))
    };
    let score = serde_json::from_str(&row.result).map_err(|e| bad("result", e))?;
    let inputs = if with_inputs {
        Some(serde_json::from_str(&row.inputs).map_err(|e| bad("inputs", e))?)
    } else {
        None
    };
    Ok(StoredCredit {
        id: row.id,
        uscc: row.uscc.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        score,
        inputs,
    })
}

/// One stored evaluation, when the pass opens it, and whether it reproduces under `card` (checked
/// on the stored inputs; they are shown only when the pass allows).
pub async fn evaluation(
    store: &Store,
    card: &Card,
    id: i64,
    pass: &CreditPass,
) -> Result<Option<(StoredCredit, Reproduction)>> {
    let with_inputs = pass.inputs();
    let Some(row) = store.credit_evaluation(id, pass).await? else {
        return Ok(None);
    };
    let stored = parse_stored(&row, true)?;
    let same_card = row.card_fingerprint == card.fingerprint;
    // Compared as stored text: the same card and inputs must give the very same bytes.
    let reproduced = if same_card {
        let inputs = stored.inputs.as_ref().expect("parsed with inputs");
        let again = credit::score(card, &inputs.profile, &inputs.rule_tiers, inputs.as_of);
        Some(serde_json::to_string(&again).expect("a score serialises") == row.result)
    } else {
        None
    };
    let mut stored = stored;
    if !with_inputs {
        stored.inputs = None;
    }
    Ok(Some((
        stored,
        Reproduction {
            same_card,
            reproduced,
        },
    )))
}

/// The stored evaluations the pass opens, newest first.
pub async fn evaluations(store: &Store, pass: &CreditPass) -> Result<Vec<StoredCredit>> {
    store
        .credit_evaluations(pass)
        .await?
        .iter()
        .map(|r| parse_stored(r, pass.inputs()))
        .collect()
}

/// One enterprise on a lender's list: who it is and its newest grade of record.
#[derive(Debug, Clone, Serialize)]
pub struct RosterEntry {
    pub uscc: String,
    pub name: String,
    /// The newest stored evaluation: its id, when it was made, and the score.
    pub latest: Option<Latest>,
}

/// The newest stored evaluation of a roster entry.
#[derive(Debug, Clone, Serialize)]
pub struct Latest {
    pub id: i64,
    pub created_at: i64,
    pub score: CreditScore,
}

/// The profiled enterprises the pass opens, by name, each with its newest evaluation.
pub async fn roster(store: &Store, pass: &CreditPass) -> Result<Vec<RosterEntry>> {
    store
        .credit_roster(pass)
        .await?
        .into_iter()
        .map(|r| {
            let latest = match (r.evaluation_id, r.result, r.created_at) {
                (Some(id), Some(result), Some(created_at)) => Some(Latest {
                    id,
                    created_at,
                    score: serde_json::from_str(&result).map_err(|e| {
                        EngineError::Setup(format!(
                            "credit evaluation {id}: stored result unreadable ({e})"
                        ))
                    })?,
                }),
                _ => None,
            };
            Ok(RosterEntry {
                uscc: r.uscc,
                name: r.name,
                latest,
            })
        })
        .collect()
}

/// A stored evaluation's score, typed (the store keeps it as JSON).
pub fn typed(stored: &StoredCredit) -> Result<CreditScore> {
    serde_json::from_value(stored.score.clone()).map_err(|e| {
        EngineError::Setup(format!(
            "credit evaluation {}: stored result unreadable ({e})",
            stored.id
        ))
    })
}
