//! `shuanglian bench`: measurements that are not tests.
//!
//! - `bench ann DIR`: recall@10 of the vector index's graph search against exact search on a BEIR corpus
//!   (corpus vectors from the eval cache; queries embedded by the encoder), and graph vs exact latency.
//! - `bench match`: hybrid-match latency at scale on synthetic records (`shuanglian gen`). Item vectors are
//!   NOT the encoder's embeddings of each record (encoding 100k texts takes hours on two cores): each is the
//!   sum of the encoder's embeddings of the record's parts (cluster, keywords or products or fields), plus
//!   a little noise, normalised — records sharing parts are near, as real embeddings of related texts are,
//!   and the space has the encoder's geometry; the query is embedded by the encoder inside the timed call.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::bail;
use model::{Record, RecordKind};
use search::matching::{rerank, MatchContext, Profile};
use search::{Filters, ItemMeta, LexicalIndex, SearchItem, VectorIndex};

use crate::args::{BenchAnnArgs, BenchMatchArgs};

/// Peak and current resident memory of this process, in MB (Linux; zeros elsewhere).
pub fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(sorted: &mut [f64]) -> serde_json::Value {
    sorted.sort_by(f64::total_cmp);
    serde_json::json!({
        "p50_ms": (percentile(sorted, 0.5) * 1e5).round() / 100.0,
        "p90_ms": (percentile(sorted, 0.9) * 1e5).round() / 100.0,
        "p99_ms": (percentile(sorted, 0.99) * 1e5).round() / 100.0,
        "max_ms": (percentile(sorted, 1.0) * 1e5).round() / 100.0,
    })
}

/// `bench ann`.
pub fn ann(args: &BenchAnnArgs, data_dir: &Path) -> anyhow::Result<u8> {
    let set = search::eval::beir::load(&args.dir, &args.split)?;
    if set.queries.is_empty() {
        bail!(
            "{}: no judged query in split '{}'",
            args.dir.display(),
            args.split
        );
    }
    let encoder = super::encode::load(data_dir, &args.encoder)?;
    let docs =
        super::eval::cached_corpus_vectors(&set, data_dir, args.cache_dir.as_deref(), &encoder)?;
    let cfg = super::matching::ranking_config(data_dir, args.ranking.as_deref())?;
    let mut params = cfg.vector;
    params.exact_below = 0;
    if let Some(ef) = args.ef_search {
        params.ef_search = ef;
    }
    let started = Instant::now();
    let mut index = VectorIndex::new(encoder::DIM, params);
    for (i, v) in docs.iter().enumerate() {
        let item =
            SearchItem::from_record(i as u64, &search::eval::run::doc_record(&set.corpus[i]))
                .expect("outcomes index");
        index.upsert(ItemMeta::of(&item, String::new()), v)?;
    }
    let build_s = started.elapsed().as_secs_f64();
    let texts: Vec<&str> = set.queries.iter().map(|q| q.text.as_str()).collect();
    let queries = encoder.embed(&texts, encoder::Kind::Query);
    let exact_index = {
        let mut e = index.clone();
        e.set_params(search::HnswParams {
            exact_below: usize::MAX,
            ..params
        });
        e
    };
    let (mut found, mut graph_t, mut exact_t) = (0usize, vec![], vec![]);
    let k = 10;
    for q in &queries {
        let t = Instant::now();
        let approx = index.search_approximate(q, &Filters::default(), k);
        graph_t.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let truth = exact_index.search(q, &Filters::default(), k)?;
        exact_t.push(t.elapsed().as_secs_f64());
        found += approx
            .iter()
            .filter(|a| truth.iter().any(|t| t.id == a.id))
            .count();
    }
    let recall = found as f64 / (k * queries.len()) as f64;
    let (peak, _) = memory_mb();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "corpus": args.dir.display().to_string(),
            "split": args.split,
            "items": docs.len(),
            "queries": queries.len(),
            "params": params,
            "recall@10": recall,
            "build_s": build_s,
            "graph": ms(&mut graph_t),
            "exact": ms(&mut exact_t),
            "peak_rss_mb": peak,
        }))?
    );
    Ok(if recall >= args.min_recall { 0 } else { 1 })
}

