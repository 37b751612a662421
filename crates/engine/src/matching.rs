//! Matching in both directions over the engines: a need finds outcomes, experts, labs and platforms; an
//! outcome finds the enterprises that could adopt it. Lexical and dense retrieval, fusion, business
//! signals from the candidates' stored profiles, and an explanation on every hit.

use std::collections::HashMap;
use std::path::Path;

use model::{Confidentiality, Record, RecordKind};
use search::matching::{rerank, MatchContext, RankingConfig, SignalWeights};
use search::{Filters, LexicalIndex, VectorIndex};
use store::Store;

use crate::embedder::Embedder;
use crate::indexing::{self, Resolver};
use crate::{EngineError, Result};

mod deals;
mod dictionary;
mod english;
mod filters;
mod profiles;

use profiles::profile;

pub use deals::{DealCache, DealMemory, OwnVerdicts};
pub use dictionary::shared_dictionary;
pub use filters::*;

/// Longest query text used; longer needs are cut (and the answer says so).
pub const MAX_QUERY_CHARS: usize = 2_000;

/// Most hits one call returns.
pub const MAX_LIMIT: usize = 1_000;

/// The ranking configuration: `file`, else DATA_DIR/config/ranking.toml, else the built-in one.
pub fn ranking_config(data_dir: &Path, file: Option<&Path>) -> Result<RankingConfig> {
    let local = data_dir.join("config").join("ranking.toml");
    let path = match file {
        Some(p) => p.to_path_buf(),
        None if local.exists() => local,
        None => return Ok(RankingConfig::builtin()),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| EngineError::Io {
        path: format!("the ranking configuration {}", path.display()),
        source,
    })?;
    Ok(RankingConfig::parse(&text, &path.display().to_string())?)
}

/// Whether dense evidence took part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Hybrid,
    Lexical,
}

/// What matching works with: the lexical index, and the vector index with the encoder when both are
/// there. `notes` says why the dense side is missing, if it is.
pub struct Engines {
    pub lexical: LexicalIndex,
    pub vectors: Option<VectorIndex>,
    pub encoder: Option<std::sync::Arc<dyn Embedder>>,
    /// The Chinese–English dictionary bridge, when it was fetched.
    pub bridge: Option<std::sync::Arc<bridge::Dictionary>>,
    pub notes: Vec<String>,
    /// The English records' index from the English encoder, and that encoder ([`Engines::with_english`]).
    pub english: Option<VectorIndex>,
    pub english_encoder: Option<std::sync::Arc<dyn Embedder>>,
    /// The verdicts and contracts the business signals read ([`DealCache`]).
    pub deals: DealCache,
}

impl Engines {
    /// Opens the indexes of `data_dir`, brings them up to date with the store (embedding at most
    /// `embed_budget` changed texts), and keeps the encoder when the vector index can serve.
    /// `encoder` is the loaded encoder, or why there is none (said in the answers).
    pub async fn open(
        store: &Store,
        data_dir: &Path,
        encoder: std::result::Result<std::sync::Arc<dyn Embedder>, String>,
        cfg: &RankingConfig,
        embed_budget: usize,
    ) -> Result<Engines> {
        let dir = indexing::lexical_dir(data_dir);
        if !dir.join("meta.json").exists() {
            return Err(EngineError::Setup(format!(
                "no search index in {}: run `shuanglian reindex` (or `shuanglian demo`) first",
                data_dir.display()
            )));
        }
        let lexical = LexicalIndex::open_or_create(&dir)?;
        indexing::sync_lexical(store, &lexical).await?;
        let mut notes = vec![];
        let encoder = match encoder {
            Ok(e) => Some(e),
            Err(why) => {
                notes.push(why);
                None
            }
        };
        let mut vectors = None;
        let mut damaged = false;
        if encoder.is_some() {
            let synced =
                match indexing::sync_vectors(store, data_dir, encoder.as_deref(), embed_budget)
                    .await
                {
                    Ok(s) => s,
                    // An unreadable or mismatched index must not stop matching: answer lexically and
                    // say why.
                    Err(EngineError::Vector(v @ search::vector::VectorError::Corrupt { .. })) => {
                        notes.push(format!("lexical only: {v}"));
                        damaged = true;
                        indexing::Synced {
                            index: None,
                            pending: 0,
                        }
                    }
                    Err(e) => return Err(e),
                };
            if synced.pending > 0 {
                notes.push(format!(
                    "up to {} changed records still await embedding and are matched lexically \
                     only; `shuanglian reindex --dense` embeds them all",
                    synced.pending
                ));
            }
            vectors = synced.index;
            match &mut vectors {
                None if !damaged => notes.push(
                    "lexical only: no vector index yet; run `shuanglian reindex --dense`"
                        .to_string(),
                ),
                Some(vi) if vi.is_empty() => notes.push(
                    "lexical only: the vector index is empty; run `shuanglian reindex --dense`"
                        .to_string(),
                ),
                Some(vi) => vi.set_params(cfg.vector),
                None => {}
            }
        }
        let ready = vectors.as_ref().is_some_and(|v| !v.is_empty());
        let bridge = match shared_dictionary(data_dir) {
            Ok(d) => Some(d),
            Err(why) => {
                notes.push(format!("no cross-language bridge: {why}"));
                None
            }
        };
        Ok(Engines {
            lexical,
            vectors,
            encoder: if ready { encoder } else { None },
            bridge,
            notes,
            english: None,
            english_encoder: None,
            deals: DealCache::default(),
        })
    }
}

