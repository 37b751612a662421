//! Language-balanced retrieval: the dictionary bridge reaches records in the other language, the dense
//! side is calibrated per language, and a one-language registry ranks as plain fusion does.

use model::RecordKind;
use search::{
    Bm25Params, Filters, FusionParams, HnswParams, ItemMeta, LexicalIndex, Retriever, SearchItem,
    VectorIndex,
};

const LINES: &str = "\
腫瘤 肿瘤 [zhong3 liu2] /tumor/
轉移 转移 [zhuan3 yi2] /to shift/(medicine) to metastasize/
抑制 抑制 [yi4 zhi4] /to inhibit/to suppress/
";

fn item(id: u64, title: &str) -> SearchItem {
    SearchItem {
        record_kind: RecordKind::Outcome,
        id,
        kind: "paper".into(),
        lang: model::Lang::detect(title).to_string(),
        region: None,
        clusters: vec![],
        trl: None,
        year: None,
        title: title.into(),
        body: String::new(),
        keywords: vec![],
    }
}

/// A registry of Chinese papers on other subjects and one English paper that answers the need.
fn registry() -> (LexicalIndex, Vec<SearchItem>) {
    let items = vec![
        item(1, "肿瘤医院的成本管理"),
        item(2, "资金转移支付研究"),
        item(3, "Inhibiting tumor metastasis with a small molecule"),
        item(4, "Lithium battery recycling"),
    ];
    let index = LexicalIndex::in_memory().unwrap();
    let mut w = index.writer().unwrap();
    for i in &items {
        w.upsert(i).unwrap();
    }
    w.commit().unwrap();
    index.reload().unwrap();
    (index, items)
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

#[test]
fn the_bridge_brings_the_english_answer_to_a_chinese_need_and_names_it_cross_language() {
    let (index, _) = registry();
    let dict = bridge::Dictionary::read(LINES.as_bytes()).unwrap();
    let query = "抑制肿瘤转移";
    let fusion = FusionParams {
        w_lexical: 1.0,
        w_dense: 0.0,
        ..FusionParams::default()
    };
    let without = Retriever {
        lexical: &index,
        vectors: None,
        bridge: None,
        bm25: Bm25Params::default(),
        fusion,
        bridge_params: bridge::BridgeParams::default(),
        english: None,
    };
    let got = without.retrieve(query, None, &Filters::default()).unwrap();
    assert!(
        got.fused.iter().all(|f| f.id != 3),
        "without the dictionary BM25 cannot see the English paper"
    );
    let with = Retriever {
        bridge: Some(&dict),
        ..without
    };
    let got = with.retrieve(query, None, &Filters::default()).unwrap();
    assert_eq!(got.fused[0].id, 3, "{:?}", got.fused);
    assert!(got.fused[0].cross_language);
    // Its relevance came through the dictionary, and the explanation's shares say so.
    let l = got.fused[0].lists;
    let lexical = got.fused[0].lexical.unwrap().contribution;
    assert!(l.bridge > 0.5 * lexical, "{l:?}");
    assert!((l.words + l.bridge - lexical).abs() < 1e-5, "{l:?}");
    assert_eq!(l.english, 0.0);
    assert_eq!(got.other.as_deref(), Some("en"));
    assert!(got
        .translated
        .iter()
        .any(|t| t.from == "肿瘤" && t.text == "tumor"));
    // A filter to Chinese records only keeps the bridge out.
    let zh_only = Filters {
        langs: vec!["zh".into()],
        ..Filters::default()
    };
    let got = with.retrieve(query, None, &zh_only).unwrap();
    assert!(got.fused.iter().all(|f| f.id != 3));
}

#[test]
fn dense_scores_are_standardised_per_language_so_the_other_language_is_not_crowded_out() {
    let (index, items) = registry();
    // Same-language pairs sit higher: the Chinese papers are all close to the query, the English
    // answer is closer than the other English paper but below every Chinese one in raw cosine.
    let q = unit(&[1.0, 0.0, 0.0, 0.0]);
    let vecs = [
        unit(&[0.92, 0.39, 0.0, 0.0]),
        unit(&[0.91, 0.0, 0.41, 0.0]),
        unit(&[0.85, 0.0, 0.0, 0.53]),
        unit(&[0.40, 0.0, 0.0, 0.92]),
    ];
    let mut vi = VectorIndex::new(4, HnswParams::default());
    for (i, v) in items.iter().zip(&vecs) {
        vi.upsert(ItemMeta::of(i, String::new()), v).unwrap();
    }
    let bg = vi.background(&q);
    let en = bg.iter().find(|(l, _, _)| l == "en").unwrap();
    // Unit vectors against the first axis: each cosine is the vector's first component.
    let en_mean = (vecs[2][0] + vecs[3][0]) / 2.0;
    assert!((en.1 - en_mean).abs() < 1e-5, "{bg:?}");
    assert!(en.2 > 0.2, "the English cosines spread widely: {bg:?}");
    let mut fusion = FusionParams {
        w_lexical: 0.0,
        w_dense: 1.0,
        ..FusionParams::default()
    };
    let r = |fusion: FusionParams| {
        Retriever {
            lexical: &index,
            vectors: Some(&vi),
            bridge: None,
            bm25: Bm25Params::default(),
            fusion,
            bridge_params: bridge::BridgeParams::default(),
            english: None,
        }
        .retrieve("某个中文需求", Some(&q), &Filters::default())
        .unwrap()
    };
    let raw = r(fusion);
    assert_ne!(
        raw.fused[0].id, 3,
        "raw cosines put the Chinese papers first"
    );
    fusion.language_centering = true;
    let balanced = r(fusion);
    let place = balanced.fused.iter().position(|f| f.id == 3).unwrap();
    assert!(place <= 1, "{:?}", balanced.fused);
    // The evidence shows the cosine itself, not the standardised score.
    let hit = &balanced.fused[place];
    let cos = hit.dense.unwrap().score;
    assert!((cos - vecs[2][0]).abs() < 1e-5, "{cos}");
}

#[test]
fn the_english_encoder_reorders_english_records_for_an_english_query_only() {
    let (index, items) = registry();
    let q = unit(&[1.0, 0.0, 0.0, 0.0]);
    // The multilingual encoder prefers paper 4; the English encoder, clearly, paper 3.
    let multi = [
        unit(&[0.5, 0.86, 0.0, 0.0]),
        unit(&[0.5, 0.0, 0.86, 0.0]),
        unit(&[0.80, 0.0, 0.0, 0.6]),
        unit(&[0.85, 0.0, 0.53, 0.0]),
    ];
    let mut vi = VectorIndex::new(4, HnswParams::default());
    for (i, v) in items.iter().zip(&multi) {
        vi.upsert(ItemMeta::of(i, String::new()), v).unwrap();
    }
    let mut en = VectorIndex::new(4, HnswParams::default());
    en.upsert(
        ItemMeta::of(&items[2], String::new()),
        &unit(&[0.95, 0.31, 0.0, 0.0]),
    )
    .unwrap();
    en.upsert(
        ItemMeta::of(&items[3], String::new()),
        &unit(&[0.30, 0.0, 0.95, 0.0]),
    )
    .unwrap();
    let rank = |text: &str, english_dense: f32| -> Vec<(u64, search::Lists)> {
        let fusion = FusionParams {
            w_lexical: 0.0,
            w_dense: 1.0,
            english_dense,
            ..FusionParams::default()
        };
        let r = Retriever {
            lexical: &index,
            vectors: Some(&vi),
            bridge: None,
            bm25: Bm25Params::default(),
            fusion,
            bridge_params: bridge::BridgeParams::default(),
            english: Some(&en),
        };
        let vectors = search::QueryVectors {
            multilingual: Some(&q),
            english: Some(&q),
        };
        let got = r.retrieve_with(text, vectors, &Filters::default()).unwrap();
        got.fused.iter().map(|f| (f.id, f.lists)).collect()
    };
    let pos = |ids: &[(u64, search::Lists)], id: u64| ids.iter().position(|x| x.0 == id).unwrap();
    let off = rank("small molecule inhibitors", 0.0);
    assert!(pos(&off, 4) < pos(&off, 3), "{off:?}");
    assert!(off.iter().all(|(_, l)| l.english == 0.0));
    let on = rank("small molecule inhibitors", 2.0);
    assert!(pos(&on, 3) < pos(&on, 4), "{on:?}");
    // The English model's share of an English record's dense part is its weight in the blend: 2/3.
    let l = on[pos(&on, 3)].1;
    assert!((l.english - 2.0 * l.multilingual).abs() < 1e-4, "{l:?}");
    // A Chinese query never reaches the English encoder, whatever its weight.
    let zh = rank("小分子抑制剂", 2.0);
    assert!(pos(&zh, 4) < pos(&zh, 3), "{zh:?}");
    assert!(zh.iter().all(|(_, l)| l.english == 0.0));
}
