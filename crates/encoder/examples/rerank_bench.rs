//! Latency of the English cross-encoder as a rerank stage: `rerank_bench MODEL PASSAGES_FILE [K]`
//! scores one query against the first K passages (one per line; default 10) five times and prints the
//! median milliseconds per call and per pair as one JSON line. Used to decide whether a rerank stage
//! fits the matching latency budget (BENCHMARKS.md).
use encoder::registry::MINILM_RERANKER_EN;
use encoder::{Encoder, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: rerank_bench MODEL PASSAGES_FILE [K]");
        std::process::exit(2);
    }
    let k: usize = args.get(3).map_or(10, |v| v.parse().expect("K"));
    let e = Encoder::load_model(
        &MINILM_RERANKER_EN,
        std::path::Path::new(&args[1]),
        &Options::default(),
    )
    .expect("cross-encoder");
    let text = std::fs::read_to_string(&args[2]).expect("passages file");
    let passages: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(k)
        .collect();
    let query = "Does vitamin D supplementation reduce the risk of fractures in older adults?";
    let mut ms = vec![];
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let s = e.score_pairs(query, &passages).expect("scores");
        assert_eq!(s.len(), passages.len());
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{{\"pairs\":{},\"threads\":{},\"median_ms\":{:.1},\"per_pair_ms\":{:.1}}}",
        passages.len(),
        e.threads(),
        ms[2],
        ms[2] / passages.len().max(1) as f64
    );
}
