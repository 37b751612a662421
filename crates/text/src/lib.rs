//! Text analysis shared by indexing and querying, for Chinese, English and text that mixes them.
//!
//! The pipeline: NFKC normalisation (full-width → half-width) and case folding, character by character
//! so every token keeps byte offsets into the *original* text (for highlighting); then the text is cut into
//! runs — Han characters go to jieba in search mode (a long word also yields its dictionary sub-words,
//! "锂离子电池" → 锂离子, 离子, 电池, 锂离子电池), Latin words are stop-word filtered and Snowball-stemmed,
//! numbers and alphanumerics ("5g", "100mah", "0.5c", "lifepo4") are kept whole.

use rustc_hash::FxHashSet as HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// One token with its place in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte offsets into the text given to [`Analyzer::analyze`].
    pub offset_from: usize,
    pub offset_to: usize,
    pub position: usize,
}

/// The analyzer. The first Chinese text loads jieba's dictionary (about a tenth of a second): share it.
pub struct Analyzer {
    /// Loaded on the first Han text: English-only work never pays for the dictionary.
    jieba: OnceLock<jieba_rs::Jieba>,
    stemmer: rust_stemmers::Stemmer,
    stop_en: HashSet<&'static str>,
    stop_zh: HashSet<&'static str>,
}

fn word_list(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// The kind of a run of normalised characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Han,
    Word,
    Other,
}

fn run_of(c: char) -> Run {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            Run::Word
        } else {
            Run::Other
        }
    } else if is_han(c) {
        Run::Han
    } else if c.is_alphanumeric() {
        Run::Word
    } else {
        Run::Other
    }
}

pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

/// Where each byte of the folded text came from in the original.
enum OffsetMap {
    /// ASCII input: folding keeps every byte where it was.
    Identity,
    Table(Vec<usize>),
}

impl OffsetMap {
    fn at(&self, i: usize) -> usize {
        match self {
            OffsetMap::Identity => i,
            OffsetMap::Table(t) => t[i],
        }
    }
}

