//! What a request narrows matching to, read from its words: the kind of supply, regions, a TRL or
//! TRL range. Each refusal names the field and the fix.

use model::{RecordKind, Region};
use search::Filters;

use crate::{EngineError, Result};

/// What a need looks for: `outcome`, `expert`, `lab`, `platform`, `enterprise` or `any` (default).
pub fn supply_filters(kind: Option<&str>) -> Result<Filters> {
    let (kinds, sub): (Vec<RecordKind>, Vec<&str>) = match kind {
        // Everything that can solve a need: every outcome, experts and researchers, and the organizations
        // that do research or scale it up (not banks, funds, government offices or brokers).
        None | Some("any") | Some("") => (
            vec![
                RecordKind::Outcome,
                RecordKind::Person,
                RecordKind::Organization,
            ],
            vec![
                "paper",
                "patent",
                "software",
                "prototype",
                "process",
                "standard",
                "other",
                "expert",
                "researcher",
                "enterprise",
                "university",
                "research_institute",
                "lab",
                "new_rd_institution",
                "poc_centre",
                "pilot_platform",
            ],
        ),
        Some("outcome") => (vec![RecordKind::Outcome], vec![]),
        Some("expert") => (vec![RecordKind::Person], vec!["expert", "researcher"]),
        Some("lab") => (
            vec![RecordKind::Organization],
            vec!["lab", "research_institute", "new_rd_institution"],
        ),
        Some("platform") => (
            vec![RecordKind::Organization],
            vec!["pilot_platform", "poc_centre"],
        ),
        Some("enterprise") => (vec![RecordKind::Organization], vec!["enterprise"]),
        Some(other) => {
            return Err(EngineError::Input(format!(
                "unknown kind '{other}': use outcome, expert, lab, platform, enterprise or any"
            )))
        }
    };
    Ok(Filters {
        record_kinds: kinds,
        kinds: sub.into_iter().map(String::from).collect(),
        ..Filters::default()
    })
}

/// Region keys for `--region`: each named place with every place inside it.
pub fn region_keys(names: &[String]) -> Result<Vec<String>> {
    let mut keys = vec![];
    for n in names {
        let Some(r) = Region::lookup(n) else {
            return Err(EngineError::Input(format!(
                "unknown region '{n}': give a district, city or province name or code"
            )));
        };
        for r in r.with_descendants() {
            let k = r.key().to_string();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    Ok(keys)
}

/// A TRL level or range, `6` or `4-7`.
pub fn parse_trl_range(s: &str) -> Result<(u8, u8)> {
    let bad = || {
        EngineError::Input(format!(
            "TRL '{s}': give a level 1–9 or a range such as 4-7"
        ))
    };
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        ),
        None => {
            let v: u8 = s.trim().parse().map_err(|_| bad())?;
            (v, v)
        }
    };
    if !(1..=9).contains(&lo) || !(lo..=9).contains(&hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}
