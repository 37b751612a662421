//! Vector index behaviour: graph recall against exact search, filters during the walk, updates,
//! persistence and bad files.

use model::RecordKind;
use search::{Filters, HnswParams, ItemMeta, VectorIndex};

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Clustered unit vectors, like embeddings of texts on a few dozen topics.
fn clustered(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = Rng(seed);
    let centres: Vec<Vec<f32>> = (0..40)
        .map(|_| (0..dim).map(|_| rng.next()).collect())
        .collect();
    (0..n)
        .map(|i| {
            let c = &centres[i % centres.len()];
            unit(c.iter().map(|x| x + 0.8 * rng.next()).collect())
        })
        .collect()
}

fn meta(id: u64, trl: u8) -> ItemMeta {
    ItemMeta {
        record_kind: RecordKind::Outcome,
        id,
        kind: if id.is_multiple_of(3) {
            "patent"
        } else {
            "paper"
        }
        .into(),
        lang: "en".into(),
        region: Some(
            if id.is_multiple_of(2) {
                "500112"
            } else {
                "510100"
            }
            .into(),
        ),
        clusters: vec![],
        trl: Some(trl),
        year: None,
        text_hash: format!("h{id}"),
    }
}

fn graph_only() -> HnswParams {
    HnswParams {
        exact_below: 0,
        ..HnswParams::default()
    }
}

fn build(vectors: &[Vec<f32>], params: HnswParams) -> VectorIndex {
    let mut index = VectorIndex::new(vectors[0].len(), params);
    for (i, v) in vectors.iter().enumerate() {
        index
            .upsert(meta(i as u64, (i % 9 + 1) as u8), v)
            .expect("upsert");
    }
    index
}

fn ids(hits: &[search::VectorHit]) -> Vec<u64> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn graph_search_finds_what_exact_search_finds() {
    let vectors = clustered(3_000, 48, 7);
    let graph = build(&vectors, graph_only());
    let exact = build(
        &vectors,
        HnswParams {
            exact_below: usize::MAX,
            ..HnswParams::default()
        },
    );
    let queries = clustered(100, 48, 99);
    let mut found = 0;
    for q in &queries {
        let truth = ids(&exact.search(q, &Filters::default(), 10).unwrap());
        let approx = ids(&graph.search_approximate(q, &Filters::default(), 10));
        assert_eq!(approx.len(), 10);
        found += approx.iter().filter(|x| truth.contains(x)).count();
    }
    let recall = found as f64 / 1000.0;
    assert!(recall >= 0.98, "recall@10 {recall}");
}

#[test]
fn results_are_best_first_with_exact_similarities() {
    let vectors = clustered(500, 32, 3);
    let index = build(&vectors, graph_only());
    let hits = index.search(&vectors[17], &Filters::default(), 5).unwrap();
    assert_eq!(hits[0].id, 17, "a stored vector finds itself first");
    assert!((hits[0].similarity - 1.0).abs() < 1e-5);
    for w in hits.windows(2) {
        assert!(w[0].similarity >= w[1].similarity);
    }
}

#[test]
fn a_filter_never_leaves_fewer_than_k_when_k_pass() {
    let vectors = clustered(3_000, 32, 11);
    let index = build(&vectors, graph_only());
    let q = &vectors[5];
    // A third pass (patents), a ninth (patents at TRL 7), an eighteenth (odd patents at TRL 1): the
    // graph walk must keep going past rejected nodes, and fall back to a scan if it still finds too few.
    for filters in [
        Filters {
            kinds: vec!["patent".into()],
            ..Filters::default()
        },
        Filters {
            kinds: vec!["patent".into()],
            trl: Some((7, 7)),
            ..Filters::default()
        },
        Filters {
            kinds: vec!["patent".into()],
            regions: vec!["510100".into()],
            trl: Some((1, 1)),
            ..Filters::default()
        },
    ] {
        let passing: Vec<u64> = (0..3_000u64)
            .filter(|&i| filters.accepts(index.meta(RecordKind::Outcome, i).unwrap()))
            .collect();
        for k in [10, 60] {
            let hits = index.search(q, &filters, k).unwrap();
            assert_eq!(hits.len(), k.min(passing.len()), "{filters:?} k={k}");
            assert!(hits.iter().all(|h| passing.contains(&h.id)));
        }
    }
    let none = Filters {
        kinds: vec!["prototype".into()],
        ..Filters::default()
    };
    assert!(index.search(q, &none, 10).unwrap().is_empty());
}

