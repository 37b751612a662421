//! Encoder throughput and latency on a file of texts (one per line), for `scripts/bench-encoder`.
//!
//! `encoder_bench MODEL TEXTS_FILE query|passage [THREADS] [KERNEL]` prints one JSON line:
//! texts, tokens, batch seconds, tokens/s, median single-text latency in ms, kernel, threads.
use encoder::{Encoder, Kernel, Kind, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: encoder_bench MODEL TEXTS_FILE query|passage [THREADS] [KERNEL]");
        std::process::exit(2);
    }
    let kind = if args[3] == "query" {
        Kind::Query
    } else {
        Kind::Passage
    };
    let options = Options {
        threads: args.get(4).map_or(0, |t| t.parse().expect("threads")),
        kernel: args
            .get(5)
            .map(|k| Kernel::from_name(k).expect("kernel: avx512-vnni, avx2 or scalar")),
        verify_checksum: false,
    };
    let e = Encoder::load(std::path::Path::new(&args[1]), &options).expect("model");
    let texts: Vec<String> = std::fs::read_to_string(&args[2])
        .expect("texts file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs.iter().map(|t| e.token_count(t, kind)).sum();
    e.embed(&refs[..1], kind); // warm-up: page in the weights
    let started = std::time::Instant::now();
    let out = e.embed(&refs, kind);
    let batch_s = started.elapsed().as_secs_f64();
    assert_eq!(out.len(), refs.len());
    let mut lat: Vec<f64> = refs
        .iter()
        .take(50)
        .map(|t| {
            let s = std::time::Instant::now();
            e.embed(&[t], kind);
            s.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    println!(
        "{{\"engine\":\"shuanglian\",\"texts\":{},\"tokens\":{tokens},\"batch_s\":{batch_s:.4},\"tokens_per_s\":{:.1},\"latency_ms\":{:.2},\"kernel\":\"{}\",\"threads\":{}}}",
        refs.len(),
        tokens as f64 / batch_s,
        lat[lat.len() / 2],
        e.kernel().name(),
        e.threads()
    );
}
