//! Workflows as data: the platform's one state-machine mechanism.
//!
//! A [`Definition`] (a TOML file under `data/workflows/`) lists states and transitions: from which
//! states, to which state, by which parties, under which guards. The mechanism knows nothing of
//! engagements or challenges: the host (an engine use case) says which parties the actor is and
//! whether each named guard holds, and [`Definition::check`] answers whether the move is allowed —
//! or why not. Writing the move (in one transaction, with an optimistic version, an audit row and a
//! notification) is the host's part, so every workflow on this mechanism is refused and recorded the
//! same way.

use std::collections::{BTreeSet, HashSet};

/// The engagement workflow shipped with the product.
pub const ENGAGEMENT: &str = include_str!("../../../data/workflows/engagement.toml");
/// The challenge (揭榜挂帅) workflow.
pub const CHALLENGE: &str = include_str!("../../../data/workflows/challenge.toml");
/// The open application scenario (开放应用场景) workflow: the challenge's lighter path.
pub const SCENARIO: &str = include_str!("../../../data/workflows/scenario.toml");
/// The equipment booking workflow of pilot platforms and PoC centres.
pub const BOOKING: &str = include_str!("../../../data/workflows/booking.toml");
/// A PoC seed's application to a proof-of-concept centre.
pub const POC_APPLICATION: &str = include_str!("../../../data/workflows/poc_application.toml");
/// A patent filing on the IP fast track (知识产权快速预审).
pub const IP_FILING: &str = include_str!("../../../data/workflows/ip_filing.toml");

/// A workflow: its states, its transitions and (where it has them) the reasons it may end for.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub workflow: Header,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub id: String,
    /// The state a new instance starts in.
    pub initial: String,
}

/// One state.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub code: String,
    /// Still in progress (reminders apply; it may be closed or withdrawn).
    #[serde(default)]
    pub open: bool,
    /// Whose move the state waits for: a party name, `both`, or none (a state that waits for nobody).
    #[serde(default)]
    pub awaits: Option<String>,
    /// The relevance grade an instance that reached this state leaves (higher: further).
    #[serde(default)]
    pub grade: Option<u8>,
}

/// One allowed move.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub from: Vec<String>,
    pub to: String,
    /// Parties that may make it (any one suffices).
    pub by: Vec<String>,
    /// Guards that must all hold.
    #[serde(default)]
    pub guards: Vec<String>,
}

/// A reason an instance may end for.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub code: String,
    /// Overrides the furthest state's grade (e.g. "not relevant" leaves 0).
    #[serde(default)]
    pub grade: Option<u8>,
}

/// Why a definition file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("{file}: not a workflow definition: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no state `{0}` in this workflow")]
    UnknownState(String),
    #[error("cannot move from `{from}` to `{to}`")]
    NotAllowed { from: String, to: String },
    #[error("this move from `{from}` to `{to}` is made by {}, not by you", .by.join(" or "))]
    WrongParty {
        from: String,
        to: String,
        by: Vec<String>,
    },
    #[error("this move needs `{0}` first")]
    Guard(String),
}

