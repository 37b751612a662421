use super::*;

const LINES: &str = "\
# a few CC-CEDICT lines
幹細胞 干细胞 [gan4 xi4 bao1] /stem cell/
電池 电池 [dian4 chi2] /battery/CL:節|节[jie2],組|组[zu3]/
鋰電池 锂电池 [li3 dian4 chi2] /lithium battery/
腫瘤 肿瘤 [zhong3 liu2] /tumor/
轉移 转移 [zhuan3 yi2] /to shift; to relocate; to transfer/(medicine) to metastasize/
抑制 抑制 [yi4 zhi4] /to inhibit/to keep down/to suppress/
間 间 [jian1] /between/among/room/
充 充 [chong1] /to fill/to satisfy/to charge/
質 质 [zhi4] /character/nature/quality/
充質 充质 [chong1 zhi4] /mesenchyme/
熱 热 [re4] /heat/hot/fever/
失控 失控 [shi1 kong4] /out of control/
熱失控 热失控 [re4 shi1 kong4] /thermal runaway (chemistry)/
";

fn dict() -> Dictionary {
    Dictionary::read(LINES.as_bytes()).unwrap()
}

fn weight(terms: &[Term], text: &str) -> f32 {
    terms
        .iter()
        .find(|t| t.text == text)
        .map_or(0.0, |t| t.weight)
}

#[test]
fn a_chinese_query_becomes_weighted_english_terms() {
    let d = dict();
    let p = BridgeParams::default();
    let terms = d.to_english("干细胞抑制肿瘤转移", &p);
    // One sense: the word's whole weight, shared by the phrase's words.
    assert!(weight(&terms, "tumor") > 0.99, "{terms:?}");
    let stem = weight(&terms, "stem");
    assert!(stem > 0.5 && stem < 1.0, "{terms:?}");
    // Three senses share the weight; the main one weighs most.
    let (inhibit, suppress) = (weight(&terms, "inhibit"), weight(&terms, "suppress"));
    assert!(inhibit > suppress && inhibit < 1.0, "{terms:?}");
    // The technical sense outweighs the everyday ones.
    assert!(
        weight(&terms, "metastas") > weight(&terms, "shift"),
        "{terms:?}"
    );
    assert_eq!(
        terms.iter().find(|t| t.text == "tumor").unwrap().from,
        "肿瘤"
    );
}

#[test]
fn latin_words_and_numbers_are_kept_and_unknown_compounds_split() {
    let d = dict();
    let p = BridgeParams::default();
    let terms = d.to_english("PrP 检测 2019 间充质", &p);
    assert_eq!(weight(&terms, "prp"), p.latin);
    assert_eq!(weight(&terms, "2019"), p.latin);
    // 间充质 is not a headword: the longest pieces are 间 + 充质.
    assert!(weight(&terms, "mesenchym") > 0.0, "{terms:?}");
    assert!(weight(&terms, "between") < weight(&terms, "mesenchym"));
}

#[test]
fn an_english_query_becomes_chinese_terms_longest_phrase_first() {
    let d = dict();
    let p = BridgeParams::default();
    let terms = d.to_chinese("lithium batteries and thermal runaway of tumors", &p);
    assert!(weight(&terms, "锂电池") > 0.99, "{terms:?}");
    assert_eq!(weight(&terms, "电池"), 0.0, "the phrase wins: {terms:?}");
    // 热失控 is not one word to the index's segmenter: its parts share the weight.
    assert!(
        weight(&terms, "热") + weight(&terms, "失控") > 0.99,
        "{terms:?}"
    );
    assert!(weight(&terms, "肿瘤") > 0.99, "{terms:?}");
}

#[test]
fn a_truncated_file_is_refused_with_the_fix() {
    let dir = std::env::temp_dir().join(format!("bridge-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cedict.txt");
    std::fs::write(&path, LINES).unwrap();
    let err = Dictionary::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("truncated") && err.contains("scripts/fetch-model"),
        "{err}"
    );
    let err = Dictionary::load(&dir.join("missing.txt.gz"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.txt.gz"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn params_out_of_range_are_named() {
    let p = BridgeParams {
        technical: -1.0,
        ..BridgeParams::default()
    };
    assert!(p.check().unwrap_err().contains("bridge.technical"));
    let p = BridgeParams {
        max_senses: 0,
        ..BridgeParams::default()
    };
    assert!(p.check().unwrap_err().contains("bridge.max_senses"));
    assert!(BridgeParams::default().check().is_ok());
}