/// Folds `text` (NFKC, lower case) and maps every byte of the result back to the original byte offset.
fn fold_with_offsets(text: &str) -> (String, OffsetMap) {
    // ASCII is already NFKC: only case needs folding (most of an English corpus).
    if text.is_ascii() {
        return (text.to_ascii_lowercase(), OffsetMap::Identity);
    }
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            map.push(i);
            continue;
        }
        for n in std::iter::once(c).nfkc() {
            for l in n.to_lowercase() {
                let before = out.len();
                out.push(l);
                map.extend(std::iter::repeat_n(i, out.len() - before));
            }
        }
    }
    map.push(text.len());
    (out, OffsetMap::Table(map))
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer {
            jieba: OnceLock::new(),
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English),
            stop_en: word_list(include_str!("../../../data/text/stopwords-en.txt")),
            stop_zh: word_list(include_str!("../../../data/text/stopwords-zh.txt")),
        }
    }

    /// A process-wide analyzer, built on first use.
    pub fn shared() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::new)
    }

    /// Analyzes `text` into tokens with offsets into `text`.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        self.analyze_each(text, |t, from, to| {
            tokens.push(Token {
                text: t.to_string(),
                offset_from: from,
                offset_to: to,
                position: tokens.len(),
            })
        });
        tokens
    }

    /// Calls `each(term, offset_from, offset_to)` for every token of `text`, in order (positions are the
    /// call count). No allocation per token: indexing hands the term straight to the index.
    pub fn analyze_each(&self, text: &str, mut each: impl FnMut(&str, usize, usize)) {
        let (norm, map) = fold_with_offsets(text);
        // One borrow of this thread's stem cache per text rather than per word; a callback that itself
        // analyses text (re-entrancy) gets a scratch cache instead of a borrow error.
        STEMS.with(|cell| {
            let mut scratch = StemCache::default();
            let mut guard = cell.try_borrow_mut();
            let cache = match guard.as_deref_mut() {
                Ok(c) => c,
                Err(_) => &mut scratch,
            };
            if matches!(map, OffsetMap::Identity) {
                self.each_ascii(&norm, cache, &mut each);
                return;
            }
            let mut rest = norm.char_indices().peekable();
            while let Some((start, first)) = rest.next() {
                let kind = run_of(first);
                let mut prev = first;
                let mut end = norm.len();
                while let Some(&(b, c)) = rest.peek() {
                    let same = run_of(c) == kind
                        // Keep decimals ("0.5c", "3.6v") inside one word.
                        || (kind == Run::Word
                            && c == '.'
                            && prev.is_ascii_digit()
                            && norm[b + 1..].starts_with(|n: char| n.is_ascii_digit()));
                    if !same {
                        end = b;
                        break;
                    }
                    prev = c;
                    rest.next();
                }
                let piece = &norm[start..end];
                match kind {
                    Run::Han => self.each_han(piece, start, &map, &mut each),
                    Run::Word => {
                        let (from, to) = (map.at(start), map.at(end));
                        self.with_word_term(cache, piece, |t| each(t, from, to));
                    }
                    Run::Other => {}
                }
            }
        })
    }

    /// The same cut as [`Analyzer::analyze_each`] for ASCII text, byte by byte (most English text):
    /// alphanumeric runs are words, a '.' between digits stays inside one, everything else separates.
    fn each_ascii(
        &self,
        norm: &str,
        cache: &mut StemCache,
        each: &mut impl FnMut(&str, usize, usize),
    ) {
        let b = norm.as_bytes();
        let n = b.len();
        let mut i = 0;
        while i < n {
            if !b[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < n {
                let c = b[i];
                let decimal = c == b'.'
                    && b[i - 1].is_ascii_digit()
                    && i + 1 < n
                    && b[i + 1].is_ascii_digit();
                if c.is_ascii_alphanumeric() || decimal {
                    i += 1;
                } else {
                    break;
                }
            }
            self.with_word_term(cache, &norm[start..i], |t| each(t, start, i));
        }
    }

    /// Loads everything lazily loaded now (the Chinese dictionary), so timings measure analysis only.
    pub fn warm_up(&self) {
        self.terms("预热 warm up");
    }

    /// Just the token texts, for queries and tests.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.text).collect()
    }

    /// The words of `text` in order, unstemmed, for translation: a Chinese run cut by jieba (whole
    /// words, not the search-mode sub-words; stop words dropped), a Latin word or number as it stands
    /// (folded to lower case, stop words dropped). `han` tells which.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let norm = fold(text);
        let mut out = vec![];
        let mut rest = norm.char_indices().peekable();
        while let Some((start, first)) = rest.next() {
            let kind = run_of(first);
            let mut end = norm.len();
            let mut prev = first;
            while let Some(&(b, c)) = rest.peek() {
                let same = run_of(c) == kind
                    || (kind == Run::Word
                        && (c == '.' || c == '-')
                        && prev.is_ascii_alphanumeric()
                        && norm[b + 1..].starts_with(|n: char| n.is_ascii_alphanumeric()));
                if !same {
                    end = b;
                    break;
                }
                prev = c;
                rest.next();
            }
            let run = &norm[start..end];
            match kind {
                Run::Han => {
                    let jieba = self.jieba.get_or_init(jieba_rs::Jieba::new);
                    for w in jieba.cut(run, true) {
                        if !self.stop_zh.contains(w.word) {
                            out.push(Word {
                                text: w.word.to_string(),
                                han: true,
                            });
                        }
                    }
                }
                Run::Word if !self.stop_en.contains(run) => out.push(Word {
                    text: run.to_string(),
                    han: false,
                }),
                _ => {}
            }
        }
        out
    }

    /// Whether `word` (folded, unstemmed) is an English or Chinese stop word.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_en.contains(word) || self.stop_zh.contains(word)
    }

    /// The query's words as units a document must match whole: a Chinese run cut into words (a lone
    /// character joins the word after it, else the one before: "热失控" is one unit, 热 + 失控),
    /// each Latin word or number its own unit. Each unit is the list of index terms a document
    /// must hold to match it; stop words make no unit.
    pub fn query_units(&self, text: &str) -> Vec<Vec<String>> {
        let norm = fold(text);
        let mut pieces: Vec<String> = vec![];
        let mut rest = norm.char_indices().peekable();
        while let Some((start, first)) = rest.next() {
            let kind = run_of(first);
            let mut end = norm.len();
            while let Some(&(b, c)) = rest.peek() {
                if run_of(c) != kind {
                    end = b;
                    break;
                }
                rest.next();
            }
            let run = &norm[start..end];
            match kind {
                Run::Han => {
                    let jieba = self.jieba.get_or_init(jieba_rs::Jieba::new);
                    let words: Vec<&str> = jieba.cut(run, true).iter().map(|t| t.word).collect();
                    let mut merged: Vec<String> = vec![];
                    let mut carry = String::new();
                    for w in words {
                        if w.chars().count() == 1 && !self.stop_zh.contains(w) {
                            carry.push_str(w);
                            continue;
                        }
                        merged.push(format!("{carry}{w}"));
                        carry.clear();
                    }
                    if !carry.is_empty() {
                        match merged.last_mut() {
                            Some(last) => last.push_str(&carry),
                            None => merged.push(carry),
                        }
                    }
                    pieces.extend(merged);
                }
                Run::Word => pieces.push(run.to_string()),
                Run::Other => {}
            }
        }
        let mut units: Vec<Vec<String>> = vec![];
        for p in pieces {
            let mut terms = self.terms(&p);
            terms.dedup();
            if !terms.is_empty() && !units.contains(&terms) {
                units.push(terms);
            }
        }
        units
    }

    fn each_han(
        &self,
        run: &str,
        base: usize,
        map: &OffsetMap,
        each: &mut impl FnMut(&str, usize, usize),
    ) {
        let jieba = self.jieba.get_or_init(jieba_rs::Jieba::new);
        for w in jieba.cut_for_search(run, true) {
            if !self.stop_zh.contains(w.word) {
                each(
                    w.word,
                    map.at(base + w.byte_start),
                    map.at(base + w.byte_end),
                );
            }
        }
    }

    /// Calls `f` with the indexed form of a Latin or alphanumeric word, unless it is a stop word. Stems
    /// are memoised per thread: word frequencies are Zipfian, so most calls are repeats.
    fn with_word_term(&self, cache: &mut StemCache, word: &str, f: impl FnOnce(&str)) {
        if let Some(t) = cache.get(word) {
            if let Some(t) = t {
                f(t);
            }
            return;
        }
        let term: Option<Box<str>> = if self.stop_en.contains(word) {
            None
        } else if word.bytes().any(|b| b.is_ascii_digit()) || !word.is_ascii() {
            Some(word.into())
        } else {
            Some(self.stemmer.stem(word).into())
        };
        if let Some(t) = &term {
            f(t);
        }
        if cache.len() < 200_000 {
            cache.insert(word.into(), term);
        }
    }
}

