//! Profiles the query path: builds a BEIR corpus's index once, then runs its judged queries `ROUNDS`
//! times. `cargo run --release -p shuanglian-search --example query_loop -- ../shared/data/beir/scifact test 20`
use search::eval::{beir, run::doc_record};
use search::{Bm25Params, Filters, LexicalIndex, SearchItem};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("BEIR dir"));
    let split = args.next().unwrap_or_else(|| "test".into());
    let rounds: usize = args.next().map_or(20, |r| r.parse().expect("rounds"));
    let set = beir::load(&dir, &split).expect("BEIR set");
    let index = LexicalIndex::in_memory().expect("index");
    let mut w = index.writer().expect("writer");
    w.clear().expect("clear");
    for (i, d) in set.corpus.iter().enumerate() {
        w.upsert(&SearchItem::from_record(i as u64, &doc_record(d)).expect("item"))
            .expect("upsert");
    }
    w.commit().expect("commit");
    index.reload().expect("reload");
    let (filters, params) = (Filters::default(), Bm25Params::default());
    let started = std::time::Instant::now();
    let mut hits = 0;
    for _ in 0..rounds {
        for q in &set.queries {
            hits += index
                .search(&q.text, &filters, &params, 100)
                .expect("search")
                .len();
        }
    }
    let per = started.elapsed().as_secs_f64() / (rounds * set.queries.len()) as f64;
    println!(
        "{} queries x {rounds}: {:.1} µs per query ({hits} hits)",
        set.queries.len(),
        per * 1e6
    );
}