/// A ranked, explained answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answer {
    pub query: String,
    pub mode: Mode,
    /// Version of the ranking configuration used.
    pub ranking: String,
    pub notes: Vec<String>,
    pub hits: Vec<search::Match>,
    /// The models that read the query (the multilingual encoder in hybrid mode; the English encoder
    /// too for an English query when it is installed).
    pub encoders: Vec<String>,
}

/// A need to match: its text, the asking side's stage and chain position, and restrictions.
#[derive(Debug, Clone, Default)]
pub struct Need {
    pub text: String,
    pub filters: Filters,
    pub ctx: MatchContext,
    pub limit: usize,
    /// When the need is a stored demand the asker may see: the verdicts engagements left on it.
    pub own: Option<OwnVerdicts>,
}

/// A public or visible demand as a need: its searchable text, stage, clusters and chain nodes. The
/// caller checks the asker may see the demand.
pub fn need_of_demand(record: &Record) -> Option<(String, MatchContext)> {
    let Record::Demand(d) = record else {
        return None;
    };
    let mut text = demand_text(d);
    if text.trim().is_empty() {
        text = format!("{}\n{}", d.title, d.problem);
    }
    Some((
        text,
        MatchContext {
            trl: d.trl_needed.map(|t| t.get()),
            clusters: d.clusters.clone(),
            chain_nodes: d.chain_nodes.clone(),
        },
    ))
}

/// A demand's text as the index would hold it, whatever its confidentiality.
fn demand_text(d: &model::Demand) -> String {
    let mut public = d.clone();
    public.confidentiality = Confidentiality::Public;
    search_text(&Record::Demand(public))
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

fn check_limit(limit: usize) -> Result<()> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(EngineError::Input(format!(
            "limit {limit}: give a number of hits from 1 to {MAX_LIMIT}"
        )))
    }
}

/// A need finds what can solve it.
pub async fn match_need(
    store: &Store,
    e: &Engines,
    cfg: &RankingConfig,
    need: &Need,
) -> Result<Answer> {
    check_limit(need.limit)?;
    if let Some(t) = need.ctx.trl {
        if !(1..=9).contains(&t) {
            return Err(EngineError::Input(format!(
                "need TRL {t}: give a level from 1 to 9"
            )));
        }
    }
    if need.text.trim().is_empty() {
        return Err(EngineError::Input(
            "nothing to match: give the need's text, e.g. 动力电池热失控预警".to_string(),
        ));
    }
    let mut notes = e.notes.clone();
    let text = cut(&need.text, &mut notes);
    let (hits, mode) = run_match(
        store,
        e,
        &text,
        None,
        &need.filters,
        &need.ctx,
        cfg,
        &cfg.need_to_supply,
        need.limit,
        None,
        &HashMap::new(),
        need.own.as_ref(),
    )
    .await?;
    if hits.is_empty() {
        notes.push("no candidate matches the query under these filters".to_string());
    }
    let encoders = e.encoders_for(&text, mode);
    Ok(Answer {
        query: text,
        mode,
        ranking: cfg.version.clone(),
        notes,
        hits,
        encoders,
    })
}

