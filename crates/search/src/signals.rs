//! The business signals a match carries on top of its relevance, each with its weight from
//! `data/ranking/ranking.toml` and a reason in both languages: locality, TRL fit, chain position, owner
//! type, capacity, a related public need, and what deals on the platform taught (a not-relevant
//! verdict, contracts in the same part of the chain).

use std::collections::HashMap;

use model::RegionTier;

use crate::matching::{MatchContext, Profile};

/// Weights of the business signals for one direction of matching. Each signal is a value in 0..1
/// (unknown when the data does not say) and adds `weight × value` to the fused relevance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SignalWeights {
    pub locality: f32,
    /// Value of each region tier.
    pub locality_values: HashMap<String, f32>,
    pub trl_fit: f32,
    /// TRL levels below the need's stage at which the fit reaches zero.
    pub trl_gap_to_zero: f32,
    pub chain: f32,
    pub owner: f32,
    /// Value of each owner type (organization kind of the owner, or person kind).
    pub owner_values: HashMap<String, f32>,
    pub capacity: f32,
    pub related_need: f32,
    /// A public need counts as related when its cosine similarity to the outcome reaches this…
    pub related_need_min_cosine: f32,
    /// …or, answering lexically only, when its BM25 score does.
    pub related_need_min_bm25: f32,
    /// Taken off a candidate an engagement closed as not relevant for this need or a near-identical
    /// public one (the platform's own relevance judgement).
    pub not_relevant: f32,
    /// Added for organizations with technology contracts signed on the platform in the asking side's
    /// chain nodes (clusters count half).
    pub contract_prior: f32,
    /// Contracts at which the prior reaches half its weight (value = n / (n + half)).
    pub contract_prior_half: f32,
}

impl Default for SignalWeights {
    fn default() -> Self {
        SignalWeights {
            locality: 0.0,
            locality_values: HashMap::new(),
            trl_fit: 0.0,
            trl_gap_to_zero: 4.0,
            chain: 0.0,
            owner: 0.0,
            owner_values: HashMap::new(),
            capacity: 0.0,
            related_need: 0.0,
            related_need_min_cosine: 0.85,
            related_need_min_bm25: 20.0,
            not_relevant: 0.0,
            contract_prior: 0.0,
            contract_prior_half: 2.0,
        }
    }
}

impl SignalWeights {
    /// Checks every weight and value is a finite number ≥ 0 (values at most 1); the message names the
    /// field.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("locality", self.locality),
            ("trl_fit", self.trl_fit),
            ("chain", self.chain),
            ("owner", self.owner),
            ("capacity", self.capacity),
            ("related_need", self.related_need),
            ("related_need_min_cosine", self.related_need_min_cosine),
            ("related_need_min_bm25", self.related_need_min_bm25),
            ("not_relevant", self.not_relevant),
            ("contract_prior", self.contract_prior),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} = {v}: give a finite number ≥ 0"));
            }
        }
        if !self.trl_gap_to_zero.is_finite() || self.trl_gap_to_zero <= 0.0 {
            return Err(format!(
                "trl_gap_to_zero = {}: give a number of levels > 0",
                self.trl_gap_to_zero
            ));
        }
        if !self.contract_prior_half.is_finite() || self.contract_prior_half <= 0.0 {
            return Err(format!(
                "contract_prior_half = {}: give a number of contracts > 0",
                self.contract_prior_half
            ));
        }
        for (table, values) in [
            ("locality_values", &self.locality_values),
            ("owner_values", &self.owner_values),
        ] {
            for (k, v) in values {
                if !(0.0..=1.0).contains(v) {
                    return Err(format!("{table}.{k} = {v}: give a value from 0 to 1"));
                }
            }
        }
        Ok(())
    }
}

/// A candidate an engagement closed as not relevant for the need being matched (`same_need`) or for a
/// near-identical public need (which is not named: who engaged whom stays between them).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Rejection {
    pub same_need: bool,
}

/// Technology contracts the candidate's organization signed on the platform: how many share a chain
/// node with the asking side, how many only a cluster, and where (node or cluster codes).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ContractPrior {
    pub in_nodes: u32,
    pub in_clusters: u32,
    pub places: Vec<String>,
}

/// One business signal's part in a score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Signal {
    pub name: &'static str,
    /// 0..1, or `None` when the data does not say (then it adds nothing).
    pub value: Option<f32>,
    pub contribution: f32,
    pub reason: String,
    /// The same reason in Chinese, for the Chinese pages.
    pub reason_zh: String,
}

