//! Lexical index behaviour: ranking, filters during search, incremental updates.

#[path = "search/fusion.rs"]
mod fusion;
#[path = "search/retrieve.rs"]
mod retrieve;
#[path = "search/vector.rs"]
mod vector;

use model::RecordKind;
use search::{Bm25Params, Filters, LexicalIndex, SearchItem};

fn item(
    id: u64,
    kind: &str,
    title: &str,
    body: &str,
    trl: Option<u8>,
    year: Option<i32>,
) -> SearchItem {
    SearchItem {
        record_kind: RecordKind::Outcome,
        id,
        kind: kind.into(),
        lang: model::Lang::detect(title).to_string(),
        region: Some(
            if id.is_multiple_of(2) {
                "500112"
            } else {
                "510100"
            }
            .into(),
        ),
        clusters: vec![],
        trl,
        year,
        title: title.into(),
        body: body.into(),
        keywords: vec![],
    }
}

fn index(items: &[SearchItem]) -> LexicalIndex {
    let idx = LexicalIndex::in_memory().unwrap();
    let mut w = idx.writer().unwrap();
    for i in items {
        w.upsert(i).unwrap();
    }
    w.commit().unwrap();
    idx.reload().unwrap();
    idx
}

fn ids(idx: &LexicalIndex, q: &str, f: &Filters, limit: usize) -> Vec<u64> {
    idx.search(q, f, &Bm25Params::default(), limit)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn corpus() -> Vec<SearchItem> {
    vec![
        item(
            1,
            "patent",
            "一种磷酸锰铁锂正极材料的碳包覆方法",
            "提高锂离子电池正极材料倍率性能",
            Some(6),
            Some(2024),
        ),
        item(
            2,
            "paper",
            "锂离子电池热失控预警",
            "基于气体传感的电池包热失控早期预警",
            Some(4),
            Some(2021),
        ),
        item(
            3,
            "paper",
            "SiC MOSFET packaging with low parasitic inductance",
            "double-sided cooling power module",
            Some(5),
            Some(2023),
        ),
        item(
            4,
            "prototype",
            "压铸件X射线在线检测样机",
            "深度学习识别气孔",
            Some(7),
            Some(2025),
        ),
        item(
            5,
            "paper",
            "Graphene anodes for lithium-ion batteries",
            "anode materials improve battery cycling",
            Some(3),
            Some(2019),
        ),
    ]
}

#[test]
fn the_matching_document_ranks_first_in_both_languages() {
    let idx = index(&corpus());
    assert_eq!(ids(&idx, "正极材料 碳包覆", &Filters::default(), 10)[0], 1);
    assert_eq!(ids(&idx, "电池热失控", &Filters::default(), 10)[0], 2);
    assert_eq!(
        ids(&idx, "SiC 功率模块 packaging", &Filters::default(), 10)[0],
        3
    );
    assert_eq!(
        ids(&idx, "lithium battery anodes", &Filters::default(), 10)[0],
        5
    );
    assert!(ids(&idx, "量子计算", &Filters::default(), 10).is_empty());
}

#[test]
fn filters_apply_during_search_and_never_cut_the_list_short() {
    let idx = index(&corpus());
    let f = Filters {
        trl: Some((5, 9)),
        ..Default::default()
    };
    // "电池" matches 1 and 2 (and 5 via English? no): with TRL ≥ 5 only 1 remains.
    assert_eq!(ids(&idx, "电池", &f, 10), vec![1]);
    let f = Filters {
        kinds: vec!["paper".into()],
        ..Default::default()
    };
    let got = ids(&idx, "电池 battery packaging", &f, 10);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|id| [2, 3, 5].contains(id)));
    let f = Filters {
        year: Some((2023, 2030)),
        langs: vec!["en".into()],
        ..Default::default()
    };
    assert_eq!(ids(&idx, "packaging anodes", &f, 10), vec![3]);
    let f = Filters {
        regions: vec!["500112".into()],
        ..Default::default()
    };
    assert!(ids(&idx, "电池 锂 检测 packaging anodes", &f, 10)
        .iter()
        .all(|id| id.is_multiple_of(2)));
    // A filter that removes the best hits still fills the requested number from the rest.
    let many: Vec<SearchItem> = (0..50)
        .map(|i| {
            item(
                i,
                if i < 45 { "paper" } else { "patent" },
                &format!("电池 材料 {i}"),
                "电池",
                Some(3),
                None,
            )
        })
        .collect();
    let idx = index(&many);
    let f = Filters {
        kinds: vec!["patent".into()],
        ..Default::default()
    };
    assert_eq!(ids(&idx, "电池", &f, 5).len(), 5);
    let f = Filters {
        record_kinds: vec![RecordKind::Demand],
        ..Default::default()
    };
    assert!(ids(&idx, "电池", &f, 5).is_empty());
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let idx = index(&corpus());
    let mut w = idx.writer().unwrap();
    w.upsert(&item(
        3,
        "paper",
        "Gallium nitride transistors",
        "GaN HEMT",
        Some(5),
        Some(2023),
    ))
    .unwrap();
    w.delete(RecordKind::Outcome, 5);
    w.commit().unwrap();
    idx.reload().unwrap();
    assert_eq!(idx.len(), 4);
    assert!(ids(&idx, "SiC MOSFET packaging", &Filters::default(), 10).is_empty());
    assert_eq!(
        ids(&idx, "gallium nitride", &Filters::default(), 10),
        vec![3]
    );
    assert!(ids(&idx, "graphene anodes", &Filters::default(), 10).is_empty());
}