/// An outcome finds enterprises whose products, business scope and chain position fit it, local first
/// (`regions`: region keys to restrict to, from [`region_keys`]).
pub async fn adopters(
    store: &Store,
    e: &Engines,
    cfg: &RankingConfig,
    outcome: i64,
    regions: Vec<String>,
    limit: usize,
) -> Result<Answer> {
    check_limit(limit)?;
    let Some(s) = store.get(RecordKind::Outcome, outcome).await? else {
        return Err(EngineError::NotFound(format!("no outcome #{outcome}")));
    };
    let Record::Outcome(o) = &s.record else {
        return Err(EngineError::NotFound(format!("no outcome #{outcome}")));
    };
    let mut notes = e.notes.clone();
    let text = cut(&search_text(&s.record), &mut notes);
    let ctx = MatchContext {
        trl: o.trl.map(|t| t.get()),
        clusters: o.clusters.clone(),
        chain_nodes: o.chain_nodes.clone(),
    };
    // The outcome's own passage vector is the query on the dense side: passage against passage.
    let own = e
        .vectors
        .as_ref()
        .and_then(|v| v.vector(RecordKind::Outcome, outcome as u64))
        .map(<[f32]>::to_vec);
    // Enterprises that posted a public need resembling the outcome are likelier adopters.
    let related = related_needs(store, e, &text, own.clone(), cfg).await?;
    // The outcome's own holder is not a prospective adopter.
    let exclude_owner = outcome_owner_id(store, o)
        .await?
        .map(|id| (RecordKind::Organization, id as u64));
    let filters = Filters {
        record_kinds: vec![RecordKind::Organization],
        kinds: vec!["enterprise".to_string()],
        regions,
        ..Filters::default()
    };
    let (hits, mode) = run_match(
        store,
        e,
        &text,
        own,
        &filters,
        &ctx,
        cfg,
        &cfg.outcome_to_adopter,
        limit,
        exclude_owner,
        &related,
        None,
    )
    .await?;
    if hits.is_empty() {
        notes.push("no registered enterprise fits this outcome under these filters".to_string());
    }
    let encoders = e.encoders_for(&o.title, mode);
    Ok(Answer {
        query: format!("#{outcome} {}", o.title),
        mode,
        ranking: cfg.version.clone(),
        notes,
        hits,
        encoders,
    })
}

