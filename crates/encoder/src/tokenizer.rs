//! The SentencePiece-unigram tokenizer as the reference engine runs it: a per-code-point normalisation
//! map from the weights file, space collapsing, the ▁ meta-symbol, then a Viterbi search for the most
//! probable segmentation over the piece scores. Unknown characters become one `<unk>` each.

use rustc_hash::FxHashMap;

use crate::file::TokenizerData;

/// Longest piece in bytes the search tries (the longest piece in the file is 48 bytes).
const MAX_PIECE_BYTES: usize = 48;
/// Penalty below the lowest piece score for an unknown character, as the reference engine uses.
const UNK_PENALTY: f32 = 10.0;

/// Tokenizer tables built from the weights file.
pub struct Tokenizer {
    ids: FxHashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    norm_map: FxHashMap<u32, Box<[u32]>>,
    unk_score: f32,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
}

impl Tokenizer {
    /// Takes the file's tables over (the pieces become the lookup keys; nothing is kept twice).
    pub fn new(data: TokenizerData) -> Tokenizer {
        let mut ids = FxHashMap::default();
        ids.reserve(data.pieces.len());
        for (id, piece) in data.pieces.into_iter().enumerate() {
            // `<unk>` is never matched as text.
            if id as u32 != data.unk {
                ids.entry(piece).or_insert(id as u32);
            }
        }
        let min_score = data.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Tokenizer {
            ids,
            scores: data.scores,
            norm_map: data.norm_map.into_iter().collect(),
            unk_score: min_score - UNK_PENALTY,
            bos: data.bos,
            eos: data.eos,
            unk: data.unk,
        }
    }

    /// The normalised text the search runs over: mapped code points, single spaces, ▁ for spaces and a
    /// leading ▁ unless the text already starts with one.
    pub fn normalize(&self, text: &str) -> String {
        let mut out: Vec<char> = Vec::with_capacity(text.len() + 1);
        let push = |c: char, out: &mut Vec<char>| {
            if c == ' ' && out.last() == Some(&' ') {
                return;
            }
            out.push(c);
        };
        for c in text.chars() {
            match self.norm_map.get(&(c as u32)) {
                Some(to) => {
                    for &t in to.iter() {
                        if let Some(t) = char::from_u32(t) {
                            push(t, &mut out);
                        }
                    }
                }
                None => push(c, &mut out),
            }
        }
        let mut s = String::with_capacity(out.len() * 3 + 3);
        if out.first() != Some(&' ') {
            s.push('\u{2581}');
        }
        for c in out {
            s.push(if c == ' ' { '\u{2581}' } else { c });
        }
        s
    }

    /// Content token ids of `text` (no `<s>`/`</s>`), without any length limit.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let norm = self.normalize(text);
        // Character boundaries: the lattice runs over characters, candidate pieces over their bytes.
        let starts: Vec<usize> = norm
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(norm.len()))
            .collect();
        let n = starts.len() - 1;
        let bytes = norm.as_bytes();
        // best[e]: score of the best segmentation of the first e characters; from[e]: (start, id or
        // None for an unknown character).
        let mut best = vec![-1e30f32; n + 1];
        let mut from: Vec<(u32, Option<u32>)> = vec![(0, None); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            let base = best[i];
            if base <= -1e30 {
                continue;
            }
            for e in i + 1..=n {
                let len = starts[e] - starts[i];
                if len > MAX_PIECE_BYTES {
                    break;
                }
                if let Some(&id) = self.ids.get(&bytes[starts[i]..starts[e]]) {
                    let s = base + self.scores[id as usize];
                    // Strictly greater: the first candidate found wins a tie, as in the reference.
                    if s > best[e] {
                        best[e] = s;
                        from[e] = (i as u32, Some(id));
                    }
                }
            }
            let s = base + self.unk_score;
            if s > best[i + 1] {
                best[i + 1] = s;
                from[i + 1] = (i as u32, None);
            }
        }
        let mut ids = Vec::with_capacity(n / 2 + 1);
        let mut e = n;
        while e > 0 {
            let (start, id) = from[e];
            ids.push(id.unwrap_or(self.unk));
            e = start as usize;
        }
        ids.reverse();
        ids
    }
}
