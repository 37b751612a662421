//! Enterprise tiers over the store: the rule book (schemes and ladders), stored profiles, and the
//! funnel officials read — per cluster and district, how many enterprises hold each tier, how many
//! qualify on their data, and how many are a step away.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use model::{Record, RecordKind};
use rules::{AssessorInputs, EnterpriseEvaluation, Ladder, Outcome, Profile, Scheme};
use serde::Serialize;
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

/// Counts for one scheme in one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCounts {
    /// Enterprises declaring the qualification.
    pub held: usize,
    /// Enterprises whose data pass the scheme now.
    pub qualify: usize,
    /// Qualify on their data but do not hold it: candidates to encourage to apply.
    pub qualify_not_held: usize,
    /// Whose result turns on unknown data or an assessor's input.
    pub unknown: usize,
    /// Of the unknown, those whose data are complete: only an assessor's judgment is missing.
    pub pending_assessor: usize,
    pub fail: usize,
    /// Fail, and this scheme is their next step on a ladder.
    pub next_step: usize,
}

/// One row of the funnel: a cluster, a district, or the whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelRow {
    /// Cluster code, district name, or `all`.
    pub group: String,
    pub enterprises: usize,
    /// Scheme code → counts, in ladder order.
    pub schemes: BTreeMap<String, TierCounts>,
}

/// The funnel over every stored profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Funnel {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub as_of: NaiveDate,
    /// Scheme codes, lowest tier first.
    pub schemes: Vec<String>,
    pub total: FunnelRow,
    pub by_cluster: Vec<FunnelRow>,
    pub by_district: Vec<FunnelRow>,
    /// Profiles the funnel could not evaluate (impossible values), by USCC.
    pub refused: Vec<String>,
}

/// Where each enterprise sits, by USCC: its clusters and district, from the organization records
/// (read once, page by page, rather than one lookup per profile).
async fn placements(store: &Store) -> Result<HashMap<String, (Vec<String>, Option<String>)>> {
    let mut out = HashMap::new();
    let mut pages = store.pages(RecordKind::Organization, 1000);
    while let Some(page) = pages.next().await? {
        for s in page {
            if let Record::Organization(o) = s.record {
                if let Some(u) = &o.uscc {
                    out.insert(
                        u.as_str().to_string(),
                        (
                            o.clusters.clone(),
                            o.region.as_ref().map(|r| r.name_zh().to_string()),
                        ),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Evaluates every stored profile and counts per cluster and district. `district` keeps only one
/// district; `cluster` only one cluster.
pub async fn funnel(
    store: &Store,
    pass: &EveryProfilePass,
    book: &Rulebook,
    as_of: NaiveDate,
    cluster: Option<&str>,
    district: Option<&str>,
) -> Result<Funnel> {
    let order = book.ladder_order();
    let inputs = AssessorInputs::new();
    let mut total = FunnelRow {
        group: "all".into(),
        ..Default::default()
    };
    let mut clusters: BTreeMap<String, FunnelRow> = BTreeMap::new();
    let mut districts: BTreeMap<String, FunnelRow> = BTreeMap::new();
    let mut refused = vec![];
    let placed = placements(store).await?;
    let assessed = all_assessor_inputs(store, pass).await?;
    let all = profiles(store, pass).await?;
    // Evaluating every profile is CPU work: it must not stall the async worker it runs on.
    crate::cpu::cpu_bound(move || {
        for p in all {
            let (cl, dist) = placed.get(&p.uscc).cloned().unwrap_or_default();
            if cluster.is_some_and(|c| !cl.iter().any(|x| x == c))
                || district.is_some_and(|d| dist.as_deref() != Some(d))
            {
                continue;
            }
            let eval = match book.evaluate(&p, &[], as_of, assessed.get(&p.uscc).unwrap_or(&inputs))
            {
                Ok(e) => e,
                Err(_) => {
                    refused.push(p.uscc.clone());
                    continue;
                }
            };
            let held: Vec<String> = p
                .qualifications
                .iter()
                .map(|q| rules::qualification_code(q))
                .collect();
            let mut rows: Vec<&mut FunnelRow> = vec![&mut total];
            let group_row = |g: &str| FunnelRow {
                group: g.to_string(),
                ..Default::default()
            };
            let mut cluster_keys: Vec<String> = cl.clone();
            if cluster_keys.is_empty() {
                cluster_keys.push("—".into());
            }
            for c in &cluster_keys {
                clusters.entry(c.clone()).or_insert_with(|| group_row(c));
            }
            let dkey = dist.unwrap_or_else(|| "—".into());
            districts
                .entry(dkey.clone())
                .or_insert_with(|| group_row(&dkey));
            for (k, r) in clusters.iter_mut() {
                if cluster_keys.contains(k) {
                    rows.push(r);
                }
            }
            rows.push(districts.get_mut(&dkey).expect("inserted"));
            for row in rows {
                row.enterprises += 1;
                for code in &order {
                    let Some(r) = eval.schemes.iter().find(|r| &r.scheme == code) else {
                        continue;
                    };
                    let c = row.schemes.entry(code.clone()).or_default();
                    let holds = held.contains(code);
                    c.held += usize::from(holds);
                    match r.result {
                        Outcome::Pass => {
                            c.qualify += 1;
                            c.qualify_not_held += usize::from(!holds);
                        }
                        Outcome::Unknown => {
                            c.unknown += 1;
                            let only_judgment = r
                                .criteria
                                .iter()
                                .filter(|x| x.result == Outcome::Unknown && x.kind != "direct_pass")
                                .all(|x| x.assessor.is_some());
                            c.pending_assessor += usize::from(only_judgment);
                        }
                        Outcome::Fail => c.fail += 1,
                    }
                    if eval.next.iter().any(|n| &n.scheme == code) && r.result == Outcome::Fail {
                        c.next_step += 1;
                    }
                }
            }
        }
        Ok(Funnel {
            as_of,
            schemes: order,
            total,
            by_cluster: clusters.into_values().collect(),
            by_district: districts.into_values().collect(),
            refused,
        })
    })
}
