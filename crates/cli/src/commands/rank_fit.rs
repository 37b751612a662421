//! `shuanglian rank fit --labels FILE`: learns from the relevance labels engagements left. The labelled
//! needs are split by time (the needs first labelled last are held out); on the earlier part a grid
//! chooses the lexical/dense weights and the weight of the not-relevant verdicts; both parts are then
//! ranked with the ranking file, the same without verdicts, and the fitted values, and nDCG@10 is
//! reported for each. Only the training part's verdicts on public needs are used, also for the held-out
//! needs (the held-out labels never rank themselves), and a need's own verdicts are left out when it is
//! ranked (leave one out).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{bail, Context};
use engine::matching::{self, DealCache, DealMemory, Engines, Need, OwnVerdicts};
use model::{Confidentiality, Record, RecordKind};
use search::eval::metrics::{ndcg_at, Judgements};
use search::feedback::{shingles, JudgedNeed, Verdicts};
use search::matching::{MatchContext, RankingConfig};
use store::Store;

use crate::args::Global;
use crate::deal_args::RankFitArgs;

/// Largest labels file read.
pub const MAX_LABELS_BYTES: u64 = 64 * 1024 * 1024;
/// Most labels read.
pub const MAX_LABELS: usize = 1_000_000;
/// Depth of the ranking measured.
const K: usize = 10;

/// One line of the labels file (`shuanglian labels export --format jsonl`, or `gen --history`).
#[derive(Debug, Clone, serde::Deserialize)]
struct LabelLine {
    demand_id: i64,
    item_kind: String,
    item_id: i64,
    grade: i64,
    #[serde(alias = "at")]
    updated_at: Option<i64>,
    #[serde(default)]
    synthetic: bool,
}

