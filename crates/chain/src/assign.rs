//! Node assignment: which chain links a record belongs to, with a confidence and the evidence for it.
//!
//! Rules first (IPC classes, industry codes, keywords in the record's own words), combined with the
//! semantic similarity between the record's vector and the node's, when vectors exist. Evidence is
//! combined as a noisy-or: each piece is an independent chance that the record is about the link, so
//! more evidence raises the confidence but never past 1. Weights live in `data/chains/assignment.toml`.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use model::Record;
use serde::{Deserialize, Serialize};

use crate::taxonomy::{Node, Taxonomy, ASSIGNMENT_FILE};

/// Weights and thresholds of assignment, from `data/chains/assignment.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignConfig {
    /// Below this a node is not assigned.
    pub min_confidence: f32,
    /// At most this many nodes per record.
    pub max_nodes: usize,
    /// Nodes under this share of the record's best confidence are dropped.
    pub relative_floor: f32,
    pub fields: FieldWeights,
    pub keyword_strength: KeywordStrength,
    pub ipc_subclass: f32,
    pub ipc_group: f32,
    pub industry_code: f32,
    /// Added (noisy-or) when the record declares the node's cluster and other evidence exists.
    pub in_declared_cluster: f32,
    /// Multiplies the confidence when the record declares clusters and this node is in none of them.
    pub outside_declared_clusters: f32,
    pub semantic: SemanticWeights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldWeights {
    pub title: f32,
    pub keywords: f32,
    pub body: f32,
}

/// How much one keyword hit says, by how specific the keyword is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordStrength {
    pub zh_2: f32,
    pub zh_3: f32,
    pub zh_4: f32,
    pub ascii_short: f32,
    pub ascii_word: f32,
    pub ascii_phrase: f32,
}

/// Cosine similarity mapped linearly from `low` (0) to `high` (1), times `weight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticWeights {
    pub low: f32,
    pub high: f32,
    pub weight: f32,
}

impl AssignConfig {
    pub fn shipped() -> AssignConfig {
        AssignConfig::parse(ASSIGNMENT_FILE).expect("the shipped assignment.toml is valid")
    }

    /// Parses and checks every weight, naming the field and the fix.
    pub fn parse(text: &str) -> Result<AssignConfig, String> {
        let c: AssignConfig = toml::from_str(text)
            .map_err(|e| format!("assignment.toml: {}", e.to_string().trim()))?;
        let unit = [
            ("min_confidence", c.min_confidence),
            ("relative_floor", c.relative_floor),
            ("ipc_subclass", c.ipc_subclass),
            ("ipc_group", c.ipc_group),
            ("industry_code", c.industry_code),
            ("in_declared_cluster", c.in_declared_cluster),
            ("outside_declared_clusters", c.outside_declared_clusters),
            ("fields.title", c.fields.title),
            ("fields.keywords", c.fields.keywords),
            ("fields.body", c.fields.body),
            ("keyword_strength.zh_2", c.keyword_strength.zh_2),
            ("keyword_strength.zh_3", c.keyword_strength.zh_3),
            ("keyword_strength.zh_4", c.keyword_strength.zh_4),
            (
                "keyword_strength.ascii_short",
                c.keyword_strength.ascii_short,
            ),
            ("keyword_strength.ascii_word", c.keyword_strength.ascii_word),
            (
                "keyword_strength.ascii_phrase",
                c.keyword_strength.ascii_phrase,
            ),
            ("semantic.weight", c.semantic.weight),
        ];
        for (name, v) in unit {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "assignment.toml: {name} = {v} is outside 0–1 (fix: write a value from 0 to 1)"
                ));
            }
        }
        if c.max_nodes == 0 {
            return Err("assignment.toml: max_nodes = 0 (fix: allow at least 1 node)".into());
        }
        let ordered =
            c.semantic.low.partial_cmp(&c.semantic.high) == Some(std::cmp::Ordering::Less);
        if !ordered || !(-1.0..=1.0).contains(&c.semantic.low) {
            return Err(format!(
                "assignment.toml: semantic.low {} must be below semantic.high {} within −1–1 (fix: e.g. low = 0.80, high = 0.90)",
                c.semantic.low, c.semantic.high
            ));
        }
        Ok(c)
    }
}

