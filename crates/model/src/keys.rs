//! Text folding and the keys that make re-imports idempotent.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width → half-width), lower case, trimmed. Used before parsing any coded value.
pub(crate) fn fold(s: &str) -> String {
    s.nfkc().collect::<String>().trim().to_lowercase()
}

/// A title reduced to what identifies it: folded, with punctuation and whitespace removed, so
/// "Graphene-based Anodes." and "graphene based anodes" meet, as do "锂电池：综述" and "锂电池综述".
pub fn normalize_title(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// An organization or person name reduced for matching: folded, whitespace and brackets removed,
/// full-width and half-width parentheses treated alike ("重庆某某（集团）有限公司").
pub fn normalize_name(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '·' | '.'))
        .collect()
}

/// SHA-256 (hex) of a record's canonical JSON: equal hashes mean a re-import changes nothing.
pub fn content_hash<T: serde::Serialize>(record: &T) -> String {
    sha256_hex(&serde_json::to_vec(record).expect("domain records always serialise"))
}

/// Lower-case hex SHA-256 of `bytes`: the one digest format used for content, file and text hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_meet_across_width_case_and_punctuation() {
        assert_eq!(
            normalize_title("Graphene-based Anodes."),
            normalize_title("graphene based ANODES")
        );
        assert_eq!(
            normalize_title("锂电池：综述"),
            normalize_title("锂电池:综述")
        );
        assert_eq!(normalize_title("ＳｉＣ　ＭＯＳＦＥＴ"), "sicmosfet");
    }

    #[test]
    fn names_ignore_bracket_width() {
        assert_eq!(
            normalize_name("重庆长风（集团）有限公司"),
            normalize_name("重庆长风(集团)有限公司")
        );
    }
}