#[test]
fn updates_replace_and_deletions_hide_items() {
    let vectors = clustered(400, 16, 5);
    let mut index = build(&vectors, graph_only());
    assert_eq!(index.len(), 400);
    // Same text hash: the node stays, metadata is refreshed.
    let mut m = meta(3, 9);
    m.kind = "prototype".into();
    index.upsert(m, &vectors[3]).unwrap();
    assert_eq!(index.nodes(), 400);
    assert_eq!(
        index.meta(RecordKind::Outcome, 3).unwrap().kind,
        "prototype"
    );
    // New text: a new node, the old one a tombstone.
    let mut m = meta(4, 1);
    m.text_hash = "changed".into();
    index.upsert(m, &vectors[200]).unwrap();
    assert_eq!((index.len(), index.nodes()), (400, 401));
    let hits = index.search(&vectors[200], &Filters::default(), 2).unwrap();
    assert_eq!(ids(&hits).iter().filter(|&&i| i == 4).count(), 1);
    assert!(index.delete(RecordKind::Outcome, 9));
    assert!(!index.delete(RecordKind::Outcome, 9));
    let hits = index.search(&vectors[9], &Filters::default(), 400).unwrap();
    assert!(!ids(&hits).contains(&9));
    assert_eq!(hits.len(), 399);
    index.compact();
    assert_eq!((index.len(), index.nodes()), (399, 399));
    let best = &index.search(&vectors[200], &Filters::default(), 1).unwrap()[0];
    assert!((best.similarity - 1.0).abs() < 1e-5 && [4, 200].contains(&best.id));
}

#[test]
fn saved_indexes_load_with_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors.bin");
    assert!(VectorIndex::load(&path).unwrap().is_none());
    let vectors = clustered(800, 24, 13);
    let mut index = build(&vectors, graph_only());
    index.delete(RecordKind::Outcome, 1);
    index.set_outbox_position(42);
    index.save(&path).unwrap();
    let loaded = VectorIndex::load(&path).unwrap().unwrap();
    assert_eq!(loaded.outbox_position(), 42);
    assert_eq!(loaded.len(), 799);
    for q in vectors.iter().take(20) {
        assert_eq!(
            index.search(q, &Filters::default(), 10).unwrap(),
            loaded.search(q, &Filters::default(), 10).unwrap()
        );
    }
    // A cut file and a foreign file are refused with a way out.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = VectorIndex::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("cut short") && err.contains("reindex"),
        "{err}"
    );
    std::fs::write(&path, b"hello").unwrap();
    assert!(VectorIndex::load(&path).is_err());
    // Saving leaves no temporary file behind.
    index.save(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("vectors.bin")]);
}

#[test]
fn damaged_files_are_refused_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors.bin");
    let vectors = clustered(300, 16, 5);
    let index = build(&vectors, graph_only());
    index.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    // An absurd item count in the header must not allocate or overflow: it is refused.
    let mut bad = good.clone();
    bad[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    assert!(VectorIndex::load(&path).is_err());
    // A top layer above the maximum is refused.
    let mut bad = good.clone();
    bad[32..40].copy_from_slice(&200u64.to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let err = VectorIndex::load(&path).unwrap_err().to_string();
    assert!(err.contains("reindex"), "{err}");
    // A NaN among the vectors is refused.
    let mut bad = good.clone();
    let head = 8 + 8 * 8;
    let params_len = u64::from_le_bytes(good[8 + 6 * 8..8 + 7 * 8].try_into().unwrap()) as usize;
    let meta_len = u64::from_le_bytes(good[8 + 7 * 8..head].try_into().unwrap()) as usize;
    let first_float = head + params_len + meta_len;
    bad[first_float..first_float + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let err = VectorIndex::load(&path).unwrap_err().to_string();
    assert!(err.contains("finite"), "{err}");
    std::fs::write(&path, &good).unwrap();
    assert!(VectorIndex::load(&path).unwrap().is_some());
}

#[test]
fn non_finite_vectors_are_refused_and_m_stays_with_the_graph() {
    let mut index = VectorIndex::new(4, HnswParams::default());
    let err = index
        .upsert(meta(1, 1), &[f32::NAN, 0.0, 0.0, 0.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("finite"), "{err}");
    assert!(index.is_empty());
    index.set_params(HnswParams {
        m: 4,
        ef_search: 7,
        ..HnswParams::default()
    });
    assert_eq!(index.params().m, HnswParams::default().m);
    assert_eq!(index.params().ef_search, 7);
}

#[test]
fn wrong_dimensions_are_refused() {
    let mut index = VectorIndex::new(8, HnswParams::default());
    let err = index.upsert(meta(1, 1), &[0.0; 4]).unwrap_err().to_string();
    assert!(err.contains("4 dimensions") && err.contains("8"), "{err}");
    assert!(index.search(&[1.0; 3], &Filters::default(), 3).is_err());
    assert!(index
        .search(&[1.0; 8], &Filters::default(), 3)
        .unwrap()
        .is_empty());
}