/// What a record says about itself, as assignment reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub title: String,
    pub keywords: Vec<String>,
    pub body: String,
    pub ipc: Vec<String>,
    pub industry_codes: Vec<String>,
    pub clusters: Vec<String>,
    /// Node codes the record itself names (`chain_nodes` in the import file).
    pub declared: Vec<String>,
}

impl Subject {
    /// The record's own words. A person's name and an outcome's owners say nothing about the link.
    pub fn of(record: &Record) -> Subject {
        match record {
            Record::Organization(o) => Subject {
                title: o.name.clone(),
                keywords: o.products.clone(),
                body: [o.description.as_deref(), o.business_scope.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n"),
                ipc: vec![],
                industry_codes: o.industry_codes.clone(),
                clusters: o.clusters.clone(),
                declared: o.chain_nodes.clone(),
            },
            Record::Outcome(o) => Subject {
                title: o.title.clone(),
                keywords: o.keywords.clone(),
                body: o.abstract_text.clone().unwrap_or_default(),
                ipc: o.ipc.iter().map(|c| c.as_str().to_string()).collect(),
                industry_codes: vec![],
                clusters: o.clusters.clone(),
                declared: o.chain_nodes.clone(),
            },
            Record::Demand(d) => Subject {
                title: d.title.clone(),
                keywords: d.keywords.clone(),
                body: format!("{}\n{}", d.problem, d.target_metrics.join("\n")),
                ipc: vec![],
                industry_codes: vec![],
                clusters: d.clusters.clone(),
                declared: d.chain_nodes.clone(),
            },
            Record::Person(p) => Subject {
                title: String::new(),
                keywords: p.fields.clone(),
                body: p.bio.clone().unwrap_or_default(),
                ipc: vec![],
                industry_codes: vec![],
                clusters: p.clusters.clone(),
                declared: p.chain_nodes.clone(),
            },
        }
    }
}

/// How an assignment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// IPC, industry code or keyword rules only.
    Rules,
    /// Semantic similarity only.
    Semantic,
    /// Both.
    Combined,
    /// The record's own `chain_nodes`.
    Declared,
    /// A person's override; always wins.
    Manual,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Rules => "rules",
            Method::Semantic => "semantic",
            Method::Combined => "combined",
            Method::Declared => "declared",
            Method::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        [
            Method::Rules,
            Method::Semantic,
            Method::Combined,
            Method::Declared,
            Method::Manual,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// One reason a record was put on a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `keyword`, `ipc`, `industry_code`, `cluster`, `semantic`, `declared`, `manual`.
    pub kind: String,
    /// What matched, e.g. `电池管理系统 (title)` or `H01M 10/48 ∈ H01M 10`.
    pub detail: String,
    pub weight: f32,
}

/// A record on a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub node: String,
    pub confidence: f32,
    pub method: Method,
    pub evidence: Vec<Evidence>,
}

struct Pattern {
    node: usize,
    keyword: String,
    /// Needs ASCII word boundaries (an English word or an acronym).
    ascii: bool,
    strength: f32,
}

/// Assigns records to the nodes of one taxonomy. Built once; cheap per record.
pub struct Assigner<'t> {
    taxonomy: &'t Taxonomy,
    nodes: Vec<&'t Node>,
    config: AssignConfig,
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    /// Unit vectors of the nodes' profile texts, when the encoder is available.
    node_vectors: Option<Vec<Vec<f32>>>,
}

