//! The glue between the analyzer and tantivy (our tokens as a tantivy token stream) and the top-k
//! selection over a score array.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The analyzer from `text`, as a tantivy tokenizer.
#[derive(Clone, Default)]
pub(super) struct AnalyzerTokenizer;

/// The analyzer's tokens of one text, stored compactly: every term's bytes in one buffer, so indexing a
/// document allocates a handful of times rather than once per token.
pub(super) struct BufferedTokenStream {
    terms: String,
    /// (end of the term in `terms`, offset_from, offset_to)
    spans: Vec<(usize, usize, usize)>,
    next: usize,
    token: Token,
}

impl TokenStream for BufferedTokenStream {
    fn advance(&mut self) -> bool {
        let Some(&(end, from, to)) = self.spans.get(self.next) else {
            return false;
        };
        let start = match self.next {
            0 => 0,
            n => self.spans[n - 1].0,
        };
        self.token.text.clear();
        self.token.text.push_str(&self.terms[start..end]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.next;
        self.next += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for AnalyzerTokenizer {
    type TokenStream<'a> = BufferedTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferedTokenStream {
        let mut terms = String::with_capacity(text.len());
        let mut spans = Vec::with_capacity(text.len() / 6);
        text::Analyzer::shared().analyze_each(text, |t, from, to| {
            terms.push_str(t);
            spans.push((terms.len(), from, to));
        });
        BufferedTokenStream {
            terms,
            spans,
            next: 0,
            token: Token::default(),
        }
    }
}

/// The `k` best positive scores as (score, index), best first; equal scores in index order, so rankings
/// are reproducible. Finds the k-th best score by selection over the positive scores (gathered without
/// branches: a score array is half zeros in no pattern a branch predictor could learn), then keeps what
/// beats it: linear in the number of documents, with no per-candidate heap work.
pub(super) fn top_k(scores: &[f32], k: usize) -> Vec<(f32, u32)> {
    if k == 0 {
        return vec![];
    }
    let mut positive = vec![0f32; scores.len()];
    let mut n = 0;
    for &s in scores {
        positive[n] = s;
        n += usize::from(s > 0.0);
    }
    let positive = &mut positive[..n];
    let threshold = if n > k {
        let (_, kth, _) = positive.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        *kth
    } else {
        f32::MIN_POSITIVE
    };
    let mut above: Vec<(f32, u32)> = Vec::with_capacity(k.min(scores.len()) + 16);
    let mut at: Vec<u32> = vec![];
    for (i, &s) in scores.iter().enumerate() {
        if s > threshold {
            above.push((s, i as u32));
        } else if s == threshold {
            // `threshold` is positive, so this is a positive score.
            at.push(i as u32);
        }
    }
    above.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let room = k.saturating_sub(above.len());
    above.extend(at.into_iter().take(room).map(|i| (threshold, i)));
    above.truncate(k);
    above
}
