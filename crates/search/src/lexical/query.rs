//! Ranking a query over the lexical index: BM25 over the analyzed query terms, and the search-box
//! variant in which the query's words must match as words.

use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Term};

use super::tokens::top_k;
use super::{Bm25Params, Filters, Hit, LexicalIndex, Result};

impl LexicalIndex {
    /// Ranks the items matching `query` under `filters`, best first, at most `limit`.
    pub fn search(
        &self,
        query: &str,
        filters: &Filters,
        params: &Bm25Params,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        // Query terms with their counts: a repeated word weighs more, as in BM25's query-term frequency.
        let mut q_terms: Vec<(String, f32)> = vec![];
        text::Analyzer::shared().analyze_each(query, |t, _, _| {
            match q_terms.iter_mut().find(|(x, _)| x == t) {
                Some((_, n)) => *n += 1.0,
                None => q_terms.push((t.to_string(), 1.0)),
            }
        });
        self.scored(&q_terms, None, filters, params, limit)
    }

    /// Ranks the items by BM25 over given index terms with their weights (a translated query: the
    /// terms are already in the index's form, so no analysis happens here).
    pub fn search_terms(
        &self,
        terms: &[(String, f32)],
        filters: &Filters,
        params: &Bm25Params,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        self.scored(terms, None, filters, params, limit)
    }

    /// Search as a person types it into a search box: the query's words must match as words — a
    /// document counts for a word only when it holds every term of it ("热失控" needs 热 and 失控,
    /// not 热 alone), and it must match every word of a short query (up to three) or two thirds of
    /// a longer one. Ranked by BM25 like [`LexicalIndex::search`].
    pub fn search_words(
        &self,
        query: &str,
        filters: &Filters,
        params: &Bm25Params,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let units = text::Analyzer::shared().query_units(query);
        let mut q_terms: Vec<(String, f32)> = vec![];
        let mut masks: Vec<u64> = vec![];
        for unit in &units {
            let mut mask = 0u64;
            for t in unit {
                let i = match q_terms.iter().position(|(x, _)| x == t) {
                    Some(i) => i,
                    None => {
                        q_terms.push((t.clone(), 1.0));
                        q_terms.len() - 1
                    }
                };
                if i < 64 {
                    mask |= 1 << i;
                }
            }
            masks.push(mask);
        }
        let need = if masks.len() <= 3 {
            masks.len()
        } else {
            (masks.len() * 2).div_ceil(3)
        };
        self.scored(&q_terms, Some((&masks, need)), filters, params, limit)
    }

    /// BM25 over `q_terms` (term, query-term frequency); with `words`, a document keeps its score
    /// only when it holds every term of at least `need` of the given term masks (bit i = term i).
    fn scored(
        &self,
        q_terms: &[(String, f32)],
        words: Option<(&[u64], usize)>,
        filters: &Filters,
        params: &Bm25Params,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        if searcher.num_docs() == 0 || limit == 0 {
            return Ok(vec![]);
        }
        let view = self.scoring_view(&searcher, params)?;

        // One term-dictionary lookup per (field, term, segment): the term infos give the collection's
        // document frequency and then open the postings.
        let segments = searcher.segment_readers();
        let mut plan: Vec<(usize, usize, f32, Vec<Option<tantivy::postings::TermInfo>>)> = vec![];
        for (fi, fv) in view.fields.iter().enumerate() {
            for (ti, (term_text, qtf)) in q_terms.iter().enumerate() {
                let term = Term::from_field_text(fv.field, term_text);
                let mut infos = Vec::with_capacity(segments.len());
                let mut df = 0u32;
                for seg in segments {
                    let info = seg.inverted_index(fv.field)?.get_term_info(&term)?;
                    df += info.as_ref().map_or(0, |i| i.doc_freq);
                    infos.push(info);
                }
                if df == 0 {
                    continue;
                }
                let df = df as f32;
                let idf = (1.0 + (view.n_docs - df + 0.5) / (df + 0.5)).ln();
                let factor = fv.weight * qtf * idf * (params.k1 + 1.0);
                plan.push((fi, ti, factor, infos));
            }
        }

        // One score array over all segments (segment `i` starts at `bases[i]`), then one top-k pass.
        let mut bases = Vec::with_capacity(segments.len() + 1);
        bases.push(0usize);
        for seg in segments {
            bases.push(bases.last().copied().unwrap_or(0) + seg.max_doc() as usize);
        }
        let mut scores = vec![0f32; bases[segments.len()]];
        // Which query terms each document holds, when words must match whole.
        let mut held = vec![0u64; if words.is_some() { scores.len() } else { 0 }];
        for (seg_ord, seg) in segments.iter().enumerate() {
            let seg_scores = &mut scores[bases[seg_ord]..bases[seg_ord + 1]];
            let seg_held: &mut [u64] = if words.is_some() {
                &mut held[bases[seg_ord]..bases[seg_ord + 1]]
            } else {
                &mut []
            };
            for (fi, ti, factor, infos) in &plan {
                let Some(info) = &infos[seg_ord] else {
                    continue;
                };
                let fv = &view.fields[*fi];
                let norms = &fv.norms[seg_ord];
                // Whole decoded blocks of 128 postings at a time: a tight loop over two slices.
                let mut block = seg
                    .inverted_index(fv.field)?
                    .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                loop {
                    let docs = block.docs();
                    if docs.is_empty() {
                        break;
                    }
                    for (&doc, &tf) in docs.iter().zip(block.freqs()) {
                        let tf = tf as f32;
                        seg_scores[doc as usize] += factor * tf / (tf + norms[doc as usize]);
                    }
                    if !seg_held.is_empty() && *ti < 64 {
                        for &doc in docs {
                            seg_held[doc as usize] |= 1 << ti;
                        }
                    }
                    block.advance();
                }
            }
            if let Some((masks, need)) = words {
                for (s, h) in seg_scores.iter_mut().zip(seg_held.iter()) {
                    if masks.iter().filter(|m| *h & **m == **m).count() < need {
                        *s = 0.0;
                    }
                }
            }
            if let Some(allowed) = self.allowed_docs(seg, filters)? {
                for (s, ok) in seg_scores.iter_mut().zip(allowed) {
                    if !ok {
                        *s = 0.0;
                    }
                }
            }
        }
        let candidates: Vec<(f32, u32, DocId)> = top_k(&scores, limit)
            .into_iter()
            .map(|(score, global)| {
                let seg = bases.partition_point(|&b| b <= global as usize) - 1;
                (score, seg as u32, global - bases[seg] as u32)
            })
            .collect();
        Ok(candidates
            .into_iter()
            .map(|(score, seg, doc)| Hit {
                record_kind: view.kinds[seg as usize][doc as usize],
                id: view.ids[seg as usize][doc as usize],
                score,
            })
            .collect())
    }
}
