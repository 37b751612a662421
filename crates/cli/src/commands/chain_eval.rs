//! `shuanglian chain eval-assign`: how well the assignment rules put labelled records on their
//! chain nodes (precision, recall and F1 per split).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use chain::Taxonomy;
use engine::chains::{self, ChainMap};
use model::{Record, RecordKind};
use store::Store;

/// One labelled record.
struct Label {
    split: String,
    kind: String,
    key: String,
    nodes: Vec<String>,
}

fn read_labels(text: &str, file: &str, t: &Taxonomy) -> anyhow::Result<Vec<Label>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers()?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| {
            format!("{file}: no column '{name}' (fix: header split,kind,key,nodes,note)")
        })
    };
    let (cs, ck, ckey, cn) = (col("split")?, col("kind")?, col("key")?, col("nodes")?);
    let mut out = vec![];
    for (i, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{file}: line {}", i + 2))?;
        let nodes: Vec<String> = row[cn]
            .split(';')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "none")
            .collect();
        for n in &nodes {
            if t.node(n).is_none() {
                bail!(
                    "{file}: line {}, field nodes: '{n}' is not a node of this taxonomy (fix: a code from `shuanglian chain list`)",
                    i + 2
                );
            }
        }
        out.push(Label {
            split: row[cs].to_string(),
            kind: row[ck].to_string(),
            key: row[ckey].to_string(),
            nodes,
        });
    }
    Ok(out)
}

/// The record a label names: organization by name, outcome by title, demand by code, person by name.
fn record_key(r: &Record) -> String {
    match r {
        Record::Organization(o) => o.name.clone(),
        Record::Outcome(o) => o.title.clone(),
        Record::Demand(d) => d.code.clone().unwrap_or_else(|| d.title.clone()),
        Record::Person(p) => p.name.clone(),
    }
}

/// Precision and recall of the stored assignments against labels.
#[derive(Debug, serde::Serialize)]
pub struct AssignEval {
    pub split: String,
    pub labelled: usize,
    pub found: usize,
    pub assignments: usize,
    /// Assigned nodes the label names exactly.
    pub exact: usize,
    /// Assigned nodes the label names, or a parent or child of a labelled node.
    pub related: usize,
    pub precision: f64,
    pub precision_lenient: f64,
    /// Labelled nodes that were assigned (exactly).
    pub recall: f64,
    /// Records labelled `none` that got no node.
    pub none_kept_empty: usize,
    pub none_labelled: usize,
    pub semantic: bool,
}

pub(super) async fn eval_assign(
    store: &Store,
    map: &ChainMap,
    all: &store::DemandPass,
    labels: Option<&Path>,
    split: &str,
    json: bool,
) -> anyhow::Result<u8> {
    if !matches!(split, "dev" | "test" | "all") {
        bail!("--split {split}: use dev, test or all");
    }
    let (file, text) = match labels {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ),
        None => (
            "data/chains/labels/demo-sample.csv".to_string(),
            include_str!("../../../../data/chains/labels/demo-sample.csv").to_string(),
        ),
    };
    let labels: Vec<Label> = read_labels(&text, &file, &map.taxonomy)?
        .into_iter()
        .filter(|l| split == "all" || l.split == split)
        .collect();
    // Evaluate what is stored, brought up to date the way it was made (an `assign --lexical-only`
    // run stays rules-only).
    let semantic = store.chain_state("semantic").await?.as_deref() != Some("0");
    let run = chains::sync_assignments_with(store, map, None, false, semantic).await?;
    let semantic = run.semantic;
    // Index the store's records by (kind, key).
    let mut ids: HashMap<(String, String), (RecordKind, i64)> = HashMap::new();
    for kind in RecordKind::ALL {
        let mut pages = store.pages_with(kind, 2000, all);
        while let Some(page) = pages.next().await? {
            for s in page {
                ids.entry((kind.as_str().to_string(), record_key(&s.record)))
                    .or_insert((kind, s.id));
            }
        }
    }
    let related = |a: &str, b: &str| {
        a == b
            || map.taxonomy.node(a).and_then(|n| n.parent.as_deref()) == Some(b)
            || map.taxonomy.node(b).and_then(|n| n.parent.as_deref()) == Some(a)
    };
    let mut e = AssignEval {
        split: split.to_string(),
        labelled: labels.len(),
        found: 0,
        assignments: 0,
        exact: 0,
        related: 0,
        precision: 0.0,
        precision_lenient: 0.0,
        recall: 0.0,
        none_kept_empty: 0,
        none_labelled: 0,
        semantic,
    };
    let mut labelled_nodes = 0usize;
    let mut hit_nodes = 0usize;
    for l in &labels {
        let Some(&(kind, id)) = ids.get(&(l.kind.clone(), l.key.clone())) else {
            continue;
        };
        e.found += 1;
        let got: Vec<String> = store
            .chain_assignments_of(kind.as_str(), id)
            .await?
            .into_iter()
            .map(|r| r.node)
            .collect();
        if l.nodes.is_empty() {
            e.none_labelled += 1;
            if got.is_empty() {
                e.none_kept_empty += 1;
            }
        }
        e.assignments += got.len();
        e.exact += got.iter().filter(|g| l.nodes.contains(g)).count();
        e.related += got
            .iter()
            .filter(|g| l.nodes.iter().any(|n| related(g, n)))
            .count();
        labelled_nodes += l.nodes.len();
        hit_nodes += l.nodes.iter().filter(|n| got.contains(n)).count();
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    e.precision = ratio(e.exact, e.assignments);
    e.precision_lenient = ratio(e.related, e.assignments);
    e.recall = ratio(hit_nodes, labelled_nodes);
    if json {
        println!("{}", serde_json::to_string(&e)?);
    } else {
        println!(
            "split {}: {} labelled, {} found in the store; {} assignments; precision {:.3} (exact node), {:.3} (node, parent or child); recall {:.3}; 'none' kept empty {}/{}; {}",
            e.split,
            e.labelled,
            e.found,
            e.assignments,
            e.precision,
            e.precision_lenient,
            e.recall,
            e.none_kept_empty,
            e.none_labelled,
            if e.semantic { "rules + semantic" } else { "rules only" }
        );
    }
    if e.found < e.labelled {
        eprintln!(
            "warning: {} labelled records are not in this store (load the demo data: `shuanglian demo --no-serve`)",
            e.labelled - e.found
        );
    }
    Ok(0)
}