/// `bench match`.
pub fn match_latency(args: &BenchMatchArgs, data_dir: &Path) -> anyhow::Result<u8> {
    let cfg = super::matching::ranking_config(data_dir, args.ranking.as_deref())?;
    let encoder = super::encode::load(data_dir, &args.encoder)?;
    let (rss_start, _) = memory_mb();

    // Records and their searchable items (ids: position in the list).
    let started = Instant::now();
    let records: Vec<Record> = super::gen::synthetic(args.items, args.seed)
        .into_iter()
        .flat_map(|(_, rs)| rs)
        .collect();
    let items: Vec<(SearchItem, Vec<String>)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| SearchItem::from_record(i as u64, r).map(|it| (it, parts(r))))
        .collect();
    let gen_s = started.elapsed().as_secs_f64();

    // Topic vectors from the encoder, then one noisy copy per item.
    let started = Instant::now();
    let mut topics: Vec<String> = items.iter().flat_map(|(_, t)| t.clone()).collect();
    topics.sort();
    topics.dedup();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let topic_vectors: HashMap<&str, [f32; encoder::DIM]> = refs
        .iter()
        .copied()
        .zip(encoder.embed(&refs, encoder::Kind::Passage))
        .collect();
    let topic_s = started.elapsed().as_secs_f64();

    let tmp = tempfile::tempdir()?;
    let lexical = LexicalIndex::open_or_create(tmp.path())?;
    let started = Instant::now();
    let mut writer = lexical.writer()?;
    for (item, _) in &items {
        writer.upsert(item)?;
    }
    writer.commit()?;
    lexical.reload()?;
    let lexical_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut vectors = VectorIndex::new(encoder::DIM, cfg.vector);
    let mut noise = Noise(args.seed | 1);
    for (item, parts) in &items {
        let mut v = vec![0f32; encoder::DIM];
        for p in parts {
            for (x, y) in v.iter_mut().zip(&topic_vectors[p.as_str()]) {
                *x += y;
            }
        }
        v.iter_mut().for_each(|x| *x += 0.02 * noise.next());
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        vectors.upsert(ItemMeta::of(item, String::new()), &v)?;
    }
    let vector_s = started.elapsed().as_secs_f64();
    let (rss_built, _) = memory_mb();

    // Profiles as the store would give them (here from memory: the store's share is not measured).
    let by_id: HashMap<u64, usize> = items
        .iter()
        .enumerate()
        .map(|(pos, (it, _))| (it.id, pos))
        .collect();

    let needs = match &args.needs_file {
        Some(path) => needs_from_file(path, args.queries)?,
        None => need_texts(args.queries, args.seed),
    };
    let filters = Filters {
        record_kinds: vec![
            RecordKind::Outcome,
            RecordKind::Person,
            RecordKind::Organization,
        ],
        ..Filters::default()
    };
    let (mut total, mut retrieval, mut embed_t) = (vec![], vec![], vec![]);
    let mut hits_seen = 0usize;
    let exact_params = search::HnswParams {
        exact_below: usize::MAX,
        ..cfg.vector
    };
    let (mut recall_found, mut recall_total) = (0usize, 0usize);
    let mut kth_gap = 0f64;
    // The product's retrieval path: lexical + dictionary bridge + language-balanced dense lists.
    let dict = engine::matching::shared_dictionary(data_dir).ok();
    let english = super::english::load(data_dir, cfg.fusion.english_dense <= 0.0);
    let mut english_queries = 0usize;
    let mut parts = [0f64; 5];
    for (n, need) in needs.iter().enumerate() {
        let t0 = Instant::now();
        let q = encoder.embed(&[need.as_str()], encoder::Kind::Query)[0];
        // Every encoder the query's language uses runs inside the timed call.
        let q_en = english
            .as_ref()
            .filter(|e| model::Lang::detect(need).as_str() == "en" && e.spec().reads(need))
            .map(|e| e.embed(&[need.as_str()], encoder::Kind::Query)[0]);
        english_queries += q_en.is_some() as usize;
        let t1 = Instant::now();
        let retriever = search::Retriever {
            lexical: &lexical,
            vectors: Some(&vectors),
            bridge: dict.as_deref(),
            bm25: search::Bm25Params::default(),
            fusion: cfg.fusion,
            bridge_params: cfg.bridge,
            english: None,
        };
        let query = search::QueryVectors {
            multilingual: Some(&q),
            english: q_en.as_ref().map(|v| v.as_slice()),
        };
        let got = retriever.retrieve_with(need, query, &filters)?;
        let mut fused = got.fused;
        fused.truncate(30);
        let profiles: HashMap<(RecordKind, u64), Profile> = fused
            .iter()
            .map(|f| {
                let pos = by_id[&f.id];
                ((f.record_kind, f.id), profile_of_pos(&items, pos))
            })
            .collect();
        let hits = rerank(
            &fused,
            &profiles,
            need,
            &got.translated,
            &MatchContext {
                trl: Some(6),
                ..MatchContext::default()
            },
            &cfg.need_to_supply,
            10,
        );
        let t2 = Instant::now();
        hits_seen += hits.len();
        // Where retrieval's time goes (measured again, outside the timed call).
        if n >= 5 {
            let depth = cfg.fusion.depth;
            let t = Instant::now();
            lexical.search(need, &filters, &search::Bm25Params::default(), depth)?;
            parts[0] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            if let Some(d) = dict.as_deref() {
                let terms: Vec<(String, f32)> = d
                    .to_english(need, &cfg.bridge)
                    .into_iter()
                    .map(|t| (t.text, t.weight))
                    .collect();
                let en = Filters {
                    langs: vec!["en".into()],
                    ..filters.clone()
                };
                lexical.search_terms(&terms, &en, &search::Bm25Params::default(), depth)?;
            }
            parts[1] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            vectors.search(&q, &filters, depth)?;
            parts[2] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let en = Filters {
                langs: vec!["en".into()],
                ..filters.clone()
            };
            vectors.search(&q, &en, depth)?;
            parts[3] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            vectors.background(&q);
            parts[4] += t.elapsed().as_secs_f64();
        }

        // Graph recall@10 at this scale, unfiltered and with the kind filter used above (not timed).
        vectors.set_params(exact_params);
        let truth = vectors.search(&q, &filters, 10)?;
        vectors.set_params(cfg.vector);
        let got = vectors.search_approximate(&q, &filters, 10);
        recall_found += got
            .iter()
            .filter(|g| truth.iter().any(|t| t.id == g.id))
            .count();
        recall_total += truth.len();
        if let (Some(t), Some(g)) = (truth.last(), got.last()) {
            kth_gap += (t.similarity - g.similarity) as f64;
        }
        // The first few calls warm caches (the lexical scoring view, the allocator); not counted.
        if n >= 5 {
            total.push((t2 - t0).as_secs_f64());
            retrieval.push((t2 - t1).as_secs_f64());
            embed_t.push((t1 - t0).as_secs_f64());
        }
    }
    let (rss_peak, rss_now) = memory_mb();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "items": items.len(),
            "outcomes": args.items,
            "queries_timed": total.len(),
            "threads": encoder.threads(),
            "kernel": encoder.kernel().name(),
            "dictionary_bridge": dict.is_some(),
            "hybrid_match": ms(&mut total),
            "retrieval_only": ms(&mut retrieval),
            "query_embedding": ms(&mut embed_t),
            "english_encoder_queries": english_queries,
            "english_items": vectors
                .search(&needs_probe(&vectors), &Filters { langs: vec!["en".into()], ..Filters::default() }, vectors.len())?
                .len(),
            "retrieval_parts_mean_ms": {
                "lexical": parts[0] * 1000.0 / total.len().max(1) as f64,
                "bridge_translate_and_search": parts[1] * 1000.0 / total.len().max(1) as f64,
                "dense": parts[2] * 1000.0 / total.len().max(1) as f64,
                "dense_other_language": parts[3] * 1000.0 / total.len().max(1) as f64,
                "background": parts[4] * 1000.0 / total.len().max(1) as f64,
            },
            "mean_hits": hits_seen as f64 / needs.len().max(1) as f64,
            "graph_recall@10": recall_found as f64 / recall_total.max(1) as f64,
            // How much worse the graph's 10th hit is than the true 10th (cosine): near zero means the
            // misses are near-ties, not wrong answers.
            "graph_kth_similarity_gap": kth_gap / needs.len().max(1) as f64,
            "vector_index_mb": vectors.approx_bytes() as f64 / 1048576.0,
            "build": {
                "generate_s": gen_s,
                "topic_embeddings_s": topic_s,
                "topics": topics.len(),
                "lexical_index_s": lexical_s,
                "vector_index_s": vector_s,
            },
            "rss_mb": {
                "before_build": rss_start,
                "after_build_peak": rss_built,
                "peak": rss_peak,
                "now": rss_now,
            },
            "vectors": "synthetic: sum of the encoder embeddings of each record's parts plus noise (see docs)",
        }))?
    );
    Ok(0)
}

