//! Enterprise tiers over the store: the rule book (schemes and ladders), stored profiles, and the
//! funnel officials read — per cluster and district, how many enterprises hold each tier, how many
//! qualify on their data, and how many are a step away.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rules::{AssessorInputs, EnterpriseEvaluation, Ladder, Profile, Scheme};
use store::{EveryProfilePass, ProfilePass};
use store::{ProfileRow, Store};

use crate::{EngineError, Result};

/// The shipped schemes and ladders, validated once.
#[derive(Debug, Clone)]
pub struct Rulebook {
    pub schemes: Vec<Scheme>,
    pub ladders: Vec<Ladder>,
    /// Every assessor key the schemes read.
    pub assessor_keys: std::collections::BTreeSet<String>,
}

impl Rulebook {
    pub fn shipped() -> std::result::Result<Rulebook, String> {
        let schemes = rules::load_shipped().map_err(|p| {
            format!(
                "the rule tables in data/rules are not valid:\n{}",
                p.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })?;
        let ladders = rules::load_ladders(&schemes)?;
        let assessor_keys = rules::assessor_keys(&schemes);
        Ok(Rulebook {
            schemes,
            ladders,
            assessor_keys,
        })
    }

    /// The schemes named (all when none), or an error naming the unknown one and the choices.
    pub fn choose(&self, only: &[String]) -> Result<Vec<&Scheme>> {
        for s in only {
            if !self.schemes.iter().any(|x| &x.scheme == s) {
                return Err(EngineError::Input(format!(
                    "unknown scheme '{s}': use {}",
                    self.codes().join(", ")
                )));
            }
        }
        Ok(self
            .schemes
            .iter()
            .filter(|s| only.is_empty() || only.contains(&s.scheme))
            .collect())
    }

    pub fn codes(&self) -> Vec<&str> {
        self.schemes.iter().map(|s| s.scheme.as_str()).collect()
    }

    /// Every chosen scheme for one profile, with the next step on each ladder. Profiles with
    /// impossible values are refused (a wrong pass is worse than none).
    pub fn evaluate(
        &self,
        profile: &Profile,
        only: &[String],
        as_of: NaiveDate,
        inputs: &AssessorInputs,
    ) -> Result<EnterpriseEvaluation> {
        let problems = profile.check();
        if !problems.is_empty() {
            return Err(EngineError::Input(format!(
                "profile {}: {}",
                profile.uscc,
                problems.join("; ")
            )));
        }
        let chosen = self.choose(only)?;
        Ok(rules::evaluate_enterprise(
            &chosen,
            &self.schemes,
            &self.ladders,
            profile,
            as_of,
            inputs,
        ))
    }

    /// Scheme codes in ladder order (lowest tier first), then any others.
    pub fn ladder_order(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for l in &self.ladders {
            for s in &l.steps {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        for s in &self.schemes {
            if !out.contains(&s.scheme) {
                out.push(s.scheme.clone());
            }
        }
        out
    }
}

/// Stores profiles (replacing those with the same USCC).
pub async fn put_profiles(
    store: &Store,
    profiles: &[Profile],
    source: &str,
    by: &str,
) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    let rows: Vec<ProfileRow> = profiles
        .iter()
        .map(|p| ProfileRow {
            uscc: p.uscc.clone(),
            name: p.name.clone(),
            profile: serde_json::to_string(p).expect("a profile serialises"),
            source: source.to_string(),
            updated_by: by.to_string(),
            updated_at: now,
        })
        .collect();
    store.put_profiles(&rows).await?;
    Ok(())
}

fn parse_row(row: &ProfileRow) -> Result<Profile> {
    serde_json::from_str(&row.profile).map_err(|e| {
        EngineError::Setup(format!(
            "stored profile {} is not readable ({e}): import it again",
            row.uscc
        ))
    })
}

/// The stored assessor inputs of the enterprise the pass opens (empty when none were given).
pub async fn assessor_inputs(store: &Store, pass: &ProfilePass) -> Result<AssessorInputs> {
    match store.assessor_inputs(pass).await? {
        Some(row) => parse_inputs(&row),
        None => Ok(AssessorInputs::new()),
    }
}

fn parse_inputs(row: &store::AssessorRow) -> Result<AssessorInputs> {
    serde_json::from_str(&row.inputs).map_err(|e| {
        EngineError::Setup(format!(
            "stored assessor inputs of {} are not readable ({e}): set them again",
            row.uscc
        ))
    })
}

/// Every enterprise's stored assessor inputs, by USCC.
pub async fn all_assessor_inputs(
    store: &Store,
    pass: &EveryProfilePass,
) -> Result<HashMap<String, AssessorInputs>> {
    store
        .all_assessor_inputs(pass)
        .await?
        .iter()
        .map(|r| Ok((r.uscc.clone(), parse_inputs(r)?)))
        .collect()
}

/// Records an assessor's judgments for a stored profile, replacing earlier ones. Keys must be ones
/// the schemes read and values finite and not negative (points, or 1 / 0 for yes / no).
pub async fn set_assessor_inputs(
    store: &Store,
    book: &Rulebook,
    uscc: &str,
    inputs: &BTreeMap<String, f64>,
    by: &str,
) -> Result<()> {
    if !store.has_profile(uscc).await? {
        return Err(EngineError::Input(format!(
            "no profile for {uscc}: import the enterprise's profile first"
        )));
    }
    for (k, v) in inputs {
        if !book.assessor_keys.contains(k) {
            return Err(EngineError::Input(format!(
                "unknown assessor key '{k}' (fix: one of {})",
                book.assessor_keys
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !v.is_finite() || *v < 0.0 {
            return Err(EngineError::Input(format!(
                "assessor {k} = {v} (fix: points, or 1 for yes and 0 for no)"
            )));
        }
    }
    store
        .put_assessor_inputs(&store::AssessorRow {
            uscc: uscc.to_string(),
            inputs: serde_json::to_string(inputs).expect("inputs serialise"),
            updated_by: by.to_string(),
            updated_at: chrono::Utc::now().timestamp(),
        })
        .await?;
    Ok(())
}

/// The stored profile the pass opens.
pub async fn profile(store: &Store, pass: &ProfilePass) -> Result<Option<Profile>> {
    store
        .profile(pass)
        .await?
        .as_ref()
        .map(parse_row)
        .transpose()
}

/// Every stored profile, by USCC.
pub async fn profiles(store: &Store, pass: &EveryProfilePass) -> Result<Vec<Profile>> {
    store.profiles(pass).await?.iter().map(parse_row).collect()
}

mod funnel;
pub use funnel::{funnel, funnel_members, Funnel, FunnelMember, FunnelRow, TierCounts, CELLS};
