//! `shuanglian match` (a need finds what can solve it) and `shuanglian adopters` (an outcome finds local
//! enterprises that could adopt it): the engine's matching from the command line.

use std::path::Path;

use anyhow::bail;
use engine::matching::{self, Answer, Engines, Mode, Need};
use model::{Record, RecordKind};
use search::matching::{MatchContext, RankingConfig};
use store::Store;

use crate::args::{AdoptersArgs, EncoderArgs, MatchArgs};

/// The ranking configuration: `--ranking FILE`, else DATA_DIR/config/ranking.toml, else built in.
pub fn ranking_config(data_dir: &Path, file: Option<&Path>) -> anyhow::Result<RankingConfig> {
    Ok(matching::ranking_config(data_dir, file)?)
}

/// Opens the engines, loading the encoder unless `--lexical-only`.
pub(super) async fn engines(
    store: &Store,
    data_dir: &Path,
    encoder_args: &EncoderArgs,
    lexical_only: bool,
    cfg: &RankingConfig,
) -> anyhow::Result<Engines> {
    let encoder = if lexical_only {
        Err("lexical only, as asked (--lexical-only)".to_string())
    } else {
        super::encode::load(data_dir, encoder_args)
            .map(|e| std::sync::Arc::new(e) as std::sync::Arc<dyn engine::Embedder>)
            .map_err(|err| {
            format!("lexical only: the encoder is not available ({err:#}); run scripts/fetch-model ./shuanglian-data")
        })
    };
    let english = if lexical_only {
        None
    } else {
        super::english::for_matching(data_dir, cfg)
    };
    Ok(
        Engines::open(store, data_dir, encoder, cfg, engine::SYNC_EMBED_BUDGET)
            .await?
            .with_english(store, data_dir, english, cfg, engine::SYNC_EMBED_BUDGET)
            .await?,
    )
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
    let mut own = None;
    if let Some(id) = args.demand {
        let all = super::issuer(store)?.demands_everything();
        let Some(s) = store.get_demand(id, &all).await? else {
            bail!("no demand #{id}: `shuanglian search --kind demand …` lists demand ids");
        };
        let Record::Demand(d) = &s.record else {
            unreachable!("the demands table holds demands")
        };
        if d.confidentiality != model::Confidentiality::Public {
            // The command has no signed-in user to check rights against, so it never reads a
            // confidential need's text into a query, an answer or a log.
            bail!(
                "demand #{id} is not public ({}): the command line matches public demands only; \
                 its owner sees its matches in the platform, signed in",
                d.confidentiality
            );
        }
        let (demand_text, demand_ctx) =
            matching::need_of_demand(&s.record).expect("a demand record");
        own = matching::OwnVerdicts::read(store, id, &all).await?;
        if text.trim().is_empty() {
            text = demand_text;
        }
        ctx.trl = ctx.trl.or(demand_ctx.trl);
        if ctx.clusters.is_empty() {
            ctx.clusters = demand_ctx.clusters;
        }
        if ctx.chain_nodes.is_empty() {
            ctx.chain_nodes = demand_ctx.chain_nodes;
        }
    }
    if text.trim().is_empty() {
        bail!("nothing to match: give the need's text, e.g. shuanglian match \"动力电池热失控预警\", or --demand ID");
    }
    let mut filters = matching::supply_filters(args.kind.as_deref())
        .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    filters.regions = region_keys(&args.region)?;
    filters.clusters = args.cluster.clone();
    if let Some(r) = &args.trl {
        filters.trl =
            Some(matching::parse_trl_range(r).map_err(|e| anyhow::anyhow!("--trl: {e}"))?);
    }
    let e = engines(store, data_dir, &args.encoder, args.lexical_only, &cfg).await?;
    let need = Need {
        text,
        filters,
        ctx,
        limit: args.limit.into(),
        own,
    };
    print_answer(
        matching::match_need(store, &e, &cfg, &need).await?,
        args.json,
    )
}

fn region_keys(names: &[String]) -> anyhow::Result<Vec<String>> {
    matching::region_keys(names).map_err(|e| anyhow::anyhow!("--region: {e}"))
}

/// `shuanglian adopters`: enterprises whose products, business scope and chain position fit an outcome.
pub async fn adopters(store: &Store, data_dir: &Path, args: &AdoptersArgs) -> anyhow::Result<u8> {
    let cfg = ranking_config(data_dir, args.ranking.as_deref())?;
    if store
        .get(RecordKind::Outcome, args.outcome)
        .await?
        .is_none()
    {
        bail!(
            "no outcome #{}: `shuanglian search --kind outcome …` lists outcome ids",
            args.outcome
        );
    }
    let regions = region_keys(&args.region)?;
    let e = engines(store, data_dir, &args.encoder, args.lexical_only, &cfg).await?;
    let answer =
        matching::adopters(store, &e, &cfg, args.outcome, regions, args.limit.into()).await?;
    print_answer(answer, args.json)
}

fn print_answer(a: Answer, json: bool) -> anyhow::Result<u8> {
    if json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(0);
    }
    println!(
        "{} ({} ranking, configuration {})",
        a.query.lines().next().unwrap_or(""),
        match a.mode {
            Mode::Hybrid => "hybrid",
            Mode::Lexical => "lexical",
        },
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
                    ", other language: through the dictionary bridge"
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
        if h.absent != 0.0 {
            let side = if h.lexical.is_none() {
                "lexical"
            } else {
                "semantic"
            };
            parts.push(format!(
                "{:+.3} (not in the {side} list: its lowest score)",
                h.absent
            ));
        }
        println!("    relevance {:.3} = {}", h.relevance, parts.join(" + "));
        let l = h.lists;
        let lists: Vec<String> = [
            ("own words", l.words),
            ("dictionary translation", l.bridge),
            ("multilingual model", l.multilingual),
            ("English model", l.english),
        ]
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(name, v)| format!("{name} {v:.3}"))
        .collect();
        if lists.len() > 1 {
            println!("    by list: {}", lists.join(", "));
        }
        if h.cross_language {
            let what = match model::Lang::detect(&h.label).as_str() {
                "en" => "英文文献 (English-language record)",
                _ => "中文文献 (Chinese-language record)",
            };
            let pairs: Vec<String> = h
                .concepts
                .iter()
                .map(|c| format!("{} → {}", c.from, c.to))
                .collect();
            if pairs.is_empty() {
                println!("    {what}: matched by meaning");
            } else {
                println!("    {what}: {}", pairs.join(", "));
            }
        } else if !h.matched_terms.is_empty() {
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
