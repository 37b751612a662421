//! The taxonomy: clusters, their memberships in the 33618 / 6+3 lists, chains, nodes and supply edges.
//! Read from TOML data files (`data/chains`), validated as a whole before anyone can use it.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::validate::{validate, Problem};

include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

/// Where a node sits in its chain.
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
pub enum Stage {
    Upstream,
    Midstream,
    Downstream,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Upstream, Stage::Midstream, Stage::Downstream];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Upstream => "upstream",
            Stage::Midstream => "midstream",
            Stage::Downstream => "downstream",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Upstream => "上游",
            Stage::Midstream => "中游",
            Stage::Downstream => "下游",
        }
    }
}

/// Whether a listing has been seen in a public source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Unconfirmed,
}

/// Where a node's definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Named in an official (or faithfully reprinted) document.
    Official,
    /// Drafted by Shuanglian; to be confirmed against an official breakdown.
    Draft,
}

/// A group of clusters a document defines (trillion-level, rising star, future priority…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub rank: u32,
}

/// One document's listing of a cluster in a tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub tier: String,
    pub status: Status,
    pub source: String,
    pub effective_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A chain within a cluster (a cluster such as electronics holds several).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// A link (环节) of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub code: String,
    pub chain: String,
    pub zh: String,
    pub en: String,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub importance: u8,
    #[serde(default)]
    pub keywords_zh: Vec<String>,
    #[serde(default)]
    pub keywords_en: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipc: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industry_codes: Vec<String>,
    pub provenance: Provenance,
    #[serde(default)]
    pub source: String,
}

impl Node {
    /// The cluster code is the part before the first '.'.
    pub fn cluster(&self) -> &str {
        self.code.split('.').next().unwrap_or("")
    }

    /// The text a node is described by, for semantic matching and lexical queries.
    pub fn profile_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.zh,
            self.en,
            self.keywords_zh.join(" "),
            self.keywords_en.join(" ")
        )
    }
}

/// "from" supplies "to".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supply {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub declared_cycle: bool,
}

impl Cluster {
    /// A node's code followed by every node below it (children, their children…), each once.
    pub fn with_descendants(&self, code: &str) -> Vec<String> {
        let mut codes = vec![code.to_string()];
        let mut i = 0;
        while i < codes.len() {
            let at = codes[i].clone();
            for n in &self.nodes {
                if n.parent.as_deref() == Some(at.as_str()) && !codes.contains(&n.code) {
                    codes.push(n.code.clone());
                }
            }
            i += 1;
        }
        codes
    }
}

/// One cluster file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub code: String,
    pub zh: String,
    pub en: String,
    #[serde(default, rename = "membership")]
    pub memberships: Vec<Membership>,
    #[serde(default, rename = "chain")]
    pub chains: Vec<Chain>,
    #[serde(default, rename = "node")]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub supply: Vec<Supply>,
    /// The file it was read from (for error messages); not part of the data.
    #[serde(skip)]
    pub file: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    version: String,
    effective_from: String,
    #[serde(default, rename = "tier")]
    tiers: Vec<Tier>,
}

/// The whole, validated taxonomy.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub version: String,
    pub effective_from: String,
    pub tiers: Vec<Tier>,
    /// Ordered by the best tier rank of their memberships, then code.
    pub clusters: Vec<Cluster>,
    /// SHA-256 over every file: assignments made under another fingerprint are redone.
    pub fingerprint: String,
    nodes: HashMap<String, (usize, usize)>,
}

/// A taxonomy that could not be read: every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("the chain taxonomy has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct TaxonomyError(pub Vec<Problem>);

impl Taxonomy {
    /// The taxonomy compiled into this binary from `data/chains`.
    pub fn shipped() -> Result<Taxonomy, TaxonomyError> {
        let clusters = CLUSTER_FILES
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        Taxonomy::from_sources(("taxonomy.toml", TAXONOMY_FILE), clusters)
    }

