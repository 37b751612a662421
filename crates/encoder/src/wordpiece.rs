//! The uncased BERT tokenizer of the English models, as their tokenizer.json configures it: clean the
//! text (drop control characters, every space becomes one), put spaces around CJK characters, take
//! accents off (NFD, drop non-spacing marks), lower-case, split on spaces and around punctuation, then
//! cut each word greedily into the longest vocabulary pieces ("##" marks a piece inside a word). A word
//! that cannot be cut, or is longer than 100 characters, becomes one [UNK].

use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Longest word, in characters, that is cut into pieces; longer ones are [UNK].
const MAX_WORD_CHARS: usize = 100;

pub struct WordPiece {
    ids: FxHashMap<Box<str>, u32>,
    pub cls: u32,
    pub sep: u32,
    pub unk: u32,
}

impl WordPiece {
    /// Builds the lookup from the vocabulary in id order; the special pieces must be present.
    pub fn new(pieces: Vec<Box<[u8]>>) -> Result<WordPiece, String> {
        let mut ids = FxHashMap::default();
        ids.reserve(pieces.len());
        for (id, p) in pieces.into_iter().enumerate() {
            let s =
                String::from_utf8(p.into_vec()).map_err(|_| format!("piece {id} is not UTF-8"))?;
            ids.entry(s.into_boxed_str()).or_insert(id as u32);
        }
        let special = |name: &str| {
            ids.get(name)
                .copied()
                .ok_or_else(|| format!("the vocabulary has no {name}"))
        };
        Ok(WordPiece {
            cls: special("[CLS]")?,
            sep: special("[SEP]")?,
            unk: special("[UNK]")?,
            ids,
        })
    }

    /// The piece ids of `text`, without [CLS] and [SEP].
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = vec![];
        let mut word = String::new();
        for c in normalize(text).chars() {
            if c.is_whitespace() {
                self.push_word(&word, &mut out);
                word.clear();
            } else if is_punctuation(c) {
                self.push_word(&word, &mut out);
                word.clear();
                let mut buf = [0u8; 4];
                self.push_word(c.encode_utf8(&mut buf), &mut out);
            } else {
                word.push(c);
            }
        }
        self.push_word(&word, &mut out);
        out
    }

    fn push_word(&self, word: &str, out: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        if word.chars().count() > MAX_WORD_CHARS {
            out.push(self.unk);
            return;
        }
        let start_len = out.len();
        let mut rest = word;
        let mut first = true;
        let mut key = String::with_capacity(word.len() + 2);
        while !rest.is_empty() {
            // Longest prefix of `rest` in the vocabulary, shrinking one character at a time.
            let mut end = rest.len();
            let found = loop {
                key.clear();
                if !first {
                    key.push_str("##");
                }
                key.push_str(&rest[..end]);
                if let Some(&id) = self.ids.get(key.as_str()) {
                    break Some(id);
                }
                match rest[..end].char_indices().next_back() {
                    Some((i, _)) if i > 0 => end = i,
                    _ => break None,
                }
            };
            let Some(id) = found else {
                out.truncate(start_len);
                out.push(self.unk);
                return;
            };
            out.push(id);
            rest = &rest[end..];
            first = false;
        }
    }
}

/// Clean, space out CJK, strip accents, lower-case.
fn normalize(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_space(c) {
            spaced.push(' ');
        } else if is_cjk(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    spaced
        .nfd()
        .filter(|c| c.general_category() != GeneralCategory::NonspacingMark)
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.general_category_group() == GeneralCategoryGroup::Other
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.general_category_group() == GeneralCategoryGroup::Punctuation
}

/// A CJK ideograph (the blocks BERT spaces out); kana and hangul are not among them.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> WordPiece {
        let words = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", ",", "!", "a",
            "中",
        ];
        WordPiece::new(words.iter().map(|w| w.as_bytes().into()).collect()).unwrap()
    }

    #[test]
    fn cuts_words_into_the_longest_pieces() {
        let v = vocab();
        assert_eq!(v.encode("Unaffable, CAFÉ!"), [4, 5, 6, 8, 7, 9]);
        // A word with a piece missing is one [UNK]; CJK characters stand alone.
        assert_eq!(v.encode("unaffx a中a"), [1, 10, 11, 10]);
        assert_eq!(v.encode(&"a".repeat(101)), [1]);
        assert_eq!(v.encode(" \u{0}\t "), Vec::<u32>::new());
    }
}