/// A word of a text as [`Analyzer::words`] cuts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// A Chinese word (else a Latin word or number).
    pub han: bool,
}

/// Word → indexed term (`None` for a stop word).
type StemCache = rustc_hash::FxHashMap<Box<str>, Option<Box<str>>>;

thread_local! {
    static STEMS: std::cell::RefCell<StemCache> = Default::default();
}

/// Folds text the way the analyzer does (NFKC, lower case), for exact comparisons outside it.
pub fn fold(text: &str) -> String {
    fold_with_offsets(text).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_units_keep_lone_characters_with_their_word() {
        let a = Analyzer::shared();
        let units = a.query_units("热失控");
        assert_eq!(units.len(), 1, "{units:?}");
        assert!(units[0].contains(&"热".to_string()) && units[0].contains(&"失控".to_string()));
        let units = a.query_units("热失控 预警 BMS");
        assert_eq!(units.len(), 3, "{units:?}");
        assert_eq!(units[2], vec!["bms".to_string()]);
    }

    fn terms(s: &str) -> Vec<String> {
        Analyzer::shared().terms(s)
    }

    #[test]
    fn chinese_search_mode_yields_sub_words() {
        let t = terms("锂离子电池正极材料");
        for w in ["锂离子", "离子", "电池", "正极", "材料"] {
            assert!(t.iter().any(|x| x == w), "{w} missing from {t:?}");
        }
    }

    #[test]
    fn mixed_text_keeps_acronyms_and_segments_chinese() {
        let t = terms("SiC MOSFET 封装");
        assert_eq!(&t[..2], ["sic", "mosfet"]);
        assert!(t.contains(&"封装".to_string()), "{t:?}");
    }

    #[test]
    fn numbers_and_units_are_kept() {
        let t = terms("5G+工业互联网");
        assert_eq!(t[0], "5g");
        assert!(t.contains(&"工业".to_string()), "{t:?}");
        assert!(t.contains(&"互联网".to_string()), "{t:?}");
        let t = terms("0.5C放电比容量155mAh/g, 3.6 V");
        assert!(t.contains(&"0.5c".to_string()), "{t:?}");
        assert!(t.contains(&"155mah".to_string()), "{t:?}");
        assert!(t.contains(&"3.6".to_string()), "{t:?}");
    }

    #[test]
    fn english_is_stemmed_and_stop_words_dropped() {
        assert_eq!(
            terms("The batteries are charging quickly"),
            ["batteri", "charg", "quick"]
        );
        // Negation is meaning, not noise.
        assert!(terms("not effective").contains(&"not".to_string()));
    }

    #[test]
    fn full_width_and_case_fold_before_analysis() {
        assert_eq!(terms("ＳｉＣ　ＭＯＳＦＥＴ"), ["sic", "mosfet"]);
        assert_eq!(terms("ＬｉＦｅＰＯ４"), ["lifepo4"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "高性能ＳｉＣ器件";
        for t in Analyzer::shared().analyze(text) {
            let original = &text[t.offset_from..t.offset_to];
            assert_eq!(fold(original), t.text, "{t:?}");
        }
    }

    #[test]
    fn chinese_stop_words_are_dropped() {
        let t = terms("电池的热管理和安全");
        assert!(
            !t.contains(&"的".to_string()) && !t.contains(&"和".to_string()),
            "{t:?}"
        );
        assert!(
            t.contains(&"热管理".to_string()) || t.contains(&"管理".to_string()),
            "{t:?}"
        );
    }
}
