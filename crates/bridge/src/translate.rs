//! Translating a query into weighted index terms of the other language.

use rustc_hash::FxHashMap;

use crate::{BridgeParams, Dictionary, Sense};

/// One translated term, in the form the lexical index holds (stemmed English, or a Chinese word).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub text: String,
    pub weight: f32,
    /// The query word it came from (what an explanation names).
    pub from: String,
}

/// Terms merged by text: weights add, the first source word is kept.
#[derive(Default)]
struct Terms(Vec<Term>, FxHashMap<String, usize>);

impl Terms {
    fn add(&mut self, text: String, weight: f32, from: &str) {
        if weight <= 0.0 {
            return;
        }
        match self.1.get(&text) {
            Some(&i) => self.0[i].weight += weight,
            None => {
                self.1.insert(text.clone(), self.0.len());
                self.0.push(Term {
                    text,
                    weight,
                    from: from.to_string(),
                });
            }
        }
    }
}

impl Dictionary {
    /// A Chinese query as weighted English index terms. Latin words and numbers are kept as they stand.
    pub fn to_english(&self, query: &str, p: &BridgeParams) -> Vec<Term> {
        let an = text::Analyzer::shared();
        let mut out = Terms::default();
        for w in an.words(query) {
            if !w.han {
                for t in an.terms(&w.text) {
                    out.add(t, p.latin, &w.text);
                }
                continue;
            }
            let weight = |word: &str| {
                if word.chars().count() == 1 {
                    p.single_char
                } else {
                    1.0
                }
            };
            match self.senses(&w.text) {
                Some(senses) => self.add_senses(&mut out, senses, weight(&w.text), &w.text, p),
                None => {
                    for piece in self.split(&w.text) {
                        if let Some(senses) = self.senses(&piece) {
                            let wt = weight(&piece) * p.compound_piece;
                            self.add_senses(&mut out, senses, wt, &piece, p);
                        }
                    }
                }
            }
        }
        out.0
    }

    /// The senses of one word share its weight, main and technical senses more; within one sense a
    /// phrase's words share it; a term the word means in several senses gets at most the word's weight.
    fn add_senses(
        &self,
        out: &mut Terms,
        senses: &[Sense],
        weight: f32,
        from: &str,
        p: &BridgeParams,
    ) {
        let an = text::Analyzer::shared();
        let used = &senses[..senses.len().min(p.max_senses)];
        let raw: Vec<f32> = used
            .iter()
            .enumerate()
            .map(|(i, s)| {
                p.sense_decay.powi(i as i32) * if s.technical { p.technical } else { 1.0 }
            })
            .collect();
        let total: f32 = raw.iter().sum();
        if total <= 0.0 {
            return;
        }
        let mut local: Vec<(String, f32)> = vec![];
        for (s, r) in used.iter().zip(&raw) {
            let mut terms = an.terms(&s.words.join(" "));
            terms.sort();
            terms.dedup();
            if terms.is_empty() {
                continue;
            }
            let each = weight * r / total / (terms.len() as f32).powf(p.phrase_share);
            for t in terms {
                match local.iter_mut().find(|(x, _)| *x == t) {
                    Some((_, w)) => *w += each,
                    None => local.push((t, each)),
                }
            }
        }
        for (t, w) in local {
            out.add(t, w.min(weight), from);
        }
    }

    /// A word the dictionary lacks, cut into the longest words it holds, left to right (a character it
    /// does not hold either is skipped).
    fn split(&self, word: &str) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        let mut out = vec![];
        let mut i = 0;
        while i < chars.len() {
            let longest = (1..=self.max_chars.min(chars.len() - i))
                .rev()
                .map(|n| chars[i..i + n].iter().collect::<String>())
                .enumerate()
                .find(|(_, piece)| self.zh.contains_key(piece));
            match longest {
                Some((skipped, piece)) => {
                    i += self.max_chars.min(chars.len() - i) - skipped;
                    out.push(piece);
                }
                None => i += 1,
            }
        }
        out
    }

    /// An English query as weighted Chinese index terms: the longest run of words (up to three) that is
    /// a sense of some Chinese word goes over to the best such words, which share its weight. Chinese
    /// words and numbers in the query are kept as they stand.
    pub fn to_chinese(&self, query: &str, p: &BridgeParams) -> Vec<Term> {
        let an = text::Analyzer::shared();
        let mut out = Terms::default();
        let words = an.words(query);
        let mut i = 0;
        while i < words.len() {
            if words[i].han || words[i].text.bytes().any(|b| b.is_ascii_digit()) {
                for t in an.terms(&words[i].text) {
                    out.add(t, p.latin, &words[i].text);
                }
                i += 1;
                continue;
            }
            let mut matched = 0;
            for n in (1..=self.max_en_words.min(words.len() - i)).rev() {
                let run = &words[i..i + n];
                if run.iter().any(|w| w.han) {
                    continue;
                }
                let phrase: Vec<&str> = run.iter().map(|w| w.text.as_str()).collect();
                let phrase = phrase.join(" ");
                let heads = self
                    .headwords(&phrase)
                    .or_else(|| singular(&phrase).and_then(|s| self.headwords(&s)));
                if let Some(heads) = heads {
                    let heads = &heads[..heads.len().min(p.max_targets)];
                    let each = 1.0 / heads.len() as f32;
                    for h in heads {
                        let terms = an.terms(h);
                        // The whole word when the index holds it (search-mode cutting does), else its parts.
                        if terms.iter().any(|t| t == h) {
                            out.add(h.clone(), each, &phrase);
                        } else {
                            let part = each / terms.len().max(1) as f32;
                            for t in terms {
                                out.add(t, part, &phrase);
                            }
                        }
                    }
                    matched = n;
                    break;
                }
            }
            i += matched.max(1);
        }
        out.0
    }
}

/// "batteries" → "battery", "cells" → "cell", "processes" → "process"; `None` when not plural-looking.
fn singular(phrase: &str) -> Option<String> {
    let (head, last) = match phrase.rsplit_once(' ') {
        Some((h, l)) => (format!("{h} "), l),
        None => (String::new(), phrase),
    };
    let one = if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = last.strip_suffix("sses") {
        format!("{stem}ss")
    } else if let Some(stem) = last
        .strip_suffix("es")
        .filter(|s| s.ends_with(['x', 'h', 's']))
    {
        stem.to_string()
    } else if let Some(stem) = last.strip_suffix('s').filter(|s| !s.ends_with('s')) {
        stem.to_string()
    } else {
        return None;
    };
    Some(format!("{head}{one}"))
}
