//! Gap analysis: per node and region, what is there locally (enterprises, innovation supply, open
//! needs), a status — strong / weak / missing (强链 / 弱链 / 缺链) — and the key-technology bottleneck
//! flag, each decided by a threshold from `data/chains/gaps.toml` and reported with its reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::taxonomy::{Cluster, Stage, Taxonomy, GAPS_FILE};

/// Thresholds of the status rules and weights of the key-technology ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GapConfig {
    pub status: StatusRules,
    pub bottleneck: BottleneckRules,
    pub ranking: RankingWeights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRules {
    /// Local enterprises needed for a strong link; fewer (but some) is weak, none is missing.
    pub strong_min_enterprises: usize,
    /// Local innovation supply needed for a strong link: outcomes at TRL ≥ `supply_min_trl`, labs,
    /// experts, PoC centres and pilot platforms in the region.
    pub strong_min_supply: usize,
    /// Outcomes below this TRL are research, not yet supply an enterprise can take up.
    pub supply_min_trl: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BottleneckRules {
    /// Only links at least this important can be key-technology bottlenecks.
    pub min_importance: u8,
    /// Open needs on the link (demand pressure) at least this many.
    pub min_open_needs: usize,
    /// …while local outcomes at TRL ≥ 7 number at most this many.
    pub max_local_mature_outcomes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingWeights {
    pub missing: f32,
    pub weak: f32,
    pub strong: f32,
    /// Added to the weakness of a bottleneck.
    pub bottleneck: f32,
}

impl GapConfig {
    pub fn shipped() -> GapConfig {
        GapConfig::parse(GAPS_FILE).expect("the shipped gaps.toml is valid")
    }

    pub fn parse(text: &str) -> Result<GapConfig, String> {
        let c: GapConfig =
            toml::from_str(text).map_err(|e| format!("gaps.toml: {}", e.to_string().trim()))?;
        if c.status.strong_min_enterprises == 0 {
            return Err(
                "gaps.toml: status.strong_min_enterprises = 0 would call a link without enterprises strong (fix: 1 or more)"
                    .into(),
            );
        }
        if !(1..=9).contains(&c.status.supply_min_trl) {
            return Err(format!(
                "gaps.toml: status.supply_min_trl = {} is not a TRL (fix: 1–9)",
                c.status.supply_min_trl
            ));
        }
        if c.bottleneck.min_open_needs == 0 {
            return Err(
                "gaps.toml: bottleneck.min_open_needs = 0 would flag links nobody needs (fix: 1 or more)".into(),
            );
        }
        if !(1..=5).contains(&c.bottleneck.min_importance) {
            return Err(format!(
                "gaps.toml: bottleneck.min_importance = {} is outside 1–5 (fix: 1–5)",
                c.bottleneck.min_importance
            ));
        }
        let r = &c.ranking;
        for (name, v) in [
            ("missing", r.missing),
            ("weak", r.weak),
            ("strong", r.strong),
            ("bottleneck", r.bottleneck),
        ] {
            if !(0.0..=10.0).contains(&v) {
                return Err(format!(
                    "gaps.toml: ranking.{name} = {v} is outside 0–10 (fix: a weight from 0 to 10)"
                ));
            }
        }
        if r.missing < r.weak || r.weak < r.strong {
            return Err(
                "gaps.toml: ranking weights must order missing ≥ weak ≥ strong (fix: reorder them)"
                    .into(),
            );
        }
        Ok(c)
    }
}

/// What a record on a node counts as.
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
pub enum MemberKind {
    Enterprise,
    /// Labs, research institutes, new R&D institutions and universities.
    Lab,
    PocCentre,
    PilotPlatform,
    Expert,
    Outcome,
    Demand,
}

/// A record assigned to a node, reduced to what the gap rules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    pub kind: MemberKind,
    pub id: i64,
    /// In the region under analysis.
    pub local: bool,
    pub trl: Option<u8>,
    /// For demands: open and not past its deadline.
    pub open: bool,
    /// An enterprise's tiers when known (`hte`, `zjtx_sme`…).
    pub tiers: Vec<String>,
}

/// 强链 / 弱链 / 缺链.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapStatus {
    Strong,
    Weak,
    Missing,
}

impl GapStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GapStatus::Strong => "strong",
            GapStatus::Weak => "weak",
            GapStatus::Missing => "missing",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            GapStatus::Strong => "强链",
            GapStatus::Weak => "弱链",
            GapStatus::Missing => "缺链",
        }
    }
}

