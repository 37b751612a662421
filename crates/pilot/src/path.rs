//! The conversion path (实验室—中试线—生产线) of one outcome, decided from gathered facts: the PoC
//! centre (when the TRL is low), the pilot platform and machine (earliest free slot, local first),
//! the adopting enterprise (local first), its financing (credit line against the pilot's cost) and
//! the IP status — each step with its status and reason, and the bottleneck named. The facts are
//! gathered by the engine; this module only decides, so each rule is tested on hand-made cases.

use crate::{parse, DataError};

pub const PATH: &str = include_str!("../../../data/pilot/path.toml");

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    pub cluster: String,
    pub filters: Vec<String>,
}

/// The planner's settings (`data/pilot/path.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRules {
    pub poc_below: u8,
    pub pilot_below: u8,
    pub target_trl: u8,
    pub run_hours: i64,
    pub horizon_days: i64,
    pub late_after_days: i64,
    #[serde(default)]
    pub needs: Vec<Need>,
}

impl PathRules {
    pub fn load(file: &str, text: &str) -> Result<PathRules, DataError> {
        let r: PathRules = parse(file, text)?;
        if !(r.poc_below <= r.pilot_below && r.pilot_below <= 10 && (1..=9).contains(&r.target_trl))
        {
            return Err(DataError {
                file: file.into(),
                message: "poc_below ≤ pilot_below ≤ 10 and a target TRL 1–9".into(),
            });
        }
        if r.run_hours <= 0 || r.horizon_days <= 0 || r.late_after_days < 0 {
            return Err(DataError {
                file: file.into(),
                message: "run_hours and horizon_days positive, late_after_days ≥ 0".into(),
            });
        }
        Ok(r)
    }

    pub fn shipped() -> PathRules {
        PathRules::load("path.toml", PATH).expect("the shipped path rules load")
    }

    /// The capability filters a cluster's pilot needs.
    pub fn filters_for(&self, clusters: &[String]) -> Vec<String> {
        self.needs
            .iter()
            .filter(|n| clusters.contains(&n.cluster))
            .flat_map(|n| n.filters.clone())
            .collect()
    }
}

/// A PoC centre that could take the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CentreFact {
    pub id: i64,
    pub name: String,
    pub local: bool,
    /// It serves the outcome's cluster (or is comprehensive).
    pub field_fit: bool,
    /// Applications it holds open (sent or accepted): its load.
    pub open_applications: u32,
}

/// A machine that meets the pilot's needs, with its earliest free run.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineFact {
    pub platform_id: i64,
    pub platform: String,
    pub equipment_id: i64,
    pub equipment: String,
    pub local: bool,
    pub alliance: bool,
    /// Start of the earliest free run (none within the horizon).
    pub earliest: Option<i64>,
    /// The run's fee at the machine's hourly price.
    pub cost_fen: Option<i64>,
}

/// An enterprise that could adopt the outcome, with its credit where the reader may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdopterFact {
    pub org_id: i64,
    pub name: String,
    pub local: bool,
    /// `Some(None)`: the reader may see its credit and it has no evaluation; `None`: not for this reader.
    pub credit: Option<Option<(String, i64)>>,
}

/// What the planner decides from.
#[derive(Debug, Clone, PartialEq)]
pub struct PathFacts {
    pub trl: Option<u8>,
    pub now: i64,
    pub centres: Vec<CentreFact>,
    pub machines: Vec<MachineFact>,
    pub adopters: Vec<AdopterFact>,
    /// `granted`, `pending` (filed, any stage) or `none`.
    pub ip: String,
    /// The filing would be taken on the fast track.
    pub fast_track_eligible: bool,
}

/// One step of the path.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// `poc`, `ip`, `pilot`, `adopter`, `financing`.
    pub step: String,
    /// `ok`, `warn`, `blocked`, `skip` (not needed), `hidden` (the reader may not see it).
    pub status: String,
    /// A reason code the pages put in words, with its values.
    pub reason: String,
    pub values: Vec<String>,
    /// What it chose (a platform, machine or enterprise), by id and name.
    pub choice_id: Option<i64>,
    pub choice: Option<String>,
    /// The machine chosen (pilot step).
    pub equipment_id: Option<i64>,
    /// When it can start (pilot: the earliest free run).
    pub at: Option<i64>,
}

/// A path: its steps in order and the bottleneck.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Path {
    pub steps: Vec<Step>,
    /// The step that holds the path up most (a blocked step first, then a warning), if any.
    pub bottleneck: Option<String>,
}

fn step(name: &str, status: &str, reason: &str, values: Vec<String>) -> Step {
    Step {
        step: name.into(),
        status: status.into(),
        reason: reason.into(),
        values,
        choice_id: None,
        choice: None,
        equipment_id: None,
        at: None,
    }
}

/// Days from `now` to `t`, rounded up.
fn days(now: i64, t: i64) -> i64 {
    ((t - now).max(0) + 86_399) / 86_400
}