fn tier_name(t: RegionTier) -> &'static str {
    match t {
        RegionTier::Chongqing => "chongqing",
        RegionTier::Chengyu => "chengyu",
        RegionTier::China => "china",
        RegionTier::Elsewhere => "elsewhere",
    }
}

/// The business signals of one candidate.
pub fn signals(p: &Profile, ctx: &MatchContext, w: &SignalWeights) -> Vec<Signal> {
    let mut out = vec![];
    let mut push =
        |name, weight: f32, value: Option<f32>, (reason, reason_zh): (String, String)| {
            if weight > 0.0 {
                out.push(Signal {
                    name,
                    value,
                    contribution: value.map_or(0.0, |v| weight * v),
                    reason,
                    reason_zh,
                });
            }
        };
    let (value, (en, zh)) = match p.region_tier {
        Some(t) => (
            w.locality_values.get(tier_name(t)).copied(),
            match t {
                RegionTier::Chongqing => ("in Chongqing", "重庆本地"),
                RegionTier::Chengyu => ("in the Chengdu–Chongqing region", "成渝地区"),
                RegionTier::China => ("elsewhere in China", "国内其他地区"),
                RegionTier::Elsewhere => ("outside China", "境外"),
            },
        ),
        None => (None, ("region unknown", "地区不详")),
    };
    let reason = match &p.region {
        Some(r) if p.region_tier.is_some() => {
            // The region is stored by its Chinese name; the English reason names it in English.
            let r_en =
                model::Region::lookup(r).map_or_else(|| r.clone(), |x| x.name_en().to_string());
            (format!("{en}: {r_en}"), format!("{zh}：{r}"))
        }
        _ => (en.to_string(), zh.to_string()),
    };
    push("locality", w.locality, value, reason);

    let (value, reason) = match (ctx.trl, p.trl) {
        (Some(need), Some(has)) if has >= need => (
            Some(1.0),
            (
                format!("TRL {has} meets the stage needed (TRL {need})"),
                format!("成熟度 TRL {has}，达到需求阶段（TRL {need}）"),
            ),
        ),
        (Some(need), Some(has)) => {
            let gap = (need - has) as f32;
            (
                Some((1.0 - gap / w.trl_gap_to_zero.max(1.0)).max(0.0)),
                (
                    format!("TRL {has} is {gap} below the stage needed (TRL {need})"),
                    format!("成熟度 TRL {has}，比需求阶段（TRL {need}）低 {gap} 级"),
                ),
            )
        }
        (None, _) => (
            None,
            (
                "no stage given for the need".into(),
                "需求未给出成熟度".into(),
            ),
        ),
        (_, None) => (
            None,
            ("candidate's TRL unknown".into(), "成熟度不详".into()),
        ),
    };
    push("trl_fit", w.trl_fit, value, reason);

    let (value, reason) = chain_overlap(ctx, p);
    push("chain", w.chain, value, reason);

    let (value, reason) = match &p.owner_kind {
        Some(k) => (
            Some(w.owner_values.get(k).copied().unwrap_or(0.0)),
            (
                format!("owner type: {}", kind_en(k)),
                format!("主体类型：{}", kind_zh(k)),
            ),
        ),
        None => (None, ("owner type unknown".into(), "主体类型不详".into())),
    };
    push("owner", w.owner, value, reason);

    push(
        "capacity",
        w.capacity,
        p.capacity,
        match p.capacity {
            Some(c) => (
                format!("size and product range score {c:.2}"),
                format!("规模与产品线得分 {c:.2}"),
            ),
            None => ("size unknown".into(), "规模不详".into()),
        },
    );
    push(
        "related_need",
        w.related_need,
        Some(if p.related_need.is_some() { 1.0 } else { 0.0 }),
        match &p.related_need {
            Some(n) => (
                format!("has posted a related public need: “{n}”"),
                format!("发布过相关的公开需求「{n}」"),
            ),
            None => ("no related public need".into(), "无相关公开需求".into()),
        },
    );
    let (value, reason) = contract_prior(p.contracts.as_ref(), w.contract_prior_half);
    push("contract_prior", w.contract_prior, value, reason);
    let (value, reason) = rejection(p.rejected.as_ref());
    if w.not_relevant > 0.0 {
        out.push(Signal {
            name: "not_relevant",
            value,
            contribution: -w.not_relevant * value.unwrap_or(0.0),
            reason: reason.0,
            reason_zh: reason.1,
        });
    }
    out
}

