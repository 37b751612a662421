//! `shuanglian match` (a need finds what can solve it) and `shuanglian adopters` (an outcome finds local
//! enterprises that could adopt it): lexical and dense retrieval, fusion, business signals, explanations.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use model::{Record, RecordKind, Region};
use search::matching::{rerank, MatchContext, Profile, RankingConfig, SignalWeights};
use search::{Filters, LexicalIndex, VectorIndex};
use store::Store;

use super::vectors::Resolver;
use crate::args::{AdoptersArgs, MatchArgs};

/// Longest query text used; longer needs are cut (and the answer says so).
const MAX_QUERY_CHARS: usize = 2_000;

/// The ranking configuration: `--ranking FILE`, else DATA_DIR/config/ranking.toml, else built in.
pub fn ranking_config(data_dir: &Path, file: Option<&Path>) -> anyhow::Result<RankingConfig> {
    let local = data_dir.join("config").join("ranking.toml");
    let path = match file {
        Some(p) => p.to_path_buf(),
        None if local.exists() => local,
        None => return Ok(RankingConfig::builtin()),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the ranking configuration {}", path.display()))?;
    Ok(RankingConfig::parse(&text, &path.display().to_string())?)
}

/// What one matching call had to work with.
struct Engines {
    lexical: LexicalIndex,
    vectors: Option<VectorIndex>,
    encoder: Option<encoder::Encoder>,
    notes: Vec<String>,
}

async fn engines(
    store: &Store,
    data_dir: &Path,
    encoder_args: &crate::args::EncoderArgs,
    lexical_only: bool,
) -> anyhow::Result<Engines> {
    let dir = super::reindex::lexical_dir(data_dir);
    if !dir.join("meta.json").exists() {
        bail!(
            "no search index in {}: run `shuanglian reindex` (or `shuanglian demo`) first",
            data_dir.display()
        );
    }
    let lexical = LexicalIndex::open_or_create(&dir)?;
    super::reindex::sync_index(store, &lexical).await?;
    let mut notes = vec![];
    let encoder = if lexical_only {
        notes.push("lexical only, as asked (--lexical-only)".to_string());
        None
    } else {
        match super::encode::load(data_dir, encoder_args) {
            Ok(e) => Some(e),
            Err(err) => {
                notes.push(format!(
                    "lexical only: the encoder is not available ({err:#}); run scripts/fetch-model"
                ));
                None
            }
        }
    };
    let vectors = if encoder.is_some() {
        let v = super::vectors::sync(store, data_dir, encoder.as_ref()).await?;
        if v.is_none() {
            notes.push(
                "lexical only: no vector index yet; run `shuanglian reindex --dense`".to_string(),
            );
        }
        v
    } else {
        None
    };
    let ready = vectors_ready(&vectors);
    Ok(Engines {
        lexical,
        vectors,
        encoder: if ready { encoder } else { None },
        notes,
    })
}

fn vectors_ready(v: &Option<VectorIndex>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

/// Filters for `--kind` and the other restriction flags.
fn filters(args: &MatchArgs) -> anyhow::Result<Filters> {
    let mut f = Filters::default();
    let (kinds, sub): (Vec<RecordKind>, Vec<&str>) = match args.kind.as_deref() {
        None | Some("any") => (
            vec![
                RecordKind::Outcome,
                RecordKind::Person,
                RecordKind::Organization,
            ],
            vec![],
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
            bail!("unknown --kind '{other}': use outcome, expert, lab, platform, enterprise or any")
        }
    };
    f.record_kinds = kinds;
    f.kinds = sub.into_iter().map(String::from).collect();
    f.regions = regions(&args.region)?;
    f.clusters = args.cluster.clone();
    if let Some(r) = &args.trl {
        f.trl = Some(parse_trl_range(r)?);
    }
    Ok(f)
}

fn regions(names: &[String]) -> anyhow::Result<Vec<String>> {
    names
        .iter()
        .map(|n| match Region::lookup(n) {
            Some(r) => Ok(r.key().to_string()),
            None => bail!("unknown --region '{n}': give a district, city or province name or code"),
        })
        .collect()
}

fn parse_trl_range(s: &str) -> anyhow::Result<(u8, u8)> {
    let bad = || anyhow::anyhow!("--trl '{s}': give a level 1–9 or a range such as 4-7");
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

/// The JSON answer of both commands.
#[derive(serde::Serialize)]
struct Answer<'a> {
    query: String,
    mode: &'static str,
    ranking: &'a str,
    notes: Vec<String>,
    hits: Vec<search::Match>,
}

/// Retrieves, fuses and reranks. `query_vector` overrides encoding `text` (adopters use the outcome's
/// stored passage vector).
#[allow(clippy::too_many_arguments)]
async fn run_match(
    store: &Store,
    e: &mut Engines,
    text: &str,
    query_vector: Option<Vec<f32>>,
    filters: &Filters,
    ctx: &MatchContext,
    cfg: &RankingConfig,
    weights: &SignalWeights,
    limit: usize,
    exclude: Option<(RecordKind, u64)>,
    related: &HashMap<(RecordKind, u64), String>,
) -> anyhow::Result<(Vec<search::Match>, &'static str)> {
    let depth = cfg.fusion.depth.max(limit);
    let lexical = e
        .lexical
        .search(text, filters, &search::Bm25Params::default(), depth)?;
    let (dense, mode) = match (&e.vectors, &e.encoder) {
        (Some(vi), Some(enc)) => {
            let q = match query_vector {
                Some(v) => v,
                None => enc.embed(&[text], encoder::Kind::Query)[0].to_vec(),
            };
            (vi.search(&q, filters, depth)?, "hybrid")
        }
        _ => (vec![], "lexical"),
    };
    let q_lang = model::Lang::detect(text).to_string();
    let vectors = e.vectors.as_ref();
    let mut fusion = cfg.fusion;
    if mode == "lexical" {
        // Without the dense side the lexical list carries the whole relevance scale.
        fusion.w_lexical += fusion.w_dense;
        fusion.w_dense = 0.0;
    }
    let mut fused = search::fuse(
        &lexical,
        &dense,
        |k, id| {
            vectors
                .and_then(|v| v.meta(k, id))
                .map(|m| m.lang == q_lang)
        },
        &fusion,
    );
    fused.retain(|f| Some((f.record_kind, f.id)) != exclude);
    // Business signals reorder the best candidates; profiles are loaded for a few times the limit.
    fused.truncate((limit * 3).max(30));
    let mut profiles = HashMap::new();
    let mut resolver = Resolver::default();
    for f in &fused {
        if let Some(s) = store.get(f.record_kind, f.id as i64).await? {
            let mut p = profile(store, &mut resolver, &s.record).await?;
            p.related_need = related.get(&(f.record_kind, f.id)).cloned();
            profiles.insert((f.record_kind, f.id), p);
        }
    }
    Ok((rerank(&fused, &profiles, text, ctx, weights, limit), mode))
}

/// A candidate's profile for the business signals, from its stored record.
async fn profile(
    store: &Store,
    resolver: &mut Resolver,
    record: &Record,
) -> anyhow::Result<Profile> {
    let text = search_text(record);
    let region_of = |r: &Option<Region>| r.as_ref().map(|r| (r.name_zh().to_string(), r.tier()));
    Ok(match record {
        Record::Outcome(o) => {
            let owner = resolver.outcome_owner(store, o).await?;
            let region = owner.as_ref().and_then(|org| region_of(&org.region));
            Profile {
                label: o.title.clone(),
                kind: o.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                trl: o.trl.map(|t| t.get()),
                clusters: o.clusters.clone(),
                chain_nodes: o.chain_nodes.clone(),
                owner_kind: owner.map(|org| org.kind.to_string()),
                ..Profile::default()
            }
        }
        Record::Organization(o) => {
            let region = region_of(&o.region);
            Profile {
                label: o.name.clone(),
                kind: o.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                clusters: o.clusters.clone(),
                chain_nodes: o.chain_nodes.clone(),
                owner_kind: Some(o.kind.to_string()),
                capacity: capacity(o),
                ..Profile::default()
            }
        }
        Record::Person(p) => {
            let mut region = region_of(&p.region);
            if region.is_none() {
                if let Some(aff) = &p.affiliation {
                    if let Some(org) = resolver.owner(store, aff, None).await? {
                        region = region_of(&org.region);
                    }
                }
            }
            Profile {
                label: match &p.affiliation {
                    Some(a) => format!("{}（{a}）", p.name),
                    None => p.name.clone(),
                },
                kind: p.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                clusters: p.clusters.clone(),
                owner_kind: Some(p.kind.to_string()),
                ..Profile::default()
            }
        }
        Record::Demand(d) => {
            let region = region_of(&d.region);
            Profile {
                label: d.title.clone(),
                kind: d.confidentiality.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                trl: d.trl_needed.map(|t| t.get()),
                clusters: d.clusters.clone(),
                chain_nodes: d.chain_nodes.clone(),
                owner_kind: Some("enterprise".to_string()),
                ..Profile::default()
            }
        }
    })
}

/// An enterprise's capacity to adopt, 0..1: headcount when the record gives it (`extra.employees`,
/// 1,000 or more counts as full), else the breadth of its product list (five or more as full).
fn capacity(o: &model::Organization) -> Option<f32> {
    if let Some(n) = o.extra.get("employees").and_then(|v| v.as_f64()) {
        return Some(((1.0 + n.max(0.0)).ln() / 1001f64.ln()).min(1.0) as f32);
    }
    (!o.products.is_empty()).then(|| (o.products.len() as f32 / 5.0).min(1.0))
}

/// The text a record is searched by (empty for records kept out of the shared index).
fn search_text(record: &Record) -> String {
    search::SearchItem::from_record(0, record)
        .map(|i| i.all_text())
        .unwrap_or_default()
}

fn cut(text: &str, notes: &mut Vec<String>) -> String {
    if text.chars().count() > MAX_QUERY_CHARS {
        notes.push(format!(
            "the query was cut to its first {MAX_QUERY_CHARS} characters"
        ));
        text.chars().take(MAX_QUERY_CHARS).collect()
    } else {
        text.to_string()
    }
}

/// `shuanglian match`.
pub async fn match_need(store: &Store, data_dir: &Path, args: &MatchArgs) -> anyhow::Result<u8> {
    let cfg = ranking_config(data_dir, args.ranking.as_deref())?;
    let mut ctx = MatchContext {
        trl: args.need_trl,
        clusters: args.need_cluster.clone(),
        chain_nodes: args.node.clone(),
    };
    if let Some(t) = ctx.trl {
        if !(1..=9).contains(&t) {
            bail!("--need-trl {t}: give a level from 1 to 9");
        }
    }
    let mut text = args.text.clone().unwrap_or_default();
    if let Some(id) = args.demand {
        let Some(s) = store.get(RecordKind::Demand, id).await? else {
            bail!("no demand #{id}: `shuanglian search --kind demand …` lists demand ids");
        };
        let Record::Demand(d) = &s.record else {
            unreachable!("the demands table holds demands")
        };
        if text.trim().is_empty() {
            text = search_text(&s.record);
            if text.is_empty() {
                text = format!("{}\n{}", d.title, d.problem);
            }
        }
        ctx.trl = ctx.trl.or(d.trl_needed.map(|t| t.get()));
        if ctx.clusters.is_empty() {
            ctx.clusters = d.clusters.clone();
        }
        if ctx.chain_nodes.is_empty() {
            ctx.chain_nodes = d.chain_nodes.clone();
        }
    }
    if text.trim().is_empty() {
        bail!("nothing to match: give the need's text, e.g. shuanglian match \"动力电池热失控预警\", or --demand ID");
    }
    let filters = filters(args)?;
    let mut e = engines(store, data_dir, &args.encoder, args.lexical_only).await?;
    let text = cut(&text, &mut e.notes);
    let (hits, mode) = run_match(
        store,
        &mut e,
        &text,
        None,
        &filters,
        &ctx,
        &cfg,
        &cfg.need_to_supply,
        args.limit,
        None,
        &HashMap::new(),
    )
    .await?;
    if hits.is_empty() {
        e.notes
            .push("no candidate matches the query under these filters".to_string());
    }
    print_answer(
        Answer {
            query: text,
            mode,
            ranking: &cfg.version,
            notes: std::mem::take(&mut e.notes),
            hits,
        },
        args.json,
    )
}

/// `shuanglian adopters`: enterprises whose products, business scope and chain position fit an outcome.
pub async fn adopters(store: &Store, data_dir: &Path, args: &AdoptersArgs) -> anyhow::Result<u8> {
    let cfg = ranking_config(data_dir, args.ranking.as_deref())?;
    let Some(s) = store.get(RecordKind::Outcome, args.outcome).await? else {
        bail!(
            "no outcome #{}: `shuanglian search --kind outcome …` lists outcome ids",
            args.outcome
        );
    };
    let Record::Outcome(o) = &s.record else {
        unreachable!("the outcomes table holds outcomes")
    };
    let mut e = engines(store, data_dir, &args.encoder, args.lexical_only).await?;
    let text = cut(&search_text(&s.record), &mut e.notes);
    let ctx = MatchContext {
        trl: o.trl.map(|t| t.get()),
        clusters: o.clusters.clone(),
        chain_nodes: o.chain_nodes.clone(),
    };
    // The outcome's own passage vector is the query on the dense side: passage against passage.
    let own = e
        .vectors
        .as_ref()
        .and_then(|v| v.vector(RecordKind::Outcome, args.outcome as u64))
        .map(<[f32]>::to_vec);
    // Enterprises that posted a public need resembling the outcome are likelier adopters.
    let related = related_needs(store, &mut e, &text, own.clone(), &cfg).await?;
    let filters = Filters {
        record_kinds: vec![RecordKind::Organization],
        kinds: vec!["enterprise".to_string()],
        regions: regions(&args.region)?,
        ..Filters::default()
    };
    let (hits, mode) = run_match(
        store,
        &mut e,
        &text,
        own,
        &filters,
        &ctx,
        &cfg,
        &cfg.outcome_to_adopter,
        args.limit,
        None,
        &related,
    )
    .await?;
    if hits.is_empty() {
        e.notes
            .push("no registered enterprise fits this outcome under these filters".to_string());
    }
    print_answer(
        Answer {
            query: format!("#{} {}", args.outcome, o.title),
            mode,
            ranking: &cfg.version,
            notes: std::mem::take(&mut e.notes),
            hits,
        },
        args.json,
    )
}

/// The owners of the public needs most like the outcome (top five, with lexical or dense evidence),
/// keyed by the owner organization's id, with the need's title as the reason.
async fn related_needs(
    store: &Store,
    e: &mut Engines,
    text: &str,
    own: Option<Vec<f32>>,
    cfg: &RankingConfig,
) -> anyhow::Result<HashMap<(RecordKind, u64), String>> {
    let filters = Filters {
        record_kinds: vec![RecordKind::Demand],
        // Only public needs are in the shared index; said again here so a later change cannot leak one.
        kinds: vec!["public".to_string()],
        ..Filters::default()
    };
    let (needs, _) = run_match(
        store,
        e,
        text,
        own,
        &filters,
        &MatchContext::default(),
        cfg,
        &SignalWeights::default(),
        5,
        None,
        &HashMap::new(),
    )
    .await?;
    let mut out = HashMap::new();
    for n in needs {
        if n.relevance < 0.5 {
            continue;
        }
        let Some(s) = store.get(RecordKind::Demand, n.id as i64).await? else {
            continue;
        };
        let Record::Demand(d) = &s.record else {
            continue;
        };
        let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
        if let Some(org) = store.find_organization(&d.owner, uscc.as_deref()).await? {
            out.entry((RecordKind::Organization, org.id as u64))
                .or_insert_with(|| d.title.clone());
        }
    }
    Ok(out)
}

fn print_answer(a: Answer<'_>, json: bool) -> anyhow::Result<u8> {
    if json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(0);
    }
    println!(
        "{} ({} ranking, configuration {})",
        a.query.lines().next().unwrap_or(""),
        a.mode,
        a.ranking
    );
    for n in &a.notes {
        println!("note: {n}");
    }
    for (i, h) in a.hits.iter().enumerate() {
        println!(
            "{:>2}. {:.3}  {} #{} [{}]  {}",
            i + 1,
            h.score,
            h.record_kind.as_str(),
            h.id,
            h.kind,
            h.label
        );
        let mut parts = vec![];
        if let Some(l) = &h.lexical {
            parts.push(format!(
                "lexical +{:.3} (BM25 {:.2}, rank {}{})",
                l.contribution,
                l.score,
                l.rank,
                if h.cross_language {
                    ", other language: down-weighted"
                } else {
                    ""
                }
            ));
        }
        if let Some(d) = &h.dense {
            parts.push(format!(
                "semantic +{:.3} (cosine {:.3}, rank {})",
                d.contribution, d.score, d.rank
            ));
        }
        println!("    relevance {:.3} = {}", h.relevance, parts.join(" + "));
        if !h.matched_terms.is_empty() {
            println!("    matched: {}", h.matched_terms.join(", "));
        }
        println!("    {}", h.snippet);
        let signals: Vec<String> = h
            .signals
            .iter()
            .map(|s| format!("{} {:+.3} ({})", s.name, s.contribution, s.reason))
            .collect();
        if !signals.is_empty() {
            println!("    signals: {}", signals.join("; "));
        }
    }
    Ok(0)
}