#[test]
fn bm25_parameters_change_the_ranking() {
    // A short document with one match vs a long one with two: length normalisation decides.
    let idx = index(&[
        item(1, "paper", "battery", "", None, None),
        item(
            2,
            "paper",
            "battery battery",
            &"filler words here ".repeat(40),
            None,
            None,
        ),
    ]);
    let strict = Bm25Params {
        b: 1.0,
        ..Default::default()
    };
    let none = Bm25Params {
        b: 0.0,
        ..Default::default()
    };
    let top = |p: &Bm25Params| idx.search("battery", &Filters::default(), p, 2).unwrap()[0].id;
    assert_eq!(top(&strict), 1);
    assert_eq!(top(&none), 2);
}

#[test]
fn a_persisted_index_reopens_with_its_documents() {
    let dir = tempfile::tempdir().unwrap();
    {
        let idx = LexicalIndex::open_or_create(dir.path()).unwrap();
        let mut w = idx.writer().unwrap();
        for i in corpus() {
            w.upsert(&i).unwrap();
        }
        w.commit().unwrap();
    }
    let idx = LexicalIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(idx.len(), 5);
    assert_eq!(ids(&idx, "热失控", &Filters::default(), 3)[0], 2);
}

#[test]
fn confidential_demands_never_enter_the_shared_index() {
    let mut d = model::Demand::new("甲公司", "热失控预警", "需要热失控预警");
    d.confidentiality = model::Confidentiality::Nda;
    assert!(SearchItem::from_record(1, &model::Record::Demand(d.clone())).is_none());
    d.confidentiality = model::Confidentiality::Public;
    assert!(SearchItem::from_record(1, &model::Record::Demand(d)).is_some());
}

#[test]
fn scores_equal_bm25_computed_by_hand() {
    // Two documents; "battery" in both, "anode" in one. Our BM25: idf = ln(1 + (N − df + 0.5)/(df + 0.5)),
    // tf part = tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)) over the `all` field (title + body).
    let idx = index(&[
        item(1, "paper", "battery anode", "", None, None),
        item(2, "paper", "battery", "cathode cathode", None, None),
    ]);
    let p = Bm25Params::default();
    let hits = idx
        .search("battery anode", &Filters::default(), &p, 10)
        .unwrap();
    let avgdl = (2.0 + 3.0) / 2.0; // doc 1: 2 tokens, doc 2: 3 tokens
    let idf = |df: f32| (1.0f32 + (2.0 - df + 0.5) / (df + 0.5)).ln();
    let part = |tf: f32, dl: f32| tf * (p.k1 + 1.0) / (tf + p.k1 * (1.0 - p.b + p.b * dl / avgdl));
    let s1 = idf(2.0) * part(1.0, 2.0) + idf(1.0) * part(1.0, 2.0);
    let s2 = idf(2.0) * part(1.0, 3.0);
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![1, 2]);
    assert!(
        (hits[0].score - s1).abs() < 1e-5,
        "{} vs {s1}",
        hits[0].score
    );
    assert!(
        (hits[1].score - s2).abs() < 1e-5,
        "{} vs {s2}",
        hits[1].score
    );
}

