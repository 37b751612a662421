//! The taxonomy validator: every rule of `data/chains/README.md`, each problem naming file, item, field
//! and fix, all problems at once.

use std::collections::{HashMap, HashSet};

use crate::taxonomy::{Cluster, Provenance, Tier};

/// One thing wrong with the taxonomy files.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// The item and field, e.g. `node ICV-NEV.battery: parent`.
    pub field: String,
    pub message: String,
    pub fix: String,
}

impl Problem {
    pub fn new(
        file: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.into(),
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {} (fix: {})", self.file, self.message, self.fix)
        } else {
            write!(
                f,
                "{}: {}: {} (fix: {})",
                self.file, self.field, self.message, self.fix
            )
        }
    }
}

fn cluster_code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 24
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && s.starts_with(|c: char| c.is_ascii_uppercase())
}

/// `CLUSTER.slug` with a lower-case slug of letters, digits and '-'.
fn member_code_ok(s: &str, cluster: &str) -> bool {
    match s.split_once('.') {
        Some((c, slug)) => {
            c == cluster
                && !slug.is_empty()
                && slug.len() <= 40
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }
        None => false,
    }
}

fn date_ok(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// IPC prefix: a subclass (`H01M`) or a main group (`H01M 10`), optionally a full group (`H01M 10/48`).
pub fn ipc_prefix_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 4
        || !(b'A'..=b'H').contains(&b[0])
        || !b[1].is_ascii_digit()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_uppercase()
    {
        return false;
    }
    let rest = &s[4..];
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(' ') else {
        return false;
    };
    let (group, sub) = match rest.split_once('/') {
        Some((g, s)) => (g, Some(s)),
        None => (rest, None),
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 6 && t.chars().all(|c| c.is_ascii_digit());
    digits(group) && group.len() <= 4 && sub.is_none_or(digits)
}

/// Every problem with the parsed files; empty when the taxonomy is usable.
pub fn validate(tiers: &[Tier], clusters: &[Cluster], effective_from: &str) -> Vec<Problem> {
    let mut out = vec![];
    let head = "taxonomy.toml";
    if !date_ok(effective_from) {
        out.push(Problem::new(
            head,
            "effective_from",
            format!("'{effective_from}' is not a date"),
            "write YYYY-MM-DD",
        ));
    }
    if tiers.is_empty() {
        out.push(Problem::new(
            head,
            "tier",
            "no tiers",
            "add [[tier]] entries",
        ));
    }
    let mut tier_codes = HashSet::new();
    for t in tiers {
        if !tier_codes.insert(t.code.as_str()) {
            out.push(Problem::new(
                head,
                format!("tier {}", t.code),
                "tier code used twice",
                "give each tier its own code",
            ));
        }
    }

    // Codes unique across the whole taxonomy: clusters, chains and nodes share one namespace.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut all_nodes: HashMap<&str, &str> = HashMap::new();
    for c in clusters {
        let file = c.file.as_str();
        let expected = format!("clusters/{}.toml", c.code);
        if file != expected {
            out.push(Problem::new(
                file,
                "code",
                format!("cluster code '{}' does not match the file name", c.code),
                format!("rename the file to {expected} or fix the code"),
            ));
        }
        if !cluster_code_ok(&c.code) {
            out.push(Problem::new(
                file,
                "code",
                format!("'{}' is not a cluster code", c.code),
                "use upper-case letters, digits and '-', starting with a letter",
            ));
        }
        if let Some(prev) = seen.insert(c.code.as_str(), file) {
            out.push(Problem::new(
                file,
                format!("cluster {}", c.code),
                format!("code already used in {prev}"),
                "give every cluster, chain and node a code of its own",
            ));
        }
        if c.zh.trim().is_empty() || c.en.trim().is_empty() {
            out.push(Problem::new(
                file,
                "zh / en",
                "a cluster needs a Chinese and an English name",
                "fill in zh and en",
            ));
        }
        if c.memberships.is_empty() {
            out.push(Problem::new(
                file,
                "membership",
                "no membership: the document listing this cluster is not named",
                "add a [[membership]] with tier, status, source and effective_from",
            ));
        }
        for (i, m) in c.memberships.iter().enumerate() {
            let field = |f: &str| format!("membership {}: {f}", i + 1);
            if !tier_codes.contains(m.tier.as_str()) {
                out.push(Problem::new(
                    file,
                    field("tier"),
                    format!("unknown tier '{}'", m.tier),
                    format!(
                        "use one of: {}",
                        tiers
                            .iter()
                            .map(|t| t.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if m.source.trim().is_empty() {
                out.push(Problem::new(
                    file,
                    field("source"),
                    "no source document",
                    "name the document (and its address) that lists this cluster",
                ));
            }
            if !date_ok(&m.effective_from) {
                out.push(Problem::new(
                    file,
                    field("effective_from"),
                    format!("'{}' is not a date", m.effective_from),
                    "write YYYY-MM-DD",
                ));
            }
            if let Some(to) = &m.effective_to {
                if !date_ok(to) {
                    out.push(Problem::new(
                        file,
                        field("effective_to"),
                        format!("'{to}' is not a date"),
                        "write YYYY-MM-DD",
                    ));
                } else if date_ok(&m.effective_from) && to.as_str() < m.effective_from.as_str() {
                    out.push(Problem::new(
                        file,
                        field("effective_to"),
                        format!("{to} is before effective_from {}", m.effective_from),
                        "put the end after the start",
                    ));
                }
            }
        }
        if c.chains.is_empty() {
            out.push(Problem::new(
                file,
                "chain",
                "no chain",
                "add a [[chain]] with code, zh and en",
            ));
        }
        let mut chains = HashSet::new();
        for ch in &c.chains {
            if !member_code_ok(&ch.code, &c.code) {
                out.push(Problem::new(
                    file,
                    format!("chain {}", ch.code),
                    "not a chain code",
                    format!("write {}.<slug> with a lower-case slug", c.code),
                ));
            }
            if let Some(prev) = seen.insert(ch.code.as_str(), file) {
                out.push(Problem::new(
                    file,
                    format!("chain {}", ch.code),
                    format!("code already used in {prev}"),
                    "give every cluster, chain and node a code of its own",
                ));
            }
            chains.insert(ch.code.as_str());
        }
        if c.nodes.is_empty() {
            out.push(Problem::new(
                file,
                "node",
                "no node",
                "break the cluster down at least to its main links",
            ));
        }
        for n in &c.nodes {
            let field = |f: &str| format!("node {}: {f}", n.code);
            if !member_code_ok(&n.code, &c.code) {
                out.push(Problem::new(
                    file,
                    field("code"),
                    "not a node code",
                    format!("write {}.<slug> with a lower-case slug", c.code),
                ));
            }
            if let Some(prev) = seen.insert(n.code.as_str(), file) {
                out.push(Problem::new(
                    file,
                    field("code"),
                    format!("code already used in {prev}"),
                    "give every cluster, chain and node a code of its own",
                ));
            }
            all_nodes.insert(n.code.as_str(), file);
            if !chains.contains(n.chain.as_str()) {
                out.push(Problem::new(
                    file,
                    field("chain"),
                    format!("'{}' is not a chain of {}", n.chain, c.code),
                    "name one of this file's [[chain]] codes",
                ));
            }
            if n.zh.trim().is_empty() || n.en.trim().is_empty() {
                out.push(Problem::new(
                    file,
                    field("zh / en"),
                    "a node needs a Chinese and an English name",
                    "fill in zh and en",
                ));
            }
            if !(1..=5).contains(&n.importance) {
                out.push(Problem::new(
                    file,
                    field("importance"),
                    format!("{} is outside 1–5", n.importance),
                    "rate the link 1 (minor) to 5 (critical)",
                ));
            }
            if n.source.trim().is_empty() {
                let fix = match n.provenance {
                    Provenance::Official => "name the official document that names this link",
                    Provenance::Draft => "write \"draft by Shuanglian, to be confirmed\"",
                };
                out.push(Problem::new(
                    file,
                    field("source"),
                    "no provenance source",
                    fix,
                ));
            }
            if n.keywords_zh
                .iter()
                .filter(|k| !k.trim().is_empty())
                .count()
                < 2
                || n.keywords_en
                    .iter()
                    .filter(|k| !k.trim().is_empty())
                    .count()
                    < 1
            {
                out.push(Problem::new(
                    file,
                    field("keywords_zh / keywords_en"),
                    "too few keywords to recognise records about this link",
                    "give at least 2 Chinese and 1 English keyword",
                ));
            }
            for ipc in &n.ipc {
                if !ipc_prefix_ok(ipc) {
                    out.push(Problem::new(
                        file,
                        field("ipc"),
                        format!("'{ipc}' is not an IPC prefix"),
                        "write a subclass (H01M), a main group (H01M 10) or a group (H01M 10/48)",
                    ));
                }
            }
            for code in &n.industry_codes {
                if !(2..=4).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
                    out.push(Problem::new(
                        file,
                        field("industry_codes"),
                        format!("'{code}' is not a GB/T 4754 code"),
                        "write the 2–4 digit class code",
                    ));
                }
            }
        }
    }

    // Parents: same cluster, and the parent tree has no cycle.
    let parent_of: HashMap<&str, &str> = clusters
        .iter()
        .flat_map(|c| c.nodes.iter())
        .filter_map(|n| n.parent.as_deref().map(|p| (n.code.as_str(), p)))
        .collect();
    for c in clusters {
        for n in &c.nodes {
            let Some(p) = n.parent.as_deref() else {
                continue;
            };
            if !c.nodes.iter().any(|m| m.code == p) {
                out.push(Problem::new(
                    &c.file,
                    format!("node {}: parent", n.code),
                    format!("'{p}' is not a node of {}", c.code),
                    "name a node of the same cluster, or leave parent out",
                ));
                continue;
            }
            let mut at = n.code.as_str();
            let mut steps = 0;
            while let Some(&next) = parent_of.get(at) {
                steps += 1;
                if next == n.code || steps > parent_of.len() {
                    out.push(Problem::new(
                        &c.file,
                        format!("node {}: parent", n.code),
                        "the parent chain loops back to this node",
                        "make the parent/child links a tree",
                    ));
                    break;
                }
                at = next;
            }
        }
    }

    // Supply edges: known nodes, no self-loop or duplicate, no cycle without a declared feedback edge.
    let mut edges: HashSet<(&str, &str)> = HashSet::new();
    let mut graph: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in clusters {
        for e in &c.supply {
            let field = format!("supply {} → {}", e.from, e.to);
            let mut ok = true;
            for end in [&e.from, &e.to] {
                if !all_nodes.contains_key(end.as_str()) {
                    ok = false;
                    out.push(Problem::new(
                        &c.file,
                        field.clone(),
                        format!("'{end}' is not a node"),
                        "name node codes that exist (other clusters' nodes are allowed)",
                    ));
                }
            }
            if e.from == e.to {
                ok = false;
                out.push(Problem::new(
                    &c.file,
                    field.clone(),
                    "a node cannot supply itself",
                    "remove the edge",
                ));
            }
            if !edges.insert((e.from.as_str(), e.to.as_str())) {
                out.push(Problem::new(
                    &c.file,
                    field.clone(),
                    "edge listed twice",
                    "keep one",
                ));
            }
            if ok && !e.declared_cycle {
                graph
                    .entry(e.from.as_str())
                    .or_default()
                    .push(e.to.as_str());
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        let file = clusters
            .iter()
            .find(|c| c.supply.iter().any(|e| e.from == cycle[0]))
            .map(|c| c.file.clone())
            .unwrap_or_default();
        out.push(Problem::new(
            file,
            "supply",
            format!("supply edges form a cycle: {}", cycle.join(" → ")),
            "mark the feedback edge of a real loop declared_cycle = true, or remove the wrong edge",
        ));
    }
    out
}

/// A cycle in a directed graph, as the list of nodes from its start back to it, if any.
fn find_cycle<'a>(graph: &HashMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut starts: Vec<&&str> = graph.keys().collect();
    starts.sort();
    for &start in starts {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative depth-first search keeping the path for the report.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Open);
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let succ = graph.get(node).map(|v| v.as_slice()).unwrap_or(&[]);
            if *next < succ.len() {
                let to = succ[*next];
                *next += 1;
                match marks.get(to) {
                    Some(Mark::Open) => {
                        let from = path.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(to);
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(to, Mark::Open);
                        path.push((to, 0));
                    }
                }
            } else {
                marks.insert(node, Mark::Done);
                path.pop();
            }
        }
    }
    None
}