/// Outcomes by technology-readiness band.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrlBands {
    /// TRL 1–3: research.
    pub research: usize,
    /// TRL 4–6: development, proof of concept, pilot.
    pub development: usize,
    /// TRL 7–9: deployment.
    pub deployment: usize,
    pub unknown: usize,
}

/// What is on a node (with its sub-links), locally and in all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub local_enterprises: usize,
    pub enterprises: usize,
    /// Local enterprises per tier, when tiers are known.
    pub local_enterprise_tiers: BTreeMap<String, usize>,
    pub local_outcomes: TrlBands,
    pub outcomes: usize,
    pub local_labs: usize,
    pub local_experts: usize,
    pub local_poc_centres: usize,
    pub local_pilot_platforms: usize,
    /// Local innovation supply as the status rule counts it.
    pub local_supply: usize,
    /// Open needs on the link (anywhere: a need is pressure wherever it comes from).
    pub open_needs: usize,
}

/// Why a status or flag was given: the value, the threshold and the words for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub rule: String,
    pub zh: String,
    pub en: String,
}

/// One node's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeGap {
    pub node: String,
    pub zh: String,
    pub en: String,
    pub chain: String,
    pub stage: Stage,
    pub parent: Option<String>,
    pub importance: u8,
    pub counts: Counts,
    pub status: GapStatus,
    pub bottleneck: bool,
    pub reasons: Vec<Reason>,
    /// importance × weakness (+ bottleneck weight): the key-technology rank.
    pub priority: f32,
}

/// A cluster's analysis for one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClusterGaps {
    pub cluster: String,
    pub zh: String,
    pub en: String,
    pub region: String,
    pub nodes: Vec<NodeGap>,
    /// Weak, missing and bottleneck nodes, most urgent first (关键核心技术攻关图谱).
    pub key_technologies: Vec<String>,
    pub thresholds: GapConfig,
}

fn reason(rule: &str, zh: String, en: String) -> Reason {
    Reason {
        rule: rule.into(),
        zh,
        en,
    }
}

/// The members of a node and every node below it, each counted once.
fn members_below<'a>(
    cluster: &'a Cluster,
    code: &str,
    members: &'a HashMap<String, Vec<Member>>,
) -> Vec<&'a Member> {
    let codes = cluster.with_descendants(code);
    let mut seen = HashSet::new();
    let mut out = vec![];
    for c in &codes {
        for m in members.get(c).into_iter().flatten() {
            if seen.insert((m.kind, m.id)) {
                out.push(m);
            }
        }
    }
    out
}