#[test]
fn equal_scores_rank_in_a_stable_order_and_the_limit_holds() {
    let items: Vec<SearchItem> = (1..=30)
        .map(|i| item(i, "paper", "graphene anode", "", None, None))
        .collect();
    let idx = index(&items);
    let first = ids(&idx, "graphene", &Filters::default(), 7);
    assert_eq!(first.len(), 7);
    assert_eq!(first, ids(&idx, "graphene", &Filters::default(), 7));
    // The top 7 of a longer list are the same 7, in the same order.
    assert_eq!(first, ids(&idx, "graphene", &Filters::default(), 20)[..7]);
    assert_eq!(ids(&idx, "graphene", &Filters::default(), 100).len(), 30);
}

#[test]
fn a_rebuild_that_upserts_a_record_twice_keeps_one_copy() {
    let idx = index(&corpus());
    let mut w = idx.writer().unwrap();
    w.clear().unwrap();
    let gan = item(3, "paper", "Gallium nitride", "GaN HEMT", None, None);
    w.upsert(&gan).unwrap();
    w.upsert(&gan).unwrap();
    w.upsert(&item(4, "paper", "graphene", "", None, None))
        .unwrap();
    w.commit().unwrap();
    idx.reload().unwrap();
    assert_eq!(idx.len(), 2);
    assert_eq!(ids(&idx, "gallium", &Filters::default(), 10), vec![3]);
}

#[test]
fn an_index_from_an_older_schema_is_dropped_for_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut b = tantivy::schema::Schema::builder();
        let f = b.add_text_field("old", tantivy::schema::TEXT);
        let old = tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut w: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
        w.add_document(tantivy::doc!(f => "stale")).unwrap();
        w.commit().unwrap();
    }
    let idx = LexicalIndex::open_or_create(dir.path()).unwrap();
    assert!(idx.is_empty());
    assert_eq!(idx.outbox_position().unwrap(), 0);
}

/// A search box matches the query's words as words: 热失控 is one word of two terms (热 + 失控), so
/// a text holding 热 alone (数控机床热误差, 预制菜复热) or 失控 alone does not match it; the plain
/// BM25 search used for matching still scores them.
#[test]
fn search_box_words_match_as_words() {
    let idx = index(&[
        item(
            1,
            "patent",
            "动力电池热失控早期预警方法",
            "电池包热失控前预警",
            None,
            None,
        ),
        item(
            2,
            "paper",
            "数控机床热误差补偿",
            "主轴热误差建模",
            None,
            None,
        ),
        item(
            3,
            "process",
            "预制菜复热工艺",
            "中央厨房复热与冷链",
            None,
            None,
        ),
        item(
            4,
            "paper",
            "无人机失控保护",
            "飞控失控后的自动返航",
            None,
            None,
        ),
    ]);
    let words = |q: &str| -> Vec<u64> {
        idx.search_words(q, &Filters::default(), &Bm25Params::default(), 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert_eq!(words("热失控"), vec![1]);
    let plain = ids(&idx, "热失控", &Filters::default(), 10);
    assert!(
        plain.len() > 1,
        "plain BM25 still scores partial words: {plain:?}"
    );
    // Two words: both must match.
    assert_eq!(words("热失控 预警"), vec![1]);
    assert!(words("热失控 复热").is_empty());
    // A Latin word is a word of its own.
    assert!(words("lidar").is_empty());
}