/// Retrieves, fuses and reranks. `query_vector` overrides encoding `text` (adopters use the outcome's
/// stored passage vector).
#[allow(clippy::too_many_arguments)]
async fn run_match(
    store: &Store,
    e: &Engines,
    text: &str,
    query_vector: Option<Vec<f32>>,
    filters: &Filters,
    ctx: &MatchContext,
    cfg: &RankingConfig,
    weights: &SignalWeights,
    limit: usize,
    exclude: Option<(RecordKind, u64)>,
    related: &HashMap<(RecordKind, u64), String>,
    own: Option<&OwnVerdicts>,
) -> Result<(Vec<search::Match>, Mode)> {
    let mut fusion = cfg.fusion;
    fusion.depth = fusion.depth.max(limit);
    let (q, mode) = match (&e.vectors, &e.encoder) {
        (Some(_), Some(enc)) => {
            let q = match query_vector {
                Some(v) => v,
                None => {
                    crate::cpu::cpu_bound(|| enc.embed(&[text], encoder::Kind::Query).remove(0))
                }
            };
            (Some(q), Mode::Hybrid)
        }
        _ => (None, Mode::Lexical),
    };
    if mode == Mode::Lexical {
        // Without the dense side the lexical list carries the whole relevance scale.
        fusion.w_lexical += fusion.w_dense;
        fusion.w_dense = 0.0;
    }
    let retriever = search::Retriever {
        lexical: &e.lexical,
        vectors: e.vectors.as_ref(),
        bridge: e.bridge.as_deref(),
        bm25: search::Bm25Params::default(),
        fusion,
        bridge_params: cfg.bridge,
        english: e.english.as_ref(),
    };
    let q_en = if mode == Mode::Hybrid {
        e.english_query(text)
    } else {
        None
    };
    let vectors = search::QueryVectors {
        multilingual: q.as_deref(),
        english: q_en.as_deref(),
    };
    let got = retriever.retrieve_with(text, vectors, filters)?;
    let mut fused = got.fused;
    fused.retain(|f| Some((f.record_kind, f.id)) != exclude);
    // Business signals reorder the best candidates; profiles are loaded for a few times the limit.
    fused.truncate((limit * 3).max(30));
    let mut profiles = HashMap::new();
    let mut resolver = Resolver::default();
    // What deals taught, read only when a weight uses it.
    let memory = if weights.not_relevant > 0.0 || weights.contract_prior > 0.0 {
        Some(e.deals.current(store).await?)
    } else {
        None
    };
    let rejected = match &memory {
        Some(m) if weights.not_relevant > 0.0 => m.verdicts.rejected_for(
            text,
            own.map(|o| (o.demand_id, o.rejected.as_slice())),
            &cfg.feedback,
        ),
        _ => HashMap::new(),
    };
    for f in &fused {
        if let Some(s) = store.get(f.record_kind, f.id as i64).await? {
            if let Some((mut p, org)) = profile(store, &mut resolver, s.id, &s.record).await? {
                let key = (f.record_kind, f.id);
                p.related_need = related.get(&key).cloned();
                p.rejected = rejected.get(&key).cloned();
                if weights.contract_prior > 0.0 {
                    p.contracts = memory.as_ref().and_then(|m| m.prior(org, ctx));
                }
                profiles.insert(key, p);
            }
        }
    }
    let mut hits = rerank(
        &fused,
        &profiles,
        text,
        &got.translated,
        ctx,
        weights,
        limit,
    );
    search::matching::grade(&mut hits, &cfg.strength);
    Ok((hits, mode))
}

/// The text a record is searched by (empty for records kept out of the shared index).
pub fn search_text(record: &Record) -> String {
    search::SearchItem::from_record(0, record)
        .map(|i| i.all_text())
        .unwrap_or_default()
}

/// The store id of an outcome's first registered owner (as [`Resolver::outcome_owner`] finds it).
async fn outcome_owner_id(store: &Store, o: &model::Outcome) -> Result<Option<i64>> {
    let uscc = o.owner_uscc.as_ref().map(|u| u.to_string());
    for name in &o.owners {
        if let Some(s) = store.find_organization(name, uscc.as_deref()).await? {
            return Ok(Some(s.id));
        }
    }
    match &uscc {
        Some(u) => Ok(store.find_organization("", Some(u)).await?.map(|s| s.id)),
        None => Ok(None),
    }
}

/// The owners of the public needs most like the outcome, keyed by the owner organization's id, with
/// the need's title as the reason. A need counts only on raw evidence (cosine similarity, or BM25 when
/// answering lexically), never on its rank among the few needs there are.
async fn related_needs(
    store: &Store,
    e: &Engines,
    text: &str,
    own: Option<Vec<f32>>,
    cfg: &RankingConfig,
) -> Result<HashMap<(RecordKind, u64), String>> {
    let filters = Filters {
        record_kinds: vec![RecordKind::Demand],
        // Only public needs are in the shared index; said again here so a later change cannot leak one.
        kinds: vec!["public".to_string()],
        ..Filters::default()
    };
    let (needs, mode) = run_match(
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
        None,
    )
    .await?;
    let w = &cfg.outcome_to_adopter;
    let mut out = HashMap::new();
    for n in needs {
        let evident = match mode {
            Mode::Hybrid => n.similarity.is_some_and(|c| c >= w.related_need_min_cosine),
            _ => n
                .lexical
                .is_some_and(|l| l.score >= w.related_need_min_bm25),
        };
        if !evident {
            continue;
        }
        let Some(s) = store.get(RecordKind::Demand, n.id as i64).await? else {
            continue;
        };
        let Record::Demand(d) = &s.record else {
            continue;
        };
        if d.confidentiality != Confidentiality::Public {
            continue;
        }
        let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
        if let Some(org) = store.find_organization(&d.owner, uscc.as_deref()).await? {
            out.entry((RecordKind::Organization, org.id as u64))
                .or_insert_with(|| d.title.clone());
        }
    }
    Ok(out)
}