/// Reads and checks the labels; whether any is synthetic.
fn read_labels(path: &Path) -> anyhow::Result<(Vec<LabelLine>, bool)> {
    let file = path.display();
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {file}"))?
        .len();
    if size > MAX_LABELS_BYTES {
        bail!(
            "{file}: {size} bytes, above the {} MiB cap; split it by time",
            MAX_LABELS_BYTES >> 20
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{file}: cannot read it as UTF-8 text"))?;
    let mut out = vec![];
    for (n, line) in text.lines().enumerate() {
        let at = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == MAX_LABELS {
            bail!("{file}:{at}: more than {MAX_LABELS} labels; split the file by time");
        }
        let l: LabelLine = serde_json::from_str(line).map_err(|e| {
            anyhow::anyhow!(
                "{file}:{at}: {e}; each line is one JSON object with demand_id, item_kind, item_id, \
                 grade and updated_at, as `shuanglian labels export --format jsonl` writes"
            )
        })?;
        if !(0..=3).contains(&l.grade) {
            bail!(
                "{file}:{at}: field `grade` = {}: give 0 (not relevant) to 3 (contracted)",
                l.grade
            );
        }
        if store::item_record_kind(&l.item_kind).is_none() {
            bail!(
                "{file}:{at}: field `item_kind` = {:?}: give outcome, expert or organization",
                l.item_kind
            );
        }
        if l.updated_at.is_none() {
            bail!("{file}:{at}: field `updated_at` is missing: the time split needs when each label was set (Unix seconds)");
        }
        out.push(l);
    }
    if out.is_empty() {
        bail!("{file}: no labels; `shuanglian labels export --format jsonl` writes them");
    }
    let synthetic = out.iter().any(|l| l.synthetic);
    Ok((out, synthetic))
}

/// A labelled need: when it was first labelled, its grades by item, its not-relevant items.
struct Judged {
    demand: i64,
    first: i64,
    grades: Judgements,
    rejected: Vec<(RecordKind, u64)>,
    text: String,
    ctx: MatchContext,
    public: bool,
}

fn item_key(kind: RecordKind, id: u64) -> String {
    let k = match kind {
        RecordKind::Person => "expert",
        RecordKind::Organization => "organization",
        _ => "outcome",
    };
    format!("{k}:{id}")
}

/// The ranking's figures on one set of needs.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
struct Score {
    ndcg: f64,
    /// Share of the needs' not-relevant items that still show in the top 10.
    rejected_in_top: f64,
}

async fn score(
    store: &Store,
    e: &Engines,
    cfg: &RankingConfig,
    needs: &[&Judged],
) -> anyhow::Result<Score> {
    let filters = matching::supply_filters(Some("any"))?;
    let (mut sum, mut rejected, mut shown) = (0.0, 0usize, 0usize);
    for n in needs {
        let need = Need {
            text: n.text.clone(),
            filters: filters.clone(),
            ctx: n.ctx.clone(),
            limit: K,
            // Leave one out: the need's own verdicts never rank it.
            own: Some(OwnVerdicts {
                demand_id: n.demand,
                rejected: vec![],
            }),
        };
        let answer = matching::match_need(store, e, cfg, &need).await?;
        let ranked: Vec<String> = answer
            .hits
            .iter()
            .map(|h| item_key(h.record_kind, h.id))
            .collect();
        let refs: Vec<&str> = ranked.iter().map(String::as_str).collect();
        sum += ndcg_at(&refs, &n.grades, K);
        rejected += n.rejected.len();
        shown += n
            .rejected
            .iter()
            .filter(|(k, id)| ranked.contains(&item_key(*k, *id)))
            .count();
    }
    Ok(Score {
        ndcg: if needs.is_empty() {
            0.0
        } else {
            sum / needs.len() as f64
        },
        rejected_in_top: if rejected == 0 {
            0.0
        } else {
            shown as f64 / rejected as f64
        },
    })
}

#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    name: &'static str,
    w_lexical: f32,
    w_dense: f32,
    not_relevant: f32,
    train: Score,
    held_out: Score,
}

fn variant(cfg: &RankingConfig, w_lexical: f32, not_relevant: f32) -> RankingConfig {
    let mut c = cfg.clone();
    let total = c.fusion.w_lexical + c.fusion.w_dense;
    c.fusion.w_lexical = w_lexical * total;
    c.fusion.w_dense = (1.0 - w_lexical) * total;
    c.need_to_supply.not_relevant = not_relevant;
    c
}

/// `shuanglian rank fit`.
pub async fn fit(global: &Global, args: &RankFitArgs) -> anyhow::Result<u8> {
    if !(0.05..=0.9).contains(&args.holdout) {
        bail!(
            "--holdout {}: give the share of needs held out, from 0.05 to 0.9",
            args.holdout
        );
    }
    let (labels, synthetic) = read_labels(&args.labels)?;
    let store = super::open_existing_store(global).await?;
    let data_dir = super::data_dir(global);
    let cfg = super::matching::ranking_config(&data_dir, args.ranking.as_deref())?;
    let mut engines =
        super::matching::engines(&store, &data_dir, &args.encoder, args.lexical_only, &cfg).await?;
    let everything = super::issuer(&store)?.demands_everything();

    let mut by_need: BTreeMap<i64, Vec<&LabelLine>> = BTreeMap::new();
    for l in &labels {
        by_need.entry(l.demand_id).or_default().push(l);
    }
    let mut needs = vec![];
    let mut missing = 0;
    for (demand, ls) in by_need {
        let Some(s) = store.get_demand(demand, &everything).await? else {
            missing += 1;
            continue;
        };
        let Record::Demand(d) = &s.record else {
            continue;
        };
        let Some((text, ctx)) = matching::need_of_demand(&s.record) else {
            continue;
        };
        let mut grades = HashMap::new();
        let mut rejected = vec![];
        for l in &ls {
            let kind = store::item_record_kind(&l.item_kind).expect("checked on reading");
            grades.insert(item_key(kind, l.item_id as u64), l.grade as i32);
            if l.grade == 0 {
                rejected.push((kind, l.item_id as u64));
            }
        }
        needs.push(Judged {
            demand,
            first: ls.iter().filter_map(|l| l.updated_at).min().unwrap_or(0),
            grades,
            rejected,
            text,
            ctx,
            public: d.confidentiality == Confidentiality::Public,
        });
    }
    needs.sort_by_key(|n| (n.first, n.demand));
    let held = ((needs.len() as f64) * args.holdout).round() as usize;
    if needs.len() < 4 || held == 0 || held == needs.len() {
        bail!(
            "{} labelled needs found in the store ({missing} not found): a time split needs at least 4",
            needs.len()
        );
    }
    let (train, test): (Vec<&Judged>, Vec<&Judged>) = {
        let cut = needs.len() - held;
        (needs[..cut].iter().collect(), needs[cut..].iter().collect())
    };
    // The verdicts ranking may use: the training period's, on public needs only.
    let verdicts = Verdicts {
        needs: train
            .iter()
            .filter(|n| n.public && !n.rejected.is_empty())
            .map(|n| JudgedNeed {
                demand_id: n.demand,
                shingles: shingles(&n.text),
                rejected: n.rejected.clone(),
            })
            .collect(),
    };
    engines.deals = DealCache::fixed(DealMemory::load(&store).await?.with_verdicts(verdicts));

    let hybrid = engines.encoder.is_some();
    let base_lexical = cfg.fusion.w_lexical / (cfg.fusion.w_lexical + cfg.fusion.w_dense);
    let lexical_grid: Vec<f32> = if hybrid {
        (2..=8).map(|i| i as f32 / 10.0).collect()
    } else {
        vec![base_lexical]
    };
    // Training scores by grid point, kept for the report (the same ranking is never scored twice).
    let mut trained: HashMap<(u32, u32), Score> = HashMap::new();
    // Best training nDCG; ties keep the point closest to the ranking file's values.
    let mut best: Option<(f64, f32, f32, f32)> = None;
    for &wl in &lexical_grid {
        for nr in [0.0f32, 0.3, 0.6, 1.2, 2.0] {
            let s = score(&store, &engines, &variant(&cfg, wl, nr), &train).await?;
            trained.insert((wl.to_bits(), nr.to_bits()), s);
            let distance = (wl - base_lexical).abs() + (nr - cfg.need_to_supply.not_relevant).abs();
            let better = best.is_none_or(|(b, _, _, d)| {
                s.ndcg > b + 1e-9 || ((s.ndcg - b).abs() <= 1e-9 && distance < d)
            });
            if better {
                best = Some((s.ndcg, wl, nr, distance));
            }
        }
    }
    let (_, fit_lexical, fit_not_relevant, _) = best.expect("the grid is not empty");
    let mut rows = vec![];
    for (name, wl, nr) in [
        (
            "ranking file",
            base_lexical,
            cfg.need_to_supply.not_relevant,
        ),
        ("ranking file without verdicts", base_lexical, 0.0),
        ("fitted on the training part", fit_lexical, fit_not_relevant),
    ] {
        let c = variant(&cfg, wl, nr);
        // Matching without the encoder gives the lexical list the whole weight.
        let (w_lexical, w_dense) = if hybrid {
            (c.fusion.w_lexical, c.fusion.w_dense)
        } else {
            (c.fusion.w_lexical + c.fusion.w_dense, 0.0)
        };
        rows.push(Row {
            name,
            w_lexical,
            w_dense,
            not_relevant: nr,
            train: match trained.get(&(wl.to_bits(), nr.to_bits())) {
                Some(s) => *s,
                None => score(&store, &engines, &c, &train).await?,
            },
            held_out: score(&store, &engines, &c, &test).await?,
        });
    }
    if let Some(out) = &args.output {
        let fitted = variant(&cfg, fit_lexical, fit_not_relevant);
        let text = format!(
            "# Written by `shuanglian rank fit --labels {}`{}: w_lexical, w_dense and\n\
             # need_to_supply.not_relevant fitted on the {} needs labelled first; every other value as in\n\
             # the ranking file it started from.\n{}",
            args.labels.display(),
            if synthetic { " (SYNTHETIC history)" } else { "" },
            train.len(),
            toml::to_string(&fitted)?
        );
        std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    report(
        args, synthetic, &labels, &train, &test, missing, hybrid, &rows,
    )?;
    Ok(0)
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &RankFitArgs,
    synthetic: bool,
    labels: &[LabelLine],
    train: &[&Judged],
    test: &[&Judged],
    missing: usize,
    hybrid: bool,
    rows: &[Row],
) -> anyhow::Result<()> {
    let day = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let split = test.first().map_or(0, |n| n.first);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "synthetic": synthetic,
                "labels": labels.len(),
                "train_needs": train.len(),
                "held_out_needs": test.len(),
                "needs_not_found": missing,
                "held_out_from": day(split),
                "mode": if hybrid { "hybrid" } else { "lexical" },
                "k": K,
                "rows": rows,
            }))?
        );
        return Ok(());
    }
    if synthetic {
        println!("SYNTHETIC HISTORY (合成数据): these labels come from `shuanglian gen --history`, not from real deals.");
    }
    println!(
        "{} labels; {} needs to fit on, {} held out (first labelled from {}); {} not found; {} matching",
        labels.len(),
        train.len(),
        test.len(),
        day(split),
        missing,
        if hybrid { "hybrid" } else { "lexical" }
    );
    println!(
        "{:<32} {:>9} {:>9} {:>12} {:>12} {:>12} {:>16}",
        "ranking",
        "w_lexical",
        "w_dense",
        "not_relevant",
        "train nDCG",
        "held nDCG",
        "held rejected@10"
    );
    for r in rows {
        println!(
            "{:<32} {:>9.2} {:>9.2} {:>12.2} {:>12.4} {:>12.4} {:>15.1}%",
            r.name,
            r.w_lexical,
            r.w_dense,
            r.not_relevant,
            r.train.ndcg,
            r.held_out.ndcg,
            100.0 * r.held_out.rejected_in_top
        );
    }
    if let Some(out) = &args.output {
        println!("fitted ranking file written to {}", out.display());
    }
    Ok(())
}
