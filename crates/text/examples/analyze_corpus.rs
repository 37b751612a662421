//! Times the analyzer alone over a BEIR corpus: `cargo run --release -p shuanglian-text --example
//! analyze_corpus -- ../shared/data/beir/scifact/corpus.jsonl`.
fn main() {
    let path = std::env::args().nth(1).expect("corpus.jsonl");
    let texts: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let start = l.find("\"title\"").unwrap_or(0);
            l[start..].to_string()
        })
        .collect();
    let a = text::Analyzer::shared();
    a.terms("warm up");
    let t = std::time::Instant::now();
    let mut n = 0usize;
    for s in &texts {
        a.analyze_each(s, |_, _, _| n += 1);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} tokens in {s:.3}s = {:.1} M tokens/s",
        n as f64 / s / 1e6
    );
}
