//! Gap-filling: for a weak or missing link, the outcomes, experts, labs and pilot platforms that could
//! fill it — local first, then the Chengdu–Chongqing region, then elsewhere — each with its reasons.

use serde::{Deserialize, Serialize};

/// What kind of capacity a filler brings.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FillerKind {
    Outcome,
    Expert,
    /// Labs, research institutes, new R&D institutions, universities.
    Lab,
    /// Pilot platforms and proof-of-concept centres.
    PilotPlatform,
    /// An enterprise already on the link (listed beside the fillers, never ranked among them).
    Enterprise,
}

/// How far a filler is from the region under analysis; the first sort key.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Locality {
    /// Inside the region analysed.
    Local,
    /// Chongqing or the Chengdu–Chongqing economic circle, outside the region analysed.
    Chengyu,
    /// Anywhere else, or unknown.
    Elsewhere,
}

impl Locality {
    pub fn label_zh(self) -> &'static str {
        match self {
            Locality::Local => "本地",
            Locality::Chengyu => "成渝地区",
            Locality::Elsewhere => "其他地区",
        }
    }
}

/// One candidate to fill a gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Filler {
    pub kind: FillerKind,
    /// `outcome`, `person` or `organization`: where `id` points.
    pub record_kind: String,
    pub id: i64,
    pub name: String,
    /// The sub-kind: `patent`, `lab`, `pilot_platform`…
    pub sub_kind: String,
    pub region: Option<String>,
    pub locality: Locality,
    pub trl: Option<u8>,
    /// How well it fits the link, 0–1.
    pub score: f32,
    pub reasons_zh: Vec<String>,
    pub reasons_en: Vec<String>,
}

/// The ranked fillers of one node, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fillers {
    pub outcomes: Vec<Filler>,
    pub experts: Vec<Filler>,
    pub labs: Vec<Filler>,
    pub pilot_platforms: Vec<Filler>,
}

/// Sorts by locality, then fit, then a deployable TRL, then id; keeps `per_kind` of each kind.
/// A candidate listed twice (found by assignment and by search) keeps its best score and all reasons.
pub fn rank(candidates: Vec<Filler>, per_kind: usize) -> Fillers {
    let mut merged: Vec<Filler> = vec![];
    for c in candidates {
        match merged
            .iter_mut()
            .find(|m| m.record_kind == c.record_kind && m.id == c.id)
        {
            Some(m) => {
                m.score = m.score.max(c.score);
                for r in c.reasons_zh {
                    if !m.reasons_zh.contains(&r) {
                        m.reasons_zh.push(r);
                    }
                }
                for r in c.reasons_en {
                    if !m.reasons_en.contains(&r) {
                        m.reasons_en.push(r);
                    }
                }
            }
            None => merged.push(c),
        }
    }
    merged.sort_by(|a, b| {
        a.locality
            .cmp(&b.locality)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| b.trl.unwrap_or(0).cmp(&a.trl.unwrap_or(0)))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut out = Fillers::default();
    for f in merged {
        let list = match f.kind {
            FillerKind::Outcome => &mut out.outcomes,
            FillerKind::Expert => &mut out.experts,
            FillerKind::Lab => &mut out.labs,
            FillerKind::PilotPlatform => &mut out.pilot_platforms,
            FillerKind::Enterprise => continue,
        };
        if list.len() < per_kind {
            list.push(f);
        }
    }
    out
}