fn noisy_or(parts: impl IntoIterator<Item = f32>) -> f32 {
    1.0 - parts
        .into_iter()
        .fold(1.0, |acc, p| acc * (1.0 - p.clamp(0.0, 1.0)))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

impl<'t> Assigner<'t> {
    pub fn new(taxonomy: &'t Taxonomy, config: AssignConfig) -> Assigner<'t> {
        let nodes: Vec<&Node> = taxonomy.nodes().collect();
        let ks = &config.keyword_strength;
        let mut patterns = vec![];
        let mut seen = std::collections::HashSet::new();
        for (i, n) in nodes.iter().enumerate() {
            for kw in n.keywords_zh.iter().chain(n.keywords_en.iter()) {
                let k = kw.trim().to_lowercase();
                if k.is_empty() || !seen.insert((i, k.clone())) {
                    continue;
                }
                let ascii = k.is_ascii();
                let strength = if ascii {
                    if k.contains(' ') || k.contains('-') {
                        ks.ascii_phrase
                    } else if k.len() <= 4 {
                        ks.ascii_short
                    } else {
                        ks.ascii_word
                    }
                } else {
                    match k.chars().filter(|c| !c.is_ascii()).count() {
                        0..=2 => ks.zh_2,
                        3 => ks.zh_3,
                        _ => ks.zh_4,
                    }
                };
                patterns.push(Pattern {
                    node: i,
                    keyword: k,
                    ascii,
                    strength,
                });
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|p| p.keyword.as_str()))
            .expect("keyword automaton");
        Assigner {
            taxonomy,
            nodes,
            config,
            automaton,
            patterns,
            node_vectors: None,
        }
    }

    /// The text each node is embedded from, in the order `with_node_vectors` expects.
    pub fn node_texts(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.profile_text()).collect()
    }

    /// Enables semantic similarity: one unit vector per node, in `node_texts` order.
    pub fn with_node_vectors(mut self, vectors: Vec<Vec<f32>>) -> Self {
        if vectors.len() == self.nodes.len() {
            self.node_vectors = Some(vectors);
        }
        self
    }

    pub fn semantic(&self) -> bool {
        self.node_vectors.is_some()
    }

    pub fn config(&self) -> &AssignConfig {
        &self.config
    }

    /// The nodes a record belongs to, best first. `vector` is the record's unit passage vector.
    pub fn assign(&self, s: &Subject, vector: Option<&[f32]>) -> Vec<Assignment> {
        let cfg = &self.config;
        let mut evidence: HashMap<usize, Vec<Evidence>> = HashMap::new();

        // Keywords: each distinct keyword counts once, in the field where it says most.
        let fields = [
            (s.title.to_lowercase(), cfg.fields.title, "title"),
            (
                s.keywords.join(" | ").to_lowercase(),
                cfg.fields.keywords,
                "keywords",
            ),
            (s.body.to_lowercase(), cfg.fields.body, "text"),
        ];
        let mut best_hit: HashMap<usize, (f32, &str)> = HashMap::new();
        for (text, weight, name) in &fields {
            if text.is_empty() || *weight == 0.0 {
                continue;
            }
            for m in self.automaton.find_overlapping_iter(text.as_str()) {
                let p = &self.patterns[m.pattern().as_usize()];
                if p.ascii {
                    let before = text[..m.start()].chars().next_back();
                    let after = text[m.end()..].chars().next();
                    let starts_word = p.keyword.chars().next().is_some_and(is_word_char);
                    let ends_word = p.keyword.chars().next_back().is_some_and(is_word_char);
                    if (starts_word && before.is_some_and(is_word_char))
                        || (ends_word && after.is_some_and(is_word_char))
                    {
                        continue;
                    }
                }
                let w = p.strength * weight;
                let e = best_hit
                    .entry(m.pattern().as_usize())
                    .or_insert((0.0, name));
                if w > e.0 {
                    *e = (w, name);
                }
            }
        }
        for (pi, (w, field)) in best_hit {
            let p = &self.patterns[pi];
            evidence.entry(p.node).or_default().push(Evidence {
                kind: "keyword".into(),
                detail: format!("{} ({field})", p.keyword),
                weight: w,
            });
        }

        // IPC classes: a main-group prefix says more than a subclass, and a class that several nodes
        // claim says less about each of them (divided by the square root of how many).
        for code in &s.ipc {
            let code = code.trim();
            let mut matched: Vec<(usize, f32, &str)> = vec![];
            for (i, n) in self.nodes.iter().enumerate() {
                let mut best: Option<(f32, &str)> = None;
                for prefix in &n.ipc {
                    let w = if prefix.len() > 4 {
                        let hit = code == prefix
                            || code
                                .strip_prefix(prefix.as_str())
                                .is_some_and(|r| r.starts_with('/'));
                        hit.then_some(cfg.ipc_group)
                    } else {
                        code.starts_with(prefix.as_str())
                            .then_some(cfg.ipc_subclass)
                    };
                    if let Some(w) = w {
                        if best.is_none_or(|(b, _)| w > b) {
                            best = Some((w, prefix));
                        }
                    }
                }
                if let Some((w, prefix)) = best {
                    matched.push((i, w, prefix));
                }
            }
            let share = (matched.len().max(1) as f32).sqrt();
            for (i, w, prefix) in matched {
                evidence.entry(i).or_default().push(Evidence {
                    kind: "ipc".into(),
                    detail: format!("{code} ∈ {prefix}"),
                    weight: w / share,
                });
            }
        }

        // Industry classification: the record's code equals or lies under the node's.
        for code in &s.industry_codes {
            for (i, n) in self.nodes.iter().enumerate() {
                if let Some(c) = n
                    .industry_codes
                    .iter()
                    .find(|c| code.starts_with(c.as_str()))
                {
                    evidence.entry(i).or_default().push(Evidence {
                        kind: "industry_code".into(),
                        detail: format!("{code} ∈ {c}"),
                        weight: cfg.industry_code,
                    });
                }
            }
        }

        // Semantic similarity between the record and the node.
        let mut semantic: HashMap<usize, f32> = HashMap::new();
        if let (Some(nv), Some(v)) = (&self.node_vectors, vector) {
            let sw = &cfg.semantic;
            for (i, n) in nv.iter().enumerate() {
                let cos: f32 = n.iter().zip(v).map(|(a, b)| a * b).sum();
                let s = ((cos - sw.low) / (sw.high - sw.low)).clamp(0.0, 1.0);
                if s > 0.0 {
                    semantic.insert(i, cos);
                    evidence.entry(i).or_default().push(Evidence {
                        kind: "semantic".into(),
                        detail: format!("cosine {cos:.3}"),
                        weight: s * sw.weight,
                    });
                }
            }
        }

        let declared_clusters: Vec<String> =
            s.clusters.iter().map(|c| c.trim().to_uppercase()).collect();
        let mut scored: Vec<Assignment> = vec![];
        for (i, mut ev) in evidence {
            let node = self.nodes[i];
            let rules = ev.iter().any(|e| e.kind != "semantic");
            let mut conf = noisy_or(ev.iter().map(|e| e.weight));
            if !declared_clusters.is_empty() {
                if declared_clusters.iter().any(|c| c == node.cluster()) {
                    conf = noisy_or([conf, cfg.in_declared_cluster]);
                    ev.push(Evidence {
                        kind: "cluster".into(),
                        detail: format!("declares {}", node.cluster()),
                        weight: cfg.in_declared_cluster,
                    });
                } else {
                    conf *= cfg.outside_declared_clusters;
                    ev.push(Evidence {
                        kind: "cluster".into(),
                        detail: format!(
                            "declares {}, not {}",
                            declared_clusters.join("/"),
                            node.cluster()
                        ),
                        weight: -(1.0 - cfg.outside_declared_clusters),
                    });
                }
            }
            let method = match (rules, semantic.contains_key(&i)) {
                (true, true) => Method::Combined,
                (false, true) => Method::Semantic,
                _ => Method::Rules,
            };
            ev.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            scored.push(Assignment {
                node: node.code.clone(),
                confidence: conf,
                method,
                evidence: ev,
            });
        }
        scored.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.node.cmp(&b.node))
        });
        let best = scored.first().map(|a| a.confidence).unwrap_or(0.0);
        scored.retain(|a| {
            a.confidence >= cfg.min_confidence && a.confidence >= cfg.relative_floor * best
        });
        // The most specific link wins: a parent is dropped when one of its children is kept.
        let kept: Vec<String> = scored.iter().map(|a| a.node.clone()).collect();
        scored.retain(|a| {
            !kept.iter().any(|k| {
                self.taxonomy
                    .node(k)
                    .and_then(|n| n.parent.as_deref())
                    .is_some_and(|p| p == a.node)
            })
        });
        scored.truncate(cfg.max_nodes);

        // What the record declares itself is kept whatever the rules say.
        for code in &s.declared {
            let code = code.trim();
            if self.taxonomy.node(code).is_none() {
                continue;
            }
            scored.retain(|a| a.node != code);
            scored.insert(
                0,
                Assignment {
                    node: code.to_string(),
                    confidence: 1.0,
                    method: Method::Declared,
                    evidence: vec![Evidence {
                        kind: "declared".into(),
                        detail: "chain_nodes in the record".into(),
                        weight: 1.0,
                    }],
                },
            );
        }
        scored
    }
}