/// The platform's own judgement: an engagement closed this candidate as not relevant for the need
/// (or for a near-identical public need, not named).
fn rejection(r: Option<&Rejection>) -> (Option<f32>, (String, String)) {
    match r {
        None => (
            Some(0.0),
            (
                "never closed as not relevant".into(),
                "未被对接判为不相关".into(),
            ),
        ),
        Some(Rejection { same_need: true }) => (
            Some(1.0),
            (
                "an engagement on this need closed it as not relevant".into(),
                "本需求的对接已判定其不相关".into(),
            ),
        ),
        Some(Rejection { same_need: false }) => (
            Some(1.0),
            (
                "closed as not relevant for a near-identical need".into(),
                "在一项高度相似需求的对接中被判定不相关".into(),
            ),
        ),
    }
}

/// Contracts the candidate's organization signed on the platform where the asking side sits.
fn contract_prior(c: Option<&ContractPrior>, half: f32) -> (Option<f32>, (String, String)) {
    let Some(c) = c else {
        return (
            None,
            (
                "no chain position to compare contracts with".into(),
                "无产业链位置，不比较合同".into(),
            ),
        );
    };
    let n = c.in_nodes as f32 + 0.5 * c.in_clusters as f32;
    if n == 0.0 {
        return (
            Some(0.0),
            (
                "no contract on the platform in this part of the chain".into(),
                "在本平台此产业链环节尚无技术合同".into(),
            ),
        );
    }
    let total = c.in_nodes + c.in_clusters;
    let place_en = c.places.join(", ");
    let place_zh = c.places.join("、");
    (
        Some(n / (n + half)),
        (
            format!("{total} technology contract(s) signed on the platform in {place_en}"),
            format!("已在本平台 {place_zh} 签订技术合同 {total} 份"),
        ),
    )
}

/// English names of the owner types the ranking file values.
fn kind_en(k: &str) -> &str {
    match k {
        "poc_centre" => "proof-of-concept centre",
        "pilot_platform" => "pilot platform",
        "new_rd_institution" => "new R&D institution",
        "research_institute" => "research institute",
        "lab" => "laboratory",
        "new_rd" => "new R&D institution",
        other => other,
    }
}

/// Chinese names of the owner types the ranking file values.
fn kind_zh(k: &str) -> &str {
    match k {
        "poc_centre" => "概念验证中心",
        "pilot_platform" => "中试平台",
        "new_rd_institution" => "新型研发机构",
        "research_institute" => "科研院所",
        "lab" => "实验室",
        "university" => "高校",
        "enterprise" => "企业",
        "expert" => "专家",
        "researcher" => "科研人员",
        "broker" => "技术经纪人",
        other => other,
    }
}

/// Share of the asking side's chain nodes the candidate shares (clusters count half when no node is
/// shared).
fn chain_overlap(ctx: &MatchContext, p: &Profile) -> (Option<f32>, (String, String)) {
    if ctx.chain_nodes.is_empty() && ctx.clusters.is_empty() {
        return (
            None,
            ("no chain position given".into(), "未给出产业链位置".into()),
        );
    }
    if p.chain_nodes.is_empty() && p.clusters.is_empty() {
        return (
            None,
            (
                "candidate's chain position unknown".into(),
                "产业链位置不详".into(),
            ),
        );
    }
    let shared = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| b.contains(x)).cloned().collect()
    };
    let nodes = shared(&ctx.chain_nodes, &p.chain_nodes);
    if !nodes.is_empty() {
        let v = nodes.len() as f32 / ctx.chain_nodes.len() as f32;
        return (
            Some(v),
            (
                format!("shares chain nodes {}", nodes.join(", ")),
                format!("同处产业链环节 {}", nodes.join("、")),
            ),
        );
    }
    let clusters = shared(&ctx.clusters, &p.clusters);
    if !clusters.is_empty() {
        let v = 0.5 * clusters.len() as f32 / ctx.clusters.len() as f32;
        return (
            Some(v),
            (
                format!("same cluster {}", clusters.join(", ")),
                format!("同属产业集群 {}", clusters.join("、")),
            ),
        );
    }
    (
        Some(0.0),
        (
            "no shared cluster or chain node".into(),
            "无共同的产业集群或环节".into(),
        ),
    )
}