fn profile_of_pos(items: &[(SearchItem, Vec<String>)], pos: usize) -> Profile {
    let it = &items[pos].0;
    Profile {
        label: it.title.clone(),
        kind: it.kind.clone(),
        text: it.all_text(),
        trl: it.trl,
        clusters: it.clusters.clone(),
        ..Profile::default()
    }
}

/// A record's parts for its synthetic vector: its cluster and up to three keywords, products or fields.
fn parts(r: &Record) -> Vec<String> {
    let (clusters, words) = match r {
        Record::Outcome(o) => (&o.clusters, &o.keywords),
        Record::Organization(o) => (&o.clusters, &o.products),
        Record::Person(p) => (&p.clusters, &p.fields),
        Record::Demand(d) => (&d.clusters, &d.keywords),
    };
    clusters
        .iter()
        .take(1)
        .chain(words.iter().take(3))
        .cloned()
        .collect()
}

/// Need texts in the shape enterprises write them, from the generator's vocabulary.
/// At most `n` needs from a file of one per line (1 MB cap; a bad line is named).
fn needs_from_file(path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > 1 << 20 {
        anyhow::bail!(
            "{}: {len} bytes; give at most 1 MB of needs",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: not UTF-8 text; save it as UTF-8", path.display()))?;
    let needs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(n)
        .map(str::to_string)
        .collect();
    if needs.len() < 6 {
        anyhow::bail!(
            "{}: {} needs; give at least 6 (5 warm the caches)",
            path.display(),
            needs.len()
        );
    }
    Ok(needs)
}

fn need_texts(n: usize, seed: u64) -> Vec<String> {
    let sets = super::gen::synthetic(20 * n.max(5), seed.wrapping_add(7));
    sets.into_iter()
        .flat_map(|(_, rs)| rs)
        .filter_map(|r| match r {
            Record::Demand(d) => Some(format!("{} {}", d.title, d.problem)),
            _ => None,
        })
        .take(n)
        .collect()
}

/// Gaussian-ish noise (sum of uniforms) for the synthetic vectors.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        let mut s = 0.0;
        for _ in 0..4 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            s += (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        }
        s
    }
}

/// A unit vector for counting (any direction does: the count is what is read).
fn needs_probe(v: &VectorIndex) -> Vec<f32> {
    let mut q = vec![0f32; v.dim()];
    q[0] = 1.0;
    q
}