impl PathRules {
    /// Plans the path. `date` renders a moment for the reasons (`2027-03-01`).
    pub fn plan(&self, f: &PathFacts, date: impl Fn(i64) -> String) -> Path {
        let trl = f.trl.unwrap_or(0);
        let mut steps = vec![];
        // PoC.
        if trl < self.poc_below {
            let mut c: Vec<&CentreFact> = f.centres.iter().collect();
            c.sort_by_key(|c| (!c.field_fit, !c.local, c.open_applications, c.id));
            steps.push(match c.first() {
                Some(best) => Step {
                    choice_id: Some(best.id),
                    choice: Some(best.name.clone()),
                    ..step(
                        "poc",
                        if best.field_fit { "ok" } else { "warn" },
                        if best.field_fit {
                            "poc_fit"
                        } else {
                            "poc_general"
                        },
                        vec![trl.to_string()],
                    )
                },
                None => step("poc", "blocked", "poc_none", vec![trl.to_string()]),
            });
        } else {
            steps.push(step("poc", "skip", "poc_done", vec![trl.to_string()]));
        }
        // IP.
        steps.push(match f.ip.as_str() {
            "granted" => step("ip", "ok", "ip_granted", vec![]),
            "pending" => step(
                "ip",
                "warn",
                if f.fast_track_eligible {
                    "ip_pending_fast"
                } else {
                    "ip_pending"
                },
                vec![],
            ),
            _ => step(
                "ip",
                "warn",
                if f.fast_track_eligible {
                    "ip_none_fast"
                } else {
                    "ip_none"
                },
                vec![],
            ),
        });
        // Pilot.
        let mut run_cost = None;
        if trl < self.pilot_below {
            let free = |m: &&MachineFact| m.earliest.is_some();
            let best_of = |local: bool| {
                f.machines
                    .iter()
                    .filter(free)
                    .filter(|m| m.local == local)
                    .min_by_key(|m| (m.earliest, !m.alliance, m.equipment_id))
            };
            let (local, away) = (best_of(true), best_of(false));
            let pick = |m: &MachineFact, status: &str, reason: &str, values: Vec<String>| Step {
                choice_id: Some(m.platform_id),
                choice: Some(m.platform.clone()),
                equipment_id: Some(m.equipment_id),
                at: m.earliest,
                ..step("pilot", status, reason, values)
            };
            let s = match (local, away) {
                (Some(l), Some(a))
                    if days(f.now, l.earliest.unwrap_or(0))
                        > days(f.now, a.earliest.unwrap_or(0)) + self.late_after_days =>
                {
                    run_cost = a.cost_fen;
                    pick(
                        a,
                        "warn",
                        "pilot_local_late",
                        vec![
                            l.equipment.clone(),
                            date(l.earliest.unwrap_or(0)),
                            a.platform.clone(),
                            date(a.earliest.unwrap_or(0)),
                        ],
                    )
                }
                (Some(l), _) => {
                    run_cost = l.cost_fen;
                    pick(
                        l,
                        "ok",
                        "pilot_local",
                        vec![l.equipment.clone(), date(l.earliest.unwrap_or(0))],
                    )
                }
                (None, Some(a)) => {
                    run_cost = a.cost_fen;
                    pick(
                        a,
                        "warn",
                        "pilot_no_local",
                        vec![
                            a.platform.clone(),
                            a.equipment.clone(),
                            date(a.earliest.unwrap_or(0)),
                        ],
                    )
                }
                (None, None) if f.machines.is_empty() => {
                    step("pilot", "blocked", "pilot_no_platform", vec![])
                }
                (None, None) => step(
                    "pilot",
                    "blocked",
                    "pilot_none",
                    vec![self.horizon_days.to_string()],
                ),
            };
            steps.push(s);
        } else {
            steps.push(step("pilot", "skip", "pilot_done", vec![trl.to_string()]));
        }
        // Adopter and financing.
        let adopter = f.adopters.iter().find(|a| a.local).or(f.adopters.first());
        match adopter {
            Some(a) => {
                steps.push(Step {
                    choice_id: Some(a.org_id),
                    choice: Some(a.name.clone()),
                    ..step(
                        "adopter",
                        if a.local { "ok" } else { "warn" },
                        if a.local {
                            "adopter_local"
                        } else {
                            "adopter_away"
                        },
                        vec![],
                    )
                });
                steps.push(match &a.credit {
                    None => step("financing", "hidden", "financing_hidden", vec![]),
                    Some(None) => step(
                        "financing",
                        "warn",
                        "financing_unrated",
                        vec![a.name.clone()],
                    ),
                    Some(Some((grade, line))) => match run_cost {
                        Some(cost) if cost > *line => step(
                            "financing",
                            "blocked",
                            "financing_short",
                            vec![grade.clone(), line.to_string(), cost.to_string()],
                        ),
                        _ => step(
                            "financing",
                            "ok",
                            "financing_ok",
                            vec![grade.clone(), line.to_string()],
                        ),
                    },
                });
            }
            None => {
                steps.push(step("adopter", "blocked", "adopter_none", vec![]));
                steps.push(step("financing", "skip", "financing_no_adopter", vec![]));
            }
        }
        // The bottleneck: the first blocked step, else the first warning, in the order that holds a
        // path up longest (capacity and money before the rest).
        const ORDER: [&str; 5] = ["pilot", "financing", "adopter", "poc", "ip"];
        let find = |status: &str| {
            ORDER
                .iter()
                .find(|s| steps.iter().any(|x| x.step == **s && x.status == status))
                .map(|s| s.to_string())
        };
        let bottleneck = find("blocked").or_else(|| find("warn"));
        Path { steps, bottleneck }
    }
}

#[cfg(test)]
mod tests;