/// Counts, status, bottleneck flag and reasons for one node.
pub fn node_gap(
    cluster: &Cluster,
    code: &str,
    members: &HashMap<String, Vec<Member>>,
    cfg: &GapConfig,
) -> Option<NodeGap> {
    let node = cluster.nodes.iter().find(|n| n.code == code)?;
    let mut c = Counts::default();
    let mut mature_local = 0;
    for m in members_below(cluster, code, members) {
        match m.kind {
            MemberKind::Enterprise => {
                c.enterprises += 1;
                if m.local {
                    c.local_enterprises += 1;
                    for t in &m.tiers {
                        *c.local_enterprise_tiers.entry(t.clone()).or_default() += 1;
                    }
                }
            }
            MemberKind::Outcome => {
                c.outcomes += 1;
                if m.local {
                    match m.trl {
                        Some(1..=3) => c.local_outcomes.research += 1,
                        Some(4..=6) => c.local_outcomes.development += 1,
                        Some(7..=9) => {
                            c.local_outcomes.deployment += 1;
                            mature_local += 1;
                        }
                        _ => c.local_outcomes.unknown += 1,
                    }
                    if m.trl.is_some_and(|t| t >= cfg.status.supply_min_trl) {
                        c.local_supply += 1;
                    }
                }
            }
            MemberKind::Lab if m.local => {
                c.local_labs += 1;
                c.local_supply += 1;
            }
            MemberKind::Expert if m.local => {
                c.local_experts += 1;
                c.local_supply += 1;
            }
            MemberKind::PocCentre if m.local => {
                c.local_poc_centres += 1;
                c.local_supply += 1;
            }
            MemberKind::PilotPlatform if m.local => {
                c.local_pilot_platforms += 1;
                c.local_supply += 1;
            }
            MemberKind::Demand if m.open => c.open_needs += 1,
            _ => {}
        }
    }

    let s = &cfg.status;
    let mut reasons = vec![];
    let status = if c.local_enterprises == 0 {
        reasons.push(reason(
            "missing.no_local_enterprise",
            "本地没有该环节的企业".into(),
            "no local enterprise works on this link".into(),
        ));
        GapStatus::Missing
    } else {
        let mut weak = false;
        if c.local_enterprises < s.strong_min_enterprises {
            weak = true;
            reasons.push(reason(
                "weak.few_enterprises",
                format!(
                    "本地企业 {} 家，少于强链门槛 {} 家",
                    c.local_enterprises, s.strong_min_enterprises
                ),
                format!(
                    "{} local enterprise(s), fewer than the {} a strong link needs",
                    c.local_enterprises, s.strong_min_enterprises
                ),
            ));
        }
        if c.local_supply < s.strong_min_supply {
            weak = true;
            reasons.push(reason(
                "weak.little_supply",
                format!(
                    "本地创新供给 {} 项（TRL≥{} 的成果、实验室、专家、概念验证中心、中试平台），少于强链门槛 {} 项",
                    c.local_supply, s.supply_min_trl, s.strong_min_supply
                ),
                format!(
                    "local innovation supply {} (outcomes at TRL ≥ {}, labs, experts, PoC centres, pilot platforms), below the {} a strong link needs",
                    c.local_supply, s.supply_min_trl, s.strong_min_supply
                ),
            ));
        }
        if weak {
            GapStatus::Weak
        } else {
            reasons.push(reason(
                "strong",
                format!(
                    "本地企业 {} 家 ≥ {}，本地创新供给 {} 项 ≥ {}",
                    c.local_enterprises,
                    s.strong_min_enterprises,
                    c.local_supply,
                    s.strong_min_supply
                ),
                format!(
                    "{} local enterprises ≥ {} and local supply {} ≥ {}",
                    c.local_enterprises,
                    s.strong_min_enterprises,
                    c.local_supply,
                    s.strong_min_supply
                ),
            ));
            GapStatus::Strong
        }
    };

    let b = &cfg.bottleneck;
    let bottleneck = node.importance >= b.min_importance
        && c.open_needs >= b.min_open_needs
        && mature_local <= b.max_local_mature_outcomes;
    if bottleneck {
        reasons.push(reason(
            "bottleneck",
            format!(
                "关键技术瓶颈：重要度 {} ≥ {}，待解需求 {} 项 ≥ {}，本地成熟成果（TRL≥7）{} 项 ≤ {}",
                node.importance, b.min_importance, c.open_needs, b.min_open_needs, mature_local, b.max_local_mature_outcomes
            ),
            format!(
                "key-technology bottleneck: importance {} ≥ {}, {} open need(s) ≥ {}, {} mature local outcome(s) (TRL ≥ 7) ≤ {}",
                node.importance, b.min_importance, c.open_needs, b.min_open_needs, mature_local, b.max_local_mature_outcomes
            ),
        ));
    }
    let r = &cfg.ranking;
    let weakness = match status {
        GapStatus::Missing => r.missing,
        GapStatus::Weak => r.weak,
        GapStatus::Strong => r.strong,
    } + if bottleneck { r.bottleneck } else { 0.0 };
    Some(NodeGap {
        node: node.code.clone(),
        zh: node.zh.clone(),
        en: node.en.clone(),
        chain: node.chain.clone(),
        stage: node.stage,
        parent: node.parent.clone(),
        importance: node.importance,
        counts: c,
        status,
        bottleneck,
        reasons,
        priority: node.importance as f32 * weakness,
    })
}

/// Every node of a cluster, with the key-technology ranking.
pub fn cluster_gaps(
    taxonomy: &Taxonomy,
    cluster: &str,
    region: &str,
    members: &HashMap<String, Vec<Member>>,
    cfg: &GapConfig,
) -> Option<ClusterGaps> {
    let c = taxonomy.cluster(cluster)?;
    let nodes: Vec<NodeGap> = c
        .nodes
        .iter()
        .filter_map(|n| node_gap(c, &n.code, members, cfg))
        .collect();
    Some(ClusterGaps {
        cluster: c.code.clone(),
        zh: c.zh.clone(),
        en: c.en.clone(),
        region: region.to_string(),
        key_technologies: key_technologies(&nodes),
        nodes,
        thresholds: cfg.clone(),
    })
}

/// Weak, missing and bottleneck nodes ordered by priority (importance × weakness), ties by code.
pub fn key_technologies(nodes: &[NodeGap]) -> Vec<String> {
    let mut v: Vec<&NodeGap> = nodes
        .iter()
        .filter(|n| n.status != GapStatus::Strong || n.bottleneck)
        .collect();
    v.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then_with(|| b.counts.open_needs.cmp(&a.counts.open_needs))
            .then_with(|| a.node.cmp(&b.node))
    });
    v.into_iter().map(|n| n.node.clone()).collect()
}
