//! `shuanglian chain list|validate|assign|gaps|fillers|override|eval-assign`: the industrial-chain map
//! from the command line.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context};
use chain::{ClusterGaps, Filler, GapStatus, Taxonomy};
use engine::chains::{self, ChainMap, DemandScope};
use model::{Confidentiality, Record, RecordKind};
use store::Store;

use crate::args::{ChainCommand, ChainMapArgs, ChainScopeArgs, Global};

pub async fn run(global: &Global, command: ChainCommand) -> anyhow::Result<u8> {
    match command {
        ChainCommand::Validate { dir } => validate(dir.as_deref()),
        ChainCommand::List { cluster, map, json } => {
            let map = open_map(&map)?;
            list(&map.taxonomy, cluster.as_deref(), json)
        }
        ChainCommand::Assign {
            full,
            lexical_only,
            map,
            encoder,
            json,
        } => {
            let store = super::open_store(global).await?;
            let all = super::issuer(&store)?.demands_everything();
            let map = open_map(&map)?.with_demands(all.clone());
            let dir = super::data_dir(global);
            let enc = if lexical_only {
                None
            } else {
                super::encode::load(&dir, &encoder).ok()
            };
            let started = std::time::Instant::now();
            let run = chains::sync_assignments_with(
                &store,
                &map,
                enc.as_ref().map(|e| e as &dyn engine::Embedder),
                full,
                !lexical_only,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string(&run)?);
            } else {
                println!(
                    "{} run: {} records reassigned, {} on a node, {} assignments ({}; {} overrides) in {:.2}s",
                    if run.full { "full" } else { "incremental" },
                    run.records,
                    run.assigned_records,
                    run.assignments,
                    if run.semantic {
                        "rules + semantic similarity"
                    } else {
                        "rules only: no encoder or no node vectors"
                    },
                    run.overrides,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(0)
        }
        ChainCommand::Gaps {
            cluster,
            scope,
            map,
            json,
        } => {
            let store = super::open_store(global).await?;
            let all = super::issuer(&store)?.demands_everything();
            let map = open_map(&map)?.with_demands(all.clone());
            gaps(&store, &map, cluster.as_deref(), &scope, json).await
        }
        ChainCommand::Fillers {
            node,
            scope,
            limit,
            map,
            lexical_only,
            encoder,
            json,
        } => {
            let store = super::open_store(global).await?;
            let all = super::issuer(&store)?.demands_everything();
            let map = open_map(&map)?.with_demands(all.clone());
            let dir = super::data_dir(global);
            fillers(
                &store,
                &dir,
                &map,
                &node,
                &scope,
                limit as usize,
                lexical_only,
                &encoder,
                json,
            )
            .await
        }
        ChainCommand::Override {
            kind,
            id,
            node,
            action,
            note,
            map,
        } => {
            let store = super::open_store(global).await?;
            let all = super::issuer(&store)?.demands_everything();
            let map = open_map(&map)?.with_demands(all.clone());
            chains::sync_assignments(&store, &map, None, false).await?;
            if action == "clear" {
                if store.delete_chain_override(&kind, id, &node).await? {
                    if let Some(k) = engine::indexing::outbox_kind(&kind) {
                        chains::reassign_record(&store, &map, k, id).await?;
                    }
                    println!("decision on {kind} {id} / {node} cleared; the rules decide again");
                } else {
                    println!("no decision on {kind} {id} / {node}");
                }
                return Ok(0);
            }
            let o = store::ChainOverride {
                record_kind: kind.clone(),
                record_id: id,
                node: node.clone(),
                action: action.clone(),
                note,
                created_by: crate::config::operator(),
                created_at: chrono::Utc::now().timestamp(),
            };
            chains::set_override(&store, &map, &o).await?;
            println!("{kind} {id}: {action} {node} (kept over every rule)");
            Ok(0)
        }
        ChainCommand::EvalAssign {
            labels,
            split,
            map,
            json,
        } => {
            let store = super::open_store(global).await?;
            let all = super::issuer(&store)?.demands_everything();
            let map = open_map(&map)?.with_demands(all.clone());
            super::chain_eval::eval_assign(&store, &map, &all, labels.as_deref(), &split, json)
                .await
        }
    }
}

fn open_map(args: &ChainMapArgs) -> anyhow::Result<ChainMap> {
    Ok(ChainMap::open(args.taxonomy.as_deref())?)
}

fn validate(dir: Option<&Path>) -> anyhow::Result<u8> {
    let result = match dir {
        Some(d) => Taxonomy::load_dir(d),
        None => Taxonomy::shipped(),
    };
    match result {
        Ok(t) => {
            let nodes = t.nodes().count();
            let edges = t.supply_edges().count();
            println!(
                "taxonomy {} is valid: {} clusters, {} nodes, {} supply edges, fingerprint {}",
                t.version,
                t.clusters.len(),
                nodes,
                edges,
                &t.fingerprint[..12]
            );
            Ok(0)
        }
        Err(e) => {
            for p in &e.0 {
                println!("problem: {p}");
            }
            println!("{} problem(s)", e.0.len());
            Ok(1)
        }
    }
}

fn list(t: &Taxonomy, cluster: Option<&str>, json: bool) -> anyhow::Result<u8> {
    match cluster {
        None => {
            if json {
                let v: Vec<serde_json::Value> = t
                    .clusters
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "code": c.code, "zh": c.zh, "en": c.en,
                            "memberships": c.memberships,
                            "nodes": c.nodes.len(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(0);
            }
            println!(
                "taxonomy {} (effective {}), {} clusters",
                t.version,
                t.effective_from,
                t.clusters.len()
            );
            for c in &t.clusters {
                let m: Vec<String> = c
                    .memberships
                    .iter()
                    .map(|m| {
                        let tier = t.tier(&m.tier).map(|x| x.zh.as_str()).unwrap_or(&m.tier);
                        let status = match m.status {
                            chain::Status::Confirmed => "已确认",
                            chain::Status::Unconfirmed => "待确认",
                        };
                        format!("{tier}·{status}·{}起", m.effective_from)
                    })
                    .collect();
                println!(
                    "{:<10} {} / {} — {} nodes — {}",
                    c.code,
                    c.zh,
                    c.en,
                    c.nodes.len(),
                    m.join("; ")
                );
            }
        }
        Some(code) => {
            let Some(c) = t.cluster(code) else {
                bail!("no cluster '{code}': `shuanglian chain list` shows the codes");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(c)?);
                return Ok(0);
            }
            println!("{} {} / {}", c.code, c.zh, c.en);
            for m in &c.memberships {
                println!(
                    "  listed as {} ({:?}) from {}{}: {}",
                    m.tier,
                    m.status,
                    m.effective_from,
                    m.effective_to
                        .as_deref()
                        .map(|t| format!(" to {t}"))
                        .unwrap_or_default(),
                    m.source
                );
            }
            for stage in chain::Stage::ALL {
                println!("{}（{}）", stage.label_zh(), stage.as_str());
                for n in c.nodes.iter().filter(|n| n.stage == stage) {
                    let indent = if n.parent.is_some() { "    " } else { "  " };
                    println!(
                        "{indent}{:<28} {} / {}  [重要度 {}; {}]",
                        n.code,
                        n.zh,
                        n.en,
                        n.importance,
                        match n.provenance {
                            chain::Provenance::Official => format!("official: {}", n.source),
                            chain::Provenance::Draft => "draft, to be confirmed".into(),
                        }
                    );
                }
            }
            let edges: Vec<String> = c
                .supply
                .iter()
                .map(|e| {
                    format!(
                        "{} → {}{}",
                        e.from,
                        e.to,
                        if e.declared_cycle { " (feedback)" } else { "" }
                    )
                })
                .collect();
            println!("supply: {}", edges.join(", "));
        }
    }
    Ok(0)
}

fn as_of(scope: &ChainScopeArgs) -> anyhow::Result<chrono::NaiveDate> {
    match &scope.as_of {
        None => Ok(chrono::Local::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("--as-of {s}: write a date as YYYY-MM-DD")),
    }
}

/// The command line has no signed-in user: needs count as pressure only when public.
async fn public_demands(store: &Store) -> anyhow::Result<HashSet<i64>> {
    let mut ids = HashSet::new();
    let mut pages = store.pages(RecordKind::Demand, 2000);
    while let Some(page) = pages.next().await? {
        for s in page {
            if let Record::Demand(d) = &s.record {
                if d.confidentiality == Confidentiality::Public {
                    ids.insert(s.id);
                }
            }
        }
    }
    Ok(ids)
}

async fn gaps(
    store: &Store,
    map: &ChainMap,
    cluster: Option<&str>,
    scope: &ChainScopeArgs,
    json: bool,
) -> anyhow::Result<u8> {
    let region = chains::analysis_region(scope.region.as_deref())?;
    let date = as_of(scope)?;
    chains::sync_assignments(store, map, None, false).await?;
    let public = public_demands(store).await?;
    let codes: Vec<String> = match cluster {
        Some(c) => {
            let Some(found) = map.taxonomy.cluster(c) else {
                bail!("no cluster '{c}': `shuanglian chain list` shows the codes");
            };
            vec![found.code.clone()]
        }
        None => map
            .taxonomy
            .clusters
            .iter()
            .map(|c| c.code.clone())
            .collect(),
    };
    let mut all = vec![];
    for code in &codes {
        if let Some(g) =
            chains::cluster_gaps(store, map, code, &region, DemandScope::Only(&public), date)
                .await?
        {
            all.push(g);
        }
    }
    if json {
        if cluster.is_some() {
            println!("{}", serde_json::to_string_pretty(&all[0])?);
        } else {
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        return Ok(0);
    }
    let t = &map.gaps;
    println!(
        "区域 region: {} ({})；截至 as of {}；需求只计公开需求 (public needs only on the command line)",
        region.name_zh(),
        region.key(),
        date
    );
    println!(
        "阈值 thresholds: 强链 strong ≥ {} 家本地企业 且 ≥ {} 项本地创新供给 (TRL ≥ {})；缺链 missing = 0 家本地企业；\
         瓶颈 bottleneck: 重要度 ≥ {}，待解需求 ≥ {}，本地成熟成果 ≤ {} (data/chains/gaps.toml)",
        t.status.strong_min_enterprises,
        t.status.strong_min_supply,
        t.status.supply_min_trl,
        t.bottleneck.min_importance,
        t.bottleneck.min_open_needs,
        t.bottleneck.max_local_mature_outcomes
    );
    for g in &all {
        print_cluster(g);
    }
    Ok(0)
}

fn status_label(s: GapStatus, bottleneck: bool) -> String {
    if bottleneck {
        format!("{}·瓶颈", s.label_zh())
    } else {
        s.label_zh().to_string()
    }
}

fn print_cluster(g: &ClusterGaps) {
    let count = |s: GapStatus| g.nodes.iter().filter(|n| n.status == s).count();
    println!();
    println!(
        "== {} {} / {} — 强链 {} · 弱链 {} · 缺链 {} · 瓶颈 {}",
        g.cluster,
        g.zh,
        g.en,
        count(GapStatus::Strong),
        count(GapStatus::Weak),
        count(GapStatus::Missing),
        g.nodes.iter().filter(|n| n.bottleneck).count()
    );
    use crate::table::{self, Align};
    let rows: Vec<Vec<String>> = g
        .nodes
        .iter()
        .map(|n| {
            let reasons: Vec<&str> = n.reasons.iter().map(|r| r.zh.as_str()).collect();
            vec![
                status_label(n.status, n.bottleneck),
                n.node.clone(),
                n.zh.clone(),
                format!("{}/{}", n.counts.local_enterprises, n.counts.enterprises),
                n.counts.local_supply.to_string(),
                n.counts.open_needs.to_string(),
                reasons.join("；"),
            ]
        })
        .collect();
    let lines = table::render(
        &[
            "状态",
            "节点代码",
            "节点",
            "本地/全部企业",
            "本地供给",
            "开放需求",
            "理由",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        &rows,
    );
    for l in lines {
        println!("   {l}");
    }
    if !g.key_technologies.is_empty() {
        let by: HashMap<&str, &chain::NodeGap> =
            g.nodes.iter().map(|n| (n.node.as_str(), n)).collect();
        let top: Vec<String> = g
            .key_technologies
            .iter()
            .take(5)
            .enumerate()
            .map(|(i, c)| {
                let n = by[c.as_str()];
                format!(
                    "{}. {} {}（优先度 {:.1} = 重要度 {} × {}）",
                    i + 1,
                    n.node,
                    n.zh,
                    n.priority,
                    n.importance,
                    status_label(n.status, n.bottleneck)
                )
            })
            .collect();
        println!("   关键核心技术攻关 key technologies: {}", top.join("  "));
    }
}

#[allow(clippy::too_many_arguments)]
async fn fillers(
    store: &Store,
    data_dir: &Path,
    map: &ChainMap,
    node: &str,
    scope: &ChainScopeArgs,
    per_kind: usize,
    lexical_only: bool,
    encoder: &crate::args::EncoderArgs,
    json: bool,
) -> anyhow::Result<u8> {
    let region = chains::analysis_region(scope.region.as_deref())?;
    let date = as_of(scope)?;
    if map.taxonomy.node(node).is_none() {
        bail!("no chain node '{node}': `shuanglian chain list CLUSTER` shows the node codes");
    }
    chains::sync_assignments(store, map, None, false).await?;
    let public = public_demands(store).await?;
    let cfg = engine::matching::ranking_config(data_dir, None)?;
    let enc = if lexical_only {
        Err("lexical only, as asked (--lexical-only)".to_string())
    } else {
        super::encode::load(data_dir, encoder)
            .map(|e| std::sync::Arc::new(e) as std::sync::Arc<dyn engine::Embedder>)
            .map_err(|e| format!("lexical only: the encoder is not available ({e:#})"))
    };
    let engines = engine::Engines::open(store, data_dir, enc, &cfg, engine::SYNC_EMBED_BUDGET)
        .await
        .ok();
    let answer = chains::node_fillers(
        store,
        map,
        engines.as_ref().map(|e| (e, &cfg)),
        node,
        &region,
        DemandScope::Only(&public),
        date,
        per_kind,
    )
    .await?
    .expect("the node exists");
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(0);
    }
    let g = &answer.gap;
    println!(
        "{} {} / {} — {}；本地企业 {} 家，本地创新供给 {} 项，待解需求 {} 项（区域 {}）",
        g.node,
        g.zh,
        g.en,
        status_label(g.status, g.bottleneck),
        g.counts.local_enterprises,
        g.counts.local_supply,
        g.counts.open_needs,
        region.name_zh()
    );
    for r in &g.reasons {
        println!("  · {}", r.zh);
    }
    let section = |title: &str, list: &[Filler]| {
        println!("{title}");
        if list.is_empty() {
            println!("  (none found)");
        }
        for (i, f) in list.iter().enumerate() {
            println!(
                "  {}. [{}] {} #{} {} — {}",
                i + 1,
                f.locality.label_zh(),
                f.sub_kind,
                f.id,
                f.name,
                f.reasons_zh.join("；")
            );
        }
    };
    section("成果 outcomes", &answer.fillers.outcomes);
    section("专家 experts", &answer.fillers.experts);
    section("实验室与科研机构 labs", &answer.fillers.labs);
    section(
        "中试平台与概念验证中心 pilot platforms",
        &answer.fillers.pilot_platforms,
    );
    section(
        "已在该环节的企业 enterprises on the link",
        &answer.enterprises,
    );
    for n in &answer.notes {
        println!("note: {n}");
    }
    Ok(0)
}
