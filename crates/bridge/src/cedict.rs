//! Reading CC-CEDICT: one line per entry, `繁體 简体 [pin1 yin1] /gloss/gloss; synonym/`, `#` comments.
//!
//! Only what a search bridge needs is kept: the simplified headword and its English senses, cleaned of
//! what is not a translation (cross-references, measure words, surnames, pronunciation notes) and of
//! dictionary furniture ("to " before verbs, "sb", "sth", domain tags such as "(medicine)", which are
//! kept as a flag: a sense from a technical domain is what a technology need most likely means).

/// One English sense of a headword: its words, lower case, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sense {
    pub words: Vec<String>,
    /// The dictionary marks the sense as a term of a science or engineering domain.
    pub technical: bool,
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub simplified: String,
    pub senses: Vec<Sense>,
}

/// Glosses that are notes about the word, not translations of it.
const NOT_A_TRANSLATION: &[&str] = &[
    "variant of",
    "old variant of",
    "archaic variant of",
    "erhua variant of",
    "japanese variant of",
    "see ",
    "see also",
    "cl:",
    "surname ",
    "abbr. for",
    "abbr. of",
    "abbr. to",
    "also written",
    "also pr.",
    "also called",
    "also known as",
    "taiwan pr.",
    "used in ",
    "(used in",
    "radical ",
    "kangxi radical",
    "classifier for",
    "(classifier",
    "(onom.)",
    "(loanword)",
    "pr. ",
];

/// Domain tags that mark a technical sense.
const TECHNICAL: &[&str] = &[
    "medicine",
    "medical",
    "chemistry",
    "biology",
    "biochemistry",
    "physics",
    "math",
    "mathematics",
    "statistics",
    "computing",
    "electricity",
    "electronics",
    "engineering",
    "mechanics",
    "genetics",
    "anatomy",
    "physiology",
    "pathology",
    "pharmacology",
    "botany",
    "zoology",
    "geology",
    "mineralogy",
    "astronomy",
    "optics",
    "meteorology",
    "agriculture",
    "tcm",
    "pharm.",
    "chem.",
    "physics)",
];

/// Words that are dictionary furniture, not content.
const FURNITURE: &[&str] = &[
    "sb", "sth", "etc", "one's", "oneself", "sb's", "sth's", "e.g.",
];

/// Parses one line; `None` for a comment, a blank line or a line with no usable sense.
pub fn parse_line(line: &str) -> Option<Line> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let mut parts = line.splitn(3, ' ');
    let _traditional = parts.next()?;
    let simplified = parts.next()?.to_string();
    let rest = parts.next()?;
    let glosses = &rest[rest.find('/')?..];
    let mut senses: Vec<Sense> = vec![];
    for gloss in glosses.split('/') {
        for part in gloss.split("; ") {
            if let Some(s) = clean(part) {
                if !senses.iter().any(|x| x.words == s.words) {
                    senses.push(s);
                }
            }
        }
    }
    (!senses.is_empty()).then_some(Line { simplified, senses })
}

/// One gloss as a sense, or `None` when it is not a translation.
fn clean(gloss: &str) -> Option<Sense> {
    let original = gloss.trim();
    let mut g = original.to_lowercase();
    if g.is_empty() || NOT_A_TRANSLATION.iter().any(|p| g.starts_with(p)) {
        return None;
    }
    // An acronym in parentheses ("electrocardiogram (ECG)") is a word of the sense, not a note.
    let acronyms: Vec<String> = original
        .split('(')
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(note, _)| note))
        .filter(|note| {
            note.len() >= 2
                && note.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && note.chars().filter(char::is_ascii_uppercase).count() >= 2
        })
        .map(str::to_lowercase)
        .collect();
    // A cross-reference written inside the gloss ("united kingdom 聯合王國|联合王国[...]") ends it.
    if let Some(i) = g.find(|c: char| text::is_han(c) || c == '|' || c == '[') {
        g.truncate(i);
    }
    // Parenthesised notes: a domain tag marks the sense as technical; every note is dropped.
    let mut technical = false;
    let mut plain = String::with_capacity(g.len());
    let mut depth = 0usize;
    let mut note = String::new();
    for c in g.chars() {
        match c {
            '(' => {
                depth += 1;
                note.clear();
            }
            ')' if depth > 0 => {
                depth -= 1;
                let n = note.trim();
                if TECHNICAL.iter().any(|t| n == *t || n.starts_with(t)) {
                    technical = true;
                }
            }
            _ if depth > 0 => note.push(c),
            _ => plain.push(c),
        }
    }
    let mut words: Vec<String> = plain
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '!' | '?' | ':'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
        .filter(|w| !w.is_empty() && !FURNITURE.contains(w))
        .map(str::to_string)
        .collect();
    words.extend(acronyms);
    // "to inhibit": the infinitive marker is grammar, not meaning.
    if words.first().is_some_and(|w| w == "to") && words.len() > 1 {
        words.remove(0);
    }
    if words.is_empty() || words.iter().any(|w| !w.is_ascii()) {
        return None;
    }
    Some(Sense { words, technical })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_its_senses_without_furniture() {
        let l = parse_line("抑制 抑制 [yi4 zhi4] /to inhibit/to keep down/to suppress/").unwrap();
        assert_eq!(l.simplified, "抑制");
        let words: Vec<String> = l.senses.iter().map(|s| s.words.join(" ")).collect();
        assert_eq!(words, ["inhibit", "keep down", "suppress"]);
    }

    #[test]
    fn cross_references_measure_words_and_tags_are_dropped() {
        let l = parse_line(
            "英國 英国 [Ying1 guo2] /United Kingdom 聯合王國|联合王国[Lian2 he2 wang2 guo2]/abbr. for England 英格蘭|英格兰[Ying1 ge2 lan2]/",
        )
        .unwrap();
        assert_eq!(l.senses.len(), 1);
        assert_eq!(l.senses[0].words, ["united", "kingdom"]);
        let l = parse_line("電池 电池 [dian4 chi2] /battery/CL:節|节[jie2],組|组[zu3]/").unwrap();
        assert_eq!(l.senses.len(), 1);
        let l = parse_line(
            "轉移 转移 [zhuan3 yi2] /to shift; to relocate/(fig.) to shift (attention)/(medicine) to metastasize/",
        )
        .unwrap();
        let tech: Vec<&Sense> = l.senses.iter().filter(|s| s.technical).collect();
        assert_eq!(tech.len(), 1);
        assert_eq!(tech[0].words, ["metastasize"]);
        assert_eq!(l.senses.iter().filter(|s| s.words == ["shift"]).count(), 1);
    }

    #[test]
    fn an_acronym_in_parentheses_is_kept() {
        let l = parse_line("心電圖 心电图 [xin1 dian4 tu2] /electrocardiogram (ECG)/").unwrap();
        assert_eq!(l.senses[0].words, ["electrocardiogram", "ecg"]);
    }

    #[test]
    fn comments_and_lines_without_senses_are_skipped() {
        assert!(parse_line("# CC-CEDICT").is_none());
        assert!(parse_line("").is_none());
        assert!(parse_line("乾 干 [gan1] /variant of 乾[gan1]/").is_none());
    }
}