    /// An edited taxonomy: `DIR/taxonomy.toml` and `DIR/clusters/*.toml`.
    pub fn load_dir(dir: &Path) -> Result<Taxonomy, TaxonomyError> {
        let problem = |file: String, message: String| {
            TaxonomyError(vec![Problem::new(
                file,
                "",
                message,
                "give a directory holding taxonomy.toml and clusters/*.toml",
            )])
        };
        let tax_path = dir.join("taxonomy.toml");
        let tax = std::fs::read_to_string(&tax_path)
            .map_err(|e| problem(tax_path.display().to_string(), e.to_string()))?;
        let cdir = dir.join("clusters");
        let entries = std::fs::read_dir(&cdir)
            .map_err(|e| problem(cdir.display().to_string(), e.to_string()))?;
        let mut files = vec![];
        for e in entries {
            let path = e
                .map_err(|e| problem(cdir.display().to_string(), e.to_string()))?
                .path();
            if path.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| problem(path.display().to_string(), e.to_string()))?;
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                files.push((name, text));
            }
        }
        Taxonomy::from_sources(("taxonomy.toml", &tax), files)
    }

    /// Parses and validates: either the whole taxonomy is usable or every problem is reported.
    pub fn from_sources(
        taxonomy: (&str, &str),
        mut cluster_files: Vec<(String, String)>,
    ) -> Result<Taxonomy, TaxonomyError> {
        cluster_files.sort();
        let mut hasher = Sha256::new();
        hasher.update(taxonomy.1.as_bytes());
        let mut problems = vec![];
        let head: Option<TaxonomyFile> = match toml::from_str(taxonomy.1) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(Problem::new(
                    taxonomy.0,
                    "",
                    format!("not valid: {}", e.to_string().trim()),
                    "follow the schema in data/chains/README.md",
                ));
                None
            }
        };
        let mut clusters = vec![];
        for (name, text) in &cluster_files {
            hasher.update([0u8]);
            hasher.update(name.as_bytes());
            hasher.update([0u8]);
            hasher.update(text.as_bytes());
            match toml::from_str::<Cluster>(text) {
                Ok(mut c) => {
                    c.file = format!("clusters/{name}");
                    clusters.push(c);
                }
                Err(e) => problems.push(Problem::new(
                    format!("clusters/{name}"),
                    "",
                    format!("not valid: {}", e.to_string().trim()),
                    "follow the schema in data/chains/README.md",
                )),
            }
        }
        let Some(head) = head else {
            return Err(TaxonomyError(problems));
        };
        problems.extend(validate(&head.tiers, &clusters, &head.effective_from));
        if !problems.is_empty() {
            return Err(TaxonomyError(problems));
        }
        let rank: HashMap<&str, u32> = head
            .tiers
            .iter()
            .map(|t| (t.code.as_str(), t.rank))
            .collect();
        let best = |c: &Cluster| {
            c.memberships
                .iter()
                .map(|m| rank.get(m.tier.as_str()).copied().unwrap_or(u32::MAX))
                .min()
                .unwrap_or(u32::MAX)
        };
        clusters.sort_by(|a, b| best(a).cmp(&best(b)).then_with(|| a.code.cmp(&b.code)));
        let mut nodes = HashMap::new();
        for (ci, c) in clusters.iter().enumerate() {
            for (ni, n) in c.nodes.iter().enumerate() {
                nodes.insert(n.code.clone(), (ci, ni));
            }
        }
        let fingerprint = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Taxonomy {
            version: head.version,
            effective_from: head.effective_from,
            tiers: head.tiers,
            clusters,
            fingerprint,
            nodes,
        })
    }

    pub fn cluster(&self, code: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn node(&self, code: &str) -> Option<&Node> {
        self.nodes
            .get(code)
            .map(|&(c, n)| &self.clusters[c].nodes[n])
    }

    /// Every node of every cluster, in file order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.clusters.iter().flat_map(|c| c.nodes.iter())
    }

    pub fn tier(&self, code: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.code == code)
    }

    /// The children of a node, in file order.
    pub fn children<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes()
            .filter(move |n| n.parent.as_deref() == Some(code))
    }

    /// Every supply edge of every cluster.
    pub fn supply_edges(&self) -> impl Iterator<Item = &Supply> {
        self.clusters.iter().flat_map(|c| c.supply.iter())
    }
}
