use anyhow::{bail, Context};
use search::eval::{beir, run::evaluate_lexical};
use search::{Bm25Params, LexicalIndex};

use crate::args::EvalArgs;

pub fn run(args: &EvalArgs) -> anyhow::Result<u8> {
    match args.mode.as_str() {
        "lexical" => {}
        "dense" | "hybrid" => bail!(
            "--mode {} is not available yet: it arrives with the multilingual encoder and hybrid matching; use --mode lexical",
            args.mode
        ),
        other => bail!("unknown --mode '{other}': use lexical, dense or hybrid"),
    }
    let set = beir::load(&args.dir, &args.split)?;
    for w in &set.warnings {
        eprintln!("warning: {w}");
    }
    if set.queries.is_empty() {
        bail!(
            "{}: no query of split '{}' has judgements; nothing to evaluate",
            args.dir.display(),
            args.split
        );
    }
    let mut params = Bm25Params::default();
    if let Some(v) = args.k1 {
        params.k1 = v;
    }
    if let Some(v) = args.b {
        params.b = v;
    }
    if let Some(v) = args.w_title {
        params.w_title = v;
    }
    if let Some(v) = args.w_keywords {
        params.w_keywords = v;
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary index directory")?;
    let index = LexicalIndex::open_or_create(tmp.path())?;
    let report = evaluate_lexical(&set, &index, &params, args.k)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} ({} split, {} mode): {} queries over {} documents",
            args.dir.display(),
            args.split,
            args.mode,
            report.queries,
            report.docs
        );
        println!("  nDCG@10     {:.4}", report.ndcg_10);
        println!("  Recall@100  {:.4}", report.recall_100);
        println!("  MRR@10      {:.4}", report.mrr_10);
        println!("  index       {:.2} s", report.index_s);
        println!("  queries     {:.0} per second", report.qps);
    }
    Ok(0)
}