impl Definition {
    /// Parses and checks a definition: states known, one initial state, parties among `parties`,
    /// guards among `guards` (the host's vocabulary), reasons unique.
    pub fn load(
        file: &str,
        text: &str,
        parties: &[&str],
        guards: &[&str],
    ) -> Result<Definition, DefinitionError> {
        let def: Definition = toml::from_str(text).map_err(|e| DefinitionError::Parse {
            file: file.into(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| DefinitionError::Invalid {
            file: file.into(),
            message,
        };
        let mut codes = HashSet::new();
        for s in &def.states {
            if !codes.insert(s.code.as_str()) {
                return Err(invalid(format!("state `{}` is listed twice", s.code)));
            }
            if let Some(a) = &s.awaits {
                if a != "both" && !parties.contains(&a.as_str()) {
                    return Err(invalid(format!(
                        "state `{}` awaits `{a}`, which is not a party ({})",
                        s.code,
                        parties.join(", ")
                    )));
                }
            }
        }
        if !codes.contains(def.workflow.initial.as_str()) {
            return Err(invalid(format!(
                "the initial state `{}` is not among the states",
                def.workflow.initial
            )));
        }
        for (i, t) in def.transitions.iter().enumerate() {
            let n = i + 1;
            for s in t.from.iter().chain(std::iter::once(&t.to)) {
                if !codes.contains(s.as_str()) {
                    return Err(invalid(format!(
                        "transition {n} names state `{s}`, which is not listed under [[states]]"
                    )));
                }
            }
            if t.from.is_empty() || t.by.is_empty() {
                return Err(invalid(format!(
                    "transition {n} needs at least one `from` state and one party in `by`"
                )));
            }
            if let Some(p) = t.by.iter().find(|p| !parties.contains(&p.as_str())) {
                return Err(invalid(format!(
                    "transition {n} is made by `{p}`, which is not a party ({})",
                    parties.join(", ")
                )));
            }
            if let Some(g) = t.guards.iter().find(|g| !guards.contains(&g.as_str())) {
                return Err(invalid(format!(
                    "transition {n} has guard `{g}`, which the workflow does not know ({})",
                    guards.join(", ")
                )));
            }
        }
        let mut reasons = HashSet::new();
        if let Some(r) = def
            .reasons
            .iter()
            .find(|r| !reasons.insert(r.code.as_str()))
        {
            return Err(invalid(format!("reason `{}` is listed twice", r.code)));
        }
        Ok(def)
    }

    pub fn state(&self, code: &str) -> Option<&State> {
        self.states.iter().find(|s| s.code == code)
    }

    pub fn reason(&self, code: &str) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.code == code)
    }

    /// Whether `code` is an open state.
    pub fn is_open(&self, code: &str) -> bool {
        self.state(code).is_some_and(|s| s.open)
    }

    /// Whether the actor — who is each of `parties` — may move from `from` to `to`, with `holds`
    /// saying whether a named guard holds. The first transition that fits wins; a refusal names what
    /// is missing: the move, the party or the first guard that fails.
    pub fn check(
        &self,
        from: &str,
        to: &str,
        parties: &BTreeSet<&str>,
        holds: impl Fn(&str) -> bool,
    ) -> Result<&Transition, Refusal> {
        for s in [from, to] {
            if self.state(s).is_none() {
                return Err(Refusal::UnknownState(s.to_string()));
            }
        }
        let candidates: Vec<&Transition> = self
            .transitions
            .iter()
            .filter(|t| t.to == to && t.from.iter().any(|f| f == from))
            .collect();
        if candidates.is_empty() {
            return Err(Refusal::NotAllowed {
                from: from.into(),
                to: to.into(),
            });
        }
        let mine: Vec<&Transition> = candidates
            .iter()
            .copied()
            .filter(|t| t.by.iter().any(|p| parties.contains(p.as_str())))
            .collect();
        if mine.is_empty() {
            let by: BTreeSet<String> = candidates.iter().flat_map(|t| t.by.clone()).collect();
            return Err(Refusal::WrongParty {
                from: from.into(),
                to: to.into(),
                by: by.into_iter().collect(),
            });
        }
        let mut first_failed = None;
        for t in mine {
            match t.guards.iter().find(|g| !holds(g)) {
                None => return Ok(t),
                Some(g) => {
                    first_failed.get_or_insert_with(|| g.clone());
                }
            }
        }
        Err(Refusal::Guard(first_failed.unwrap_or_default()))
    }

    /// The states the actor may move to from `from`, guards aside (a page offers them; the check
    /// on submission applies the guards).
    pub fn moves(&self, from: &str, parties: &BTreeSet<&str>) -> Vec<&str> {
        let mut out: Vec<&str> = vec![];
        for t in &self.transitions {
            if t.from.iter().any(|f| f == from)
                && t.by.iter().any(|p| parties.contains(p.as_str()))
                && !out.contains(&t.to.as_str())
            {
                out.push(t.to.as_str());
            }
        }
        out
    }

    /// The grade an instance leaves: the close reason's when it has one, else the grade of the
    /// furthest graded state it reached (`None`: no label).
    pub fn grade<'a>(
        &self,
        reached: impl IntoIterator<Item = &'a str>,
        reason: Option<&str>,
    ) -> Option<u8> {
        if let Some(g) = reason.and_then(|r| self.reason(r)).and_then(|r| r.grade) {
            return Some(g);
        }
        reached
            .into_iter()
            .filter_map(|s| self.state(s).and_then(|s| s.grade))
            .max()
    }
}

#[cfg(test)]
mod tests;
